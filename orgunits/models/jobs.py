"""Background jobs of the EAC-CPF exports and import, and their progress."""

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ArchiveJob(models.Model):
    """Long EAC-CPF work that the background worker does outside any request: an import of
    an uploaded file (history/loaders/eaccpf/jobs.py), or the zip of every record, built once
    per data version (orgunits/exports/eaccpf/jobs.py). The worker writes its progress here;
    the pages that show a job read nothing else. Not registry data: it keeps no history, and
    changing it does not change the data version."""

    class Kind(models.TextChoices):
        IMPORT = "import", _("EAC-CPF import")
        ZIP = "zip", _("EAC-CPF zip")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=100, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    name = models.CharField(_("file"), max_length=255, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=10, blank=True)  # of its messages: the asker's
    upload = models.FileField(upload_to="jobs/uploads/", blank=True)
    result = models.FileField(upload_to="jobs/zips/", blank=True)
    summary = models.TextField(blank=True)
    units = models.JSONField(default=list, blank=True)  # the slugs an import made
    notes = models.JSONField(default=list, blank=True)  # what the archivist should check
    errors = models.JSONField(default=list, blank=True)
    data_version = models.CharField(max_length=64, blank=True)
    base_url = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # A failed zip is built again on request, but not more often than this.
    RETRY_AFTER = datetime.timedelta(minutes=1)
    # The worker writes its progress at most this often (seconds), and at each new stage.
    REPORT_EVERY = 0.5

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["data_version"], condition=Q(kind="zip"), name="one_zip_per_data_version"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0

    @property
    def waiting_long(self) -> bool:
        from django.utils import timezone

        waited = timezone.now() - self.created_at
        return self.status == self.Status.QUEUED and waited > self.RETRY_AFTER

    def may_retry(self) -> bool:
        from django.utils import timezone

        return (
            self.status == self.Status.FAILED
            and timezone.now() - self.finished_at > self.RETRY_AFTER
        )

    def restart(self):
        self.status, self.stage, self.done, self.total, self.errors = "queued", "", 0, 0, []
        self.started_at = self.finished_at = None
        self.save()

    def _write(self, **fields):
        for name, value in fields.items():
            setattr(self, name, value)
        type(self).objects.filter(pk=self.pk).update(**fields)

    def begin(self, stage: str):
        from django.utils import timezone

        self._write(status=self.Status.RUNNING, stage=stage, started_at=timezone.now())

    def report(self, done: int, total: int, *, stage: str | None = None):
        import time

        now = time.monotonic()
        if (
            stage is None
            and done < total
            and now - getattr(self, "_reported", 0) < self.REPORT_EVERY
        ):
            return
        self._reported = now
        self._write(done=done, total=total, **({"stage": stage} if stage else {}))

    def succeed(self, *, summary: str, **more):
        from django.utils import timezone

        fields = {
            "status": self.Status.DONE,
            "summary": summary,
            "finished_at": timezone.now(),
            **more,
        }
        if self.result:
            fields["result"] = self.result.name
        self._write(done=self.total, **fields)

    def fail(self, errors: list[str]):
        from django.utils import timezone

        self._write(status=self.Status.FAILED, errors=list(errors), finished_at=timezone.now())
