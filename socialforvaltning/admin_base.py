"""Admin foundations shared by every registry model: each edit carries a reason into its
history row, structure is never rewritten by a plain revert, and no address an archivist
(or a mistyped link) gives a list or a record page ends in a server error."""

import logging
from contextlib import contextmanager, nullcontext
from itertools import pairwise

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import (
    ImproperlyConfigured,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.db import connection, transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .locks import lock_structure
from .versions import VersionComparison, VersionsForm

log = logging.getLogger("registry.admin")

NUL = "\x00"


@contextmanager
def corrections_lock(request):
    """For a POST: one transaction holding the structure lock in shared mode (see
    `history.services.lock_structure`); other requests pass straight through."""
    if request.method != "POST":
        yield
        return
    with transaction.atomic():
        lock_structure(shared=True)
        yield


class ReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=100,
        help_text=_("Kept in the record's history beside your name."),
    )


class GuardedAdmin(admin.ModelAdmin):
    """A list or a picker's search asked with a malformed address answers with the list and
    a message, or with nothing found, never with a server error.

    Django's list checks its filters while it builds the query; a value only the database
    refuses fails later, when the query runs: a null character (PostgreSQL stores none in
    text; SQLite takes it for the end of the text), a broken regular expression, a year out
    of range. Null characters are refused before the list is built, each parameter with its
    own message; any other failure while the list's query runs is Django's own invalid
    lookup (the list without its filters, `?e=1`), here with a message saying so."""

    def changelist_view(self, request, extra_context=None):
        refused = self.refused_list_parameters(request)
        if refused:
            for message in refused.values():
                messages.error(request, message)
            query = request.GET.copy()
            for key in refused:
                del query[key]
            return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        return super().changelist_view(request, extra_context)

    def refused_list_parameters(self, request) -> dict[str, str]:
        """The list's parameters that cannot be used, each with why; the list is shown
        without them. Admins add their own (a malformed date, say)."""
        return {
            key: _("The parameter “%(name)s” contains a null character.")
            % {"name": key.replace(NUL, "\N{REPLACEMENT CHARACTER}")}
            for key, values in request.GET.lists()
            if NUL in key or any(NUL in value for value in values)
        }

    def get_changelist_instance(self, request):
        # The list counts its rows while it is built, so a query the database refuses fails
        # here. In a transaction (a test's, say) a savepoint keeps that failure from
        # spoiling it; outside one there is nothing to spoil (and on SQLite a transaction
        # would take the write lock).
        filtered = any(key != ERROR_FLAG for key in request.GET)
        savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
        try:
            with savepoint:
                return super().get_changelist_instance(request)
        except IncorrectLookupParameters:
            self.say_the_list_is_unfiltered(request)
            raise
        except (SuspiciousOperation, ImproperlyConfigured, PermissionDenied):
            raise
        except Exception as error:
            # As broad as Django's own check of the lookups (ChangeList.get_queryset), for its
            # reason: what a lookup's value does is known only once it runs (a DataError, a
            # ValueError for a year out of range, a NotImplementedError for a lookup of
            # PostgreSQL's on SQLite, …). Without parameters the list must work: a failure
            # there is a fault, and stays a server error, as is a database that went away.
            # Logged in full either way.
            if not filtered or not connection.is_usable():
                raise
            log.warning(
                "list query refused",
                exc_info=True,
                extra={"fields": {"path": request.path}},
            )
            self.say_the_list_is_unfiltered(request)
            raise IncorrectLookupParameters(error) from error

    def say_the_list_is_unfiltered(self, request):
        if ERROR_FLAG not in request.GET:
            messages.error(
                request,
                _(
                    "The list's address asks for a filter or a search the registry cannot "
                    "use, so the list is shown in full."
                ),
            )

    def get_search_results(self, request, queryset, search_term):
        # The changelist's search form refuses a null character itself; a picker's search
        # (the autocomplete view) does not. No record contains one: the answer is empty.
        if NUL in search_term:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)


def may_be_a_key(model, object_id: str) -> bool:
    """Whether `object_id` from an address (quoted as the admin quotes keys) could be a
    primary key of `model`: "abc" for a number is a record that cannot exist."""
    value = unquote(object_id)
    if NUL in value:
        return False
    try:
        model._meta.pk.to_python(value)
    except ValidationError:
        return False
    return True


def guard_every_admin(site) -> None:
    """Give the admins other apps registered (Django's users and groups, django-axes' logs)
    the same guard as ours: they cannot inherit it, so they are registered again as a
    subclass of it. Call it once every other app's admin is registered."""
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, GuardedAdmin):
            cls = type(model_admin)
            site.unregister(model)
            site.register(model, type(cls.__name__, (GuardedAdmin, cls), {}))


