"""Integration tokens in the admin: created for one integration (the secret shown once, in
the message after saving), revoked with a reason, never edited into another secret."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The registry's admin foundations (a reason for every edit, no server error for a junk
# address); issue 17 moves them here, beside what every app uses.
from history.admin_base import ReasonedHistoryAdmin, ReasonForm

from .models import IntegrationToken


class TokenForm(ReasonForm):
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
    actions = ["revoke"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: what read the registry stays known

    def save_model(self, request, obj, form, change):
        secret = None
        if not change:
            obj.created_by = request.user
            secret = obj.issue()
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

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.active():
            token.revoke()
            token._change_reason = gettext("Revoked in the admin")
            token._history_user = request.user
            token.save()
            revoked += 1
        self.message_user(
            request, gettext("%(count)d token(s) revoked.") % {"count": revoked}, messages.SUCCESS
        )
