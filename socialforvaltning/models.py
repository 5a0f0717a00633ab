"""Integration tokens: how another system reads the API and OAI-PMH of a registry that is not
public (REGISTRY_PUBLIC=false). A token is created in the admin for one integration, shown
once, stored only as its SHA-256 digest, grants reading and nothing else, is rate-limited, and
is revoked (kept, with who and why) rather than deleted."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

PREFIX = "sfr_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class IntegrationTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def holding(self, token: str) -> "IntegrationToken | None":
        """The active token whose digest this is (one indexed lookup; the digest, not the
        token, is compared, so its timing tells nothing of the stored tokens)."""
        if not token.startswith(PREFIX) or len(token) > 100:
            return None
        return self.active().filter(key_digest=digest(token)).first()


class IntegrationToken(models.Model):
    integration = models.CharField(
        _("integration"),
        max_length=200,
        help_text=_("The system that reads with this token, and who answers for it."),
    )
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    key_start = models.CharField(_("token begins"), max_length=12, editable=False)
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        help_text=_("Requests beyond this within a minute get 429 and a Retry-After."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = IntegrationTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("integration token")
        verbose_name_plural = _("integration tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.integration} ({self.key_start}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def issue(self) -> str:
        """A new secret for this token, returned once: only its digest is kept."""
        token = PREFIX + secrets.token_urlsafe(32)
        self.key_digest, self.key_start = digest(token), token[: len(PREFIX) + 4]
        return token

    def revoke(self):
        self.revoked_at = timezone.now()

    # Recording each use would be a write per request; once in a while tells an operator
    # which tokens are still in use.
    USE_RECORDED_EVERY = datetime.timedelta(minutes=10)

    def record_use(self):
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > self.USE_RECORDED_EVERY:
            # An update, not a save: a use is no edit, and leaves no history row.
            IntegrationToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now
