"""Integration tokens in the admin: created for one integration (the secret shown once, in
the message after saving), revoked with a reason, never edited into another secret."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import IntegrationToken


class TokenForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=100,
        help_text=_("Kept in the record's history beside your name."),
    )

    class Meta:
        model = IntegrationToken
        fields = ["integration", "requests_per_minute"]


@admin.register(IntegrationToken)
class IntegrationTokenAdmin(SimpleHistoryAdmin):
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
    object_history_template = "admin/registry/object_history.html"
    object_history_list_template = "admin/registry/object_history_list.html"
    object_history_form_template = "admin/registry/object_history_form.html"

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: what read the registry stays known

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data["change_reason"]
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