class ReasonedHistoryAdmin(GuardedAdmin, SimpleHistoryAdmin):
    """Edits need a reason; fields listed in `structural_fields` are read-only here and a
    revert to a version that differs in them is refused: structure changes only through a
    dated reorganisation."""

    form = ReasonForm
    structural_fields: tuple[str, ...] = ()
    # simple-history's own templates and titles are in English only (it has no Danish
    # catalog): the registry's say the same through its own.
    object_history_template = "admin/registry/object_history.html"
    object_history_list_template = "admin/registry/object_history_list.html"
    object_history_form_template = "admin/registry/object_history_form.html"

    def get_urls(self):
        meta = self.model._meta
        # Before simple-history's `<id>/history/<version>/`, which would take "compare".
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.history_compare_view),
                name=f"{meta.app_label}_{meta.model_name}_history_compare",
            ),
            *super().get_urls(),
        ]

    # simple-history looks up the record and the version an address names as they are, so
    # "abc" for a number fails in the query: answered here as Django's own record pages do.

    def history_view(self, request, object_id, extra_context=None):
        if not may_be_a_key(self.model, object_id):
            return self._get_obj_does_not_exist_redirect(
                request, self.model._meta, unquote(object_id)
            )
        return super().history_view(request, object_id, extra_context)

    def history_view_title(self, request, obj):
        return _("History of “%(object)s”") % {"object": obj}

    def history_form_view_title(self, request, obj):
        if self.revert_disabled(request, obj):
            return _("A version of “%(object)s”") % {"object": obj}
        return _("Revert “%(object)s”") % {"object": obj}

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # What each version changed, in the words and values of the comparison page
        # (simple-history's own shows Python's: "True → False", "None", "[318 chars]").
        for newer, older in pairwise(historical_records):
            newer.history_delta_changes = VersionComparison(older, newer).changed_rows

    def history_compare_view(self, request, object_id):
        """Two versions of a record side by side, the fields that differ marked."""
        object_id = unquote(object_id)
        obj = self.get_object(request, object_id)
        try:
            history = self.model.history.filter(**{self.model._meta.pk.attname: object_id})
            latest = history.order_by("-history_date", "-history_id").first()
        except (ValueError, ValidationError):
            raise Http404 from None
        if latest is None:
            raise Http404
        obj = obj or latest.instance  # a deleted draft keeps its history
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        form = VersionsForm(request.GET or None, versions=history.select_related("history_user"))
        comparison = VersionComparison(*form.chosen()) if form.is_valid() else None
        meta = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("Compare versions: %(object)s") % {"object": obj},
            "opts": meta,
            "object": obj,
            "form": form,
            "comparison": comparison,
            "history_url": reverse(
                f"admin:{meta.app_label}_{meta.model_name}_history", args=[obj.pk]
            ),
        }
        status = 400 if request.GET and not form.is_valid() else 200
        return TemplateResponse(
            request, "admin/registry/history_compare.html", context, status=status
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        editable = obj is not None and self.has_change_permission(request, obj)
        if editable or (obj is None and self.has_add_permission(request)):
            return fieldsets
        # Only to read: there is no edit to give a reason for.
        kept = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "change_reason"]})
            for name, options in fieldsets
        ]
        return [(name, options) for name, options in kept if options["fields"]]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += [f for f in self.structural_fields if f not in readonly]
        return readonly

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data["change_reason"]
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            inline_form.instance._change_reason = form.cleaned_data["change_reason"]
            inline_form.instance._history_user = request.user
        super().save_formset(request, form, formset, change)

    def structural_difference(self, current, version) -> list[str]:
        return [
            f
            for f in self.structural_fields
            if getattr(current, f"{f}_id", getattr(current, f, None))
            != getattr(version, f"{f}_id", getattr(version, f, None))
        ]

    def revert_refusal(self, request, object_id, version_id) -> str | None:
        """Why a revert to this version must not be saved, or None if it may."""
        current = self.get_object(request, object_id)
        version = self.model.history.filter(id=object_id, history_id=version_id).first()
        if current is None or version is None:
            return _("That version of the record does not exist.")
        differs = self.structural_difference(current, version)
        if differs:
            fields = [str(self.model._meta.get_field(f).verbose_name) for f in differs]
            return _(
                "This version differs from the record in %(fields)s, which shape the structure "
                "over time. Reverting to it would rewrite the structure without a dated "
                "decision, so it is refused: enter a dated change, or correct the "
                "reorganisation (withdraw, re-date or revise it), instead."
            ) % {"fields": ", ".join(fields)}
        if not self.has_change_permission(request, current):
            return _("You may not change this record.")
        return None

    # Corrections run beside each other but never beside a structural write: a reorganisation
    # that ends a name while an archivist's form for it is being saved would otherwise be
    # undone by the form's save (a lost update), and the reverse. So every saving admin view
    # reads and writes under the structure lock, shared among corrections.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with corrections_lock(request):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        with corrections_lock(request):
            return super().delete_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not (
            may_be_a_key(self.model, object_id)
            and may_be_a_key(self.model.history.model, version_id)
        ):
            raise Http404
        with corrections_lock(request):
            if request.method == "POST":
                refusal = self.revert_refusal(request, object_id, version_id)
                if refusal:
                    messages.error(request, refusal)
                    meta = self.model._meta
                    return HttpResponseRedirect(
                        reverse(
                            f"admin:{meta.app_label}_{meta.model_name}_history", args=[object_id]
                        )
                    )
            return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyHistoryAdmin(ReasonedHistoryAdmin):
    """Records written only by the reorganisation function: viewable with their history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def revert_disabled(self, request, obj=None):
        return True
