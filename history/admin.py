from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialforvaltning.admin_base import (
    ReadOnlyHistoryAdmin,
    ReasonedHistoryAdmin,
    guard_every_admin,
)

from .forms import (
    ChangeFormSet,
    CorrectionForm,
    GrowingChangeFormSet,
    ReorganisationForm,
    RevisionForm,
    confirms_the_preview,
    given_rows,
    initial_rows,
    registry_choices,
    show_refusal,
    what_the_form_says,
    with_another_row,
)
from .models import Change, Reorganisation
from .preview import preview_correction, preview_reorganisation
from .services import apply_reorganisation


class ChangeInline(admin.TabularInline):
    model = Change
    extra = 0
    fields = [
        "kind",
        "unit",
        "target",
        "previous_parent",
        "name",
        "short_name",
        "unit_kind",
        "target_group",
        "note",
    ]
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

    list_display = ["effective", "title", "certainty", "status"]
    list_filter = ["status"]
    readonly_fields = ["status", "withdrawn_at", "withdrawn_by", "withdrawal_reason"]
    change_form_template = "admin/history/reorganisation/change_form.html"
    search_fields = ["title", "description"]
    structural_fields = (
        "key",
        "date",
        "certainty",
        "not_before",
        "not_after",
        "status",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
    )
    inlines = [ChangeInline]
    change_list_template = "admin/history/reorganisation/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("effective date"), ordering="date")
    def effective(self, reorganisation):
        return reorganisation.date_display

    def get_urls(self):
        return [
            path(
                "apply/",
                self.admin_site.admin_view(self.apply_view),
                name="history_reorganisation_apply",
            ),
            path(
                "<int:pk>/correct/",
                self.admin_site.admin_view(self.correct_view),
                name="history_reorganisation_correct",
            ),
            path(
                "<int:pk>/revise/",
                self.admin_site.admin_view(self.revise_view),
                name="history_reorganisation_revise",
            ),
            *super().get_urls(),
        ]

    def correct_view(self, request, pk):
        """Withdraw, re-date or put in force a recorded reorganisation: previewed, with a
        reason, then replayed through the one writer."""
        reorganisation = self.reorganisation_to_correct(request, pk)
        form = CorrectionForm(
            request.POST or None,
            initial={
                "date": reorganisation.date,
                "certainty": reorganisation.certainty,
                "not_before": reorganisation.not_before,
                "not_after": reorganisation.not_after,
            },
        )
        return self.correction_response(
            request, reorganisation, form, None, _("Correct “%(title)s”")
        )

    def revise_view(self, request, pk):
        """Replace a recorded reorganisation's changes: previewed, with a reason, then
        replayed through the one writer."""
        reorganisation = self.reorganisation_to_correct(request, pk)
        if "_add_row" in request.POST:
            form = RevisionForm(initial=request.POST.dict())
            changes = with_another_row(request.POST)
        elif request.method == "POST":
            form = RevisionForm(request.POST)
            changes = ChangeFormSet(request.POST, prefix="changes")
        else:
            form = RevisionForm()
            changes = GrowingChangeFormSet(initial=initial_rows(reorganisation), prefix="changes")
        return self.correction_response(
            request, reorganisation, form, changes, _("Revise “%(title)s”")
        )

    def reorganisation_to_correct(self, request, pk) -> Reorganisation:
        if not request.user.has_perm("history.apply_reorganisation"):
            raise PermissionDenied
        reorganisation = Reorganisation.objects.filter(pk=pk).first()
        if reorganisation is None:
            raise Http404(_("The registry has no reorganisation number %(pk)s.") % {"pk": pk})
        return reorganisation

    def correction_response(self, request, reorganisation, form, changes, title):
        preview = None
        valid = form.is_bound and form.is_valid() and (changes is None or changes.is_valid())
        if request.method == "POST" and "_add_row" not in request.POST and valid:
            correct, kwargs = form.correction(changes)
            try:
                if confirmed(request):
                    correct(reorganisation, user=request.user, **kwargs)
                    messages.success(
                        request,
                        _("“%(title)s” was corrected and the structure replayed.")
                        % {"title": reorganisation.title},
                    )
                    return redirect(
                        reverse("admin:history_reorganisation_change", args=[reorganisation.pk])
                    )
                preview = preview_correction(correct, reorganisation, user=request.user, **kwargs)
            except ValidationError as error:
                show_refusal(form, changes, error)
        return TemplateResponse(
            request,
            "admin/history/reorganisation/correct.html",
            {
                **self.admin_site.each_context(request),
                **(registry_choices() if changes is not None else {}),
                "title": title % {"title": reorganisation.title},
                "opts": self.model._meta,
                "original": reorganisation,
                "form": form,
                "changes": changes,
                "preview": preview,
                "previewed": what_the_form_says(request.POST) if preview else "",
            },
        )

    def apply_view(self, request):
        if not request.user.has_perm("history.apply_reorganisation"):
            raise PermissionDenied
        if "_add_row" in request.POST:
            form = ReorganisationForm(initial=request.POST.dict())
            changes = with_another_row(request.POST)
        else:
            form = ReorganisationForm(request.POST or None)
            changes = ChangeFormSet(request.POST or None, prefix="changes")
        preview = None
        if request.method == "POST" and form.is_bound and form.is_valid() and changes.is_valid():
            specs = [spec for _row, spec in given_rows(changes)]
            kwargs = form.reorganisation_kwargs(specs)
            try:
                if not specs:
                    raise ValidationError(_("Give at least one change."))
                if confirmed(request):
                    reorganisation = apply_reorganisation(user=request.user, **kwargs)
                    message = (
                        _(
                            "The reorganisation “%(title)s” was saved as planned, to take effect "
                            "%(date)s when it is put in force."
                        )
                        if reorganisation.planned
                        else _("The reorganisation “%(title)s” was applied, effective %(date)s.")
                    )
                    messages.success(
                        request,
                        message
                        % {"title": reorganisation.title, "date": reorganisation.date_display},
                    )
                    return redirect(
                        reverse("admin:history_reorganisation_change", args=[reorganisation.pk])
                    )
                # A plan is previewed as it will be once in force.
                kwargs["status"] = Reorganisation.Status.IN_FORCE
                preview = preview_reorganisation(user=request.user, **kwargs)
            except ValidationError as error:
                # A refusal may name model fields the form does not have: say it in full.
                show_refusal(form, changes, error)
        return TemplateResponse(
            request,
            "admin/history/reorganisation/apply.html",
            {
                **self.admin_site.each_context(request),
                **registry_choices(),
                "title": _("Enter a dated change"),
                "opts": self.model._meta,
                "form": form,
                "changes": changes,
                "preview": preview,
                "previewed": what_the_form_says(request.POST) if preview else "",
            },
        )


def confirmed(request) -> bool:
    """Whether to apply: "Confirm" pressed on the form as previewed. Confirming a form changed
    since its preview applies nothing: the archivist is told, and sees the new preview."""
    if "_apply" not in request.POST:
        return False
    if confirms_the_preview(request.POST):
        return True
    messages.warning(
        request,
        _(
            "The form was changed after its preview, so nothing was applied: below is the "
            "preview of what it says now. Confirm again to apply it."
        ),
    )
    return False


@admin.register(Change)
class ChangeAdmin(ReadOnlyHistoryAdmin):
    list_display = ["reorganisation", "kind", "unit", "target"]
    list_select_related = ["reorganisation", "unit", "target"]
    list_filter = ["kind"]


# Django's name for the site ("Django administration") is not Danish; the registry's is.
admin.site.site_header = admin.site.site_title = gettext_lazy("Organisation registry")

# Django's and django-axes' admins are registered by now (their apps come before this one in
# INSTALLED_APPS): they get the guard against malformed addresses too.
guard_every_admin(admin.site)
