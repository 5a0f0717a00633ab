"""Integration tokens in the admin: created for one integration by an administrator (the
secret shown once, in the message after saving), revoked on the token's page with a reason,
never given back: a revert cannot undo a revocation or change the secret."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The registry's admin foundations (a reason for every edit, no server error for a junk
# address); issue 17 moves them here, beside what every app uses.
from socialforvaltning.admin_base import ReasonedHistoryAdmin, ReasonForm

from .models import IntegrationToken


class TokenForm(ReasonForm):
    revoke = forms.BooleanField(
        label=_("Revoke the token"),
        required=False,
        help_text=_("It reads nothing more from the moment you save. This cannot be undone."),
    )

    class Meta:
        model = IntegrationToken
        fields = ["integration", "requests_per_minute"]


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(ReasonedHistoryAdmin):
    form = TokenForm
    list_display = [
        "integration",
        "key_start",
        "requests_per_minute",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["integration", "key_start"]
    readonly_fields = ["key_start", "created_at", "created_by", "last_used_at", "revoked_at"]
    # A revert to a version before the revocation, or with another secret, is refused.
    structural_fields = ("revoked_at", "key_digest")

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: what read the registry stays known

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None or not obj.is_active:
            form.base_fields.pop("revoke", None)  # nothing to revoke yet, or any more
        return form

    def save_model(self, request, obj, form, change):
        secret = None
        if not change:
            obj.created_by = request.user
            secret = obj.issue()
        if form.cleaned_data.get("revoke") and obj.is_active:
            obj.revoke()
        super().save_model(request, obj, form, change)
        if secret:
            messages.warning(
                request,
                gettext(
                    "The token for “%(integration)s” is %(token)s — copy it now: the registry "
                    "keeps only its digest and cannot show it again. Send it as "
                    "“Authorization: Bearer <token>”."
                )
                % {"integration": obj.integration, "token": secret},
            )

    def revert_refusal(self, request, object_id, version_id) -> str | None:
        current = self.get_object(request, object_id)
        version = self.model.history.filter(id=object_id, history_id=version_id).first()
        if current and version and self.structural_difference(current, version):
            return gettext(
                "A revoked token stays revoked, and a token keeps its secret: issue a new "
                "token instead."
            )
        return super().revert_refusal(request, object_id, version_id)
