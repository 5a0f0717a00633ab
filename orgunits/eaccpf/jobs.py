"""Long EAC-CPF work, done by the background worker (`manage.py db_worker`) instead of in a
request: importing an uploaded file, and building the zip of every record once per data
version. Each job is an `ArchiveJob` row that the worker updates as it goes, so the pages
that show it need nothing but the database (see `orgunits/models.py`).

The queue is django-tasks' database backend: a job is queued in the same transaction that
records it, survives restarts of the worker and of Redis (which keeps nothing on disk here),
and the interface is Django 6's own (`django.tasks`), so moving up is a change of import.
"""

import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from history.version import data_version
from orgunits.models import ArchiveJob, Unit

from . import export
from .importer import ImportFailed, import_records, read_files

log = logging.getLogger("registry.jobs")


def start_import(*, upload, user, reason: str) -> ArchiveJob:
    """Record the upload and queue its import; the archivist follows the returned job."""
    with transaction.atomic():
        job = ArchiveJob.objects.create(
            kind=ArchiveJob.Kind.IMPORT,
            created_by=user,
            reason=reason,
            name=upload.name,
            language=translation.get_language(),
        )
        job.upload.save(upload.name, upload, save=True)
        job.task_id = str(run_import.enqueue(job.pk).id)
        job.save(update_fields=["task_id"])
    job.refresh_from_db()
    return job


def zip_job(base_url: str) -> ArchiveJob:
    """The job that builds (or built) the zip of the current data version; queued by the
    first request that asks for it, shared by every later one. One zip per version, whatever
    address it is asked for at: its links use REGISTRY_BASE_URL (which production sets),
    else the address of the first to ask."""
    version = data_version()
    with transaction.atomic():
        job, created = ArchiveJob.objects.get_or_create(
            kind=ArchiveJob.Kind.ZIP,
            data_version=version,
            defaults={"base_url": settings.REGISTRY_BASE_URL or base_url},
        )
        if created or job.may_retry():
            job.restart()
            job.task_id = str(build_zip.enqueue(job.pk).id)
            job.save(update_fields=["task_id"])
            job.refresh_from_db()  # a worker that runs at once (the tests') has finished it
    return job


@task()
def run_import(job_id: int) -> None:
    job = ArchiveJob.objects.get(pk=job_id)
    with translation.override(job.language or None):
        _import(job)


def _import(job: ArchiveJob) -> None:
    job.begin(_("Reading the records"))
    try:
        with job.upload.open("rb") as upload:
            content = upload.read()
        records = read_files([(job.name, content)], progress=job.report)
        # Writing is one transaction, so it has no count to show as it goes.
        job.report(0, 0, stage=_("Writing the units"))
        result = import_records(records, user=job.created_by, reason=job.reason)
    except ImportFailed as failure:
        job.fail(failure.messages)
        job.upload.delete(save=True)  # the archivist uploads a corrected file
        return
    except Exception as error:  # the archivist sees that it failed; the log has the trace
        log.exception("import job %s failed", job.pk)
        job.fail([_("The import stopped on an unexpected error: %(error)s") % {"error": error}])
        job.upload.delete(save=True)
        return
    count = len(result.units)
    job.succeed(
        summary=ngettext(
            "Imported %(count)s unit as a draft.", "Imported %(count)s units as drafts.", count
        )
        % {"count": count},
        units=result.units,
        notes=list(dict.fromkeys(result.messages)),  # each once
    )
    job.upload.delete(save=True)  # the records are in the registry now


@task()
def build_zip(job_id: int) -> None:
    job = ArchiveJob.objects.get(pk=job_id)
    job.begin(_("Collecting the records"))
    try:
        records = export.records_for(Unit.objects.with_a_record().order_by("slug"))
        content = export.zip_of(records, base_url=job.base_url, progress=job.report)
        job.result.save(f"eac-cpf-{job.data_version}.zip", ContentFile(content), save=False)
    except Exception as error:
        log.exception("zip job %s failed", job_id)
        job.fail([_("The zip could not be built: %(error)s") % {"error": error}])
        return
    job.succeed(summary=_("%(count)s records in both versions.") % {"count": len(records)})
    # Zips of earlier versions are stale: keep only this one.
    older = ArchiveJob.objects.filter(kind=ArchiveJob.Kind.ZIP, created_at__lt=job.created_at)
    for old in older.exclude(data_version=job.data_version).exclude(
        status__in=[ArchiveJob.Status.QUEUED, ArchiveJob.Status.RUNNING]
    ):
        old.result.delete(save=False)
        old.delete()
    log.info("zip of data version %s built at %s", job.data_version, timezone.now())


def requeue_interrupted() -> int:
    """Queue again the jobs a stopped worker left running (killed, or the database went away
    under it): an import writes in one transaction, so nothing of theirs is in the registry.
    Run as the worker starts (`manage.py run_worker`); one worker serves a registry."""
    from django_tasks_db.models import DBTaskResult

    interrupted = list(ArchiveJob.objects.filter(status=ArchiveJob.Status.RUNNING))
    with transaction.atomic():
        DBTaskResult.objects.filter(status="RUNNING").update(status="FAILED")
        for job in interrupted:
            job.restart()
            task = run_import if job.kind == ArchiveJob.Kind.IMPORT else build_zip
            job.task_id = str(task.enqueue(job.pk).id)
            job.save(update_fields=["task_id"])
    return len(interrupted)


def queue_state() -> dict:
    """For /healthz: how many jobs wait for the worker, and for how long the oldest has."""
    waiting = ArchiveJob.objects.filter(status=ArchiveJob.Status.QUEUED)
    oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    age = round((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"waiting": waiting.count(), "oldest_waiting_seconds": age}
