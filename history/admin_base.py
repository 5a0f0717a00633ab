"""Admin foundations shared by every registry model: each edit carries a reason into its
history row, and structure is never rewritten by a plain revert."""

from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .locks import lock_structure
from .versions import VersionComparison, VersionsForm


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


class ReasonedHistoryAdmin(SimpleHistoryAdmin):
    """Edits need a reason; fields listed in `structural_fields` are read-only here and a
    revert to a version that differs in them is refused: structure changes only through a
    dated reorganisation."""

    form = ReasonForm
    structural_fields: tuple[str, ...] = ()
    object_history_template = "admin/registry/object_history.html"

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
            return _(
                "This version differs from the record in %(fields)s, which say where and when "
                "the unit existed. Reverting to it would rewrite the structure without a dated "
                "decision, so it is refused: enter a reorganisation instead."
            ) % {"fields": ", ".join(differs)}
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
