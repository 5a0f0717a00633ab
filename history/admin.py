from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .admin_base import ReadOnlyHistoryAdmin, ReasonedHistoryAdmin
from .forms import ChangeFormSet, ReorganisationForm
from .models import Change, Reorganisation
from .preview import preview_reorganisation
from .services import apply_reorganisation


class ChangeInline(admin.TabularInline):
    model = Change
    extra = 0
    fields = ["kind", "unit", "target", "previous_parent", "name", "short_name", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reorganisation)
class ReorganisationAdmin(ReasonedHistoryAdmin):
    """Title and description are corrections; the date and its certainty are structure.

    New reorganisations are entered through the dated-change form (`apply/`), which shows a
    preview of the structure on the day before and on the effective date and writes only
    when the archivist confirms."""

    list_display = ["date_display", "title", "certainty"]
    search_fields = ["title", "description"]
    structural_fields = ("key", "date", "certainty", "not_before", "not_after")
    inlines = [ChangeInline]
    change_list_template = "admin/history/reorganisation/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "apply/",
                self.admin_site.admin_view(self.apply_view),
                name="history_reorganisation_apply",
            ),
            *super().get_urls(),
        ]

    def apply_view(self, request):
        if not request.user.has_perm("history.apply_reorganisation"):
            raise PermissionDenied
        form = ReorganisationForm(request.POST or None)
        changes = ChangeFormSet(request.POST or None, prefix="changes")
        preview = None
        if request.method == "POST" and form.is_valid() and changes.is_valid():
            specs = [s for s in (f.spec() for f in changes.forms) if s is not None]
            kwargs = form.reorganisation_kwargs(specs)
            try:
                if not specs:
                    raise ValidationError(_("Give at least one change."))
                if "_apply" in request.POST:
                    reorganisation = apply_reorganisation(user=request.user, **kwargs)
                    messages.success(
                        request,
                        _("The reorganisation “%(title)s” was applied, effective %(date)s.")
                        % {"title": reorganisation.title, "date": reorganisation.date_display},
                    )
                    return redirect(
                        reverse("admin:history_reorganisation_change", args=[reorganisation.pk])
                    )
                preview = preview_reorganisation(user=request.user, **kwargs)
            except ValidationError as error:
                # A refusal may name model fields the form does not have: say it in full.
                form.add_error(None, error.messages)
        return TemplateResponse(
            request,
            "admin/history/reorganisation/apply.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Enter a dated change"),
                "opts": self.model._meta,
                "form": form,
                "changes": changes,
                "preview": preview,
            },
        )


@admin.register(Change)
class ChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["reorganisation", "kind", "unit", "target"]
    list_select_related = ["reorganisation", "unit", "target"]
    list_filter = ["kind"]
