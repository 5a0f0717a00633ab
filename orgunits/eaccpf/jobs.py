"""Long EAC-CPF work, done by the background worker (`manage.py db_worker`) instead of in a
request: importing an uploaded file, and building the zip of every record once per data
version. Each job is an `ArchiveJob` row that the worker updates as it goes, so the pages
that show it need nothing but the database (see `orgunits/models.py`).

The queue is django-tasks' database backend: a job is queued in the same transaction that
records it, survives restarts of the worker and of Redis (which keeps nothing on disk here),
and the interface is Django 6's own (`django.tasks`), so moving up is a change of import.
"""

import logging

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
    """The job that builds (or built) the zip of the current data version for `base_url`;
    queued by the first request that asks for it, shared by every later one."""
    version = data_version()
    with transaction.atomic():
        job, created = ArchiveJob.objects.get_or_create(
            kind=ArchiveJob.Kind.ZIP, data_version=version, base_url=base_url
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
        return
    except Exception as error:  # the archivist sees that it failed; the log has the trace
        log.exception("import job %s failed", job.pk)
        job.fail([_("The import stopped on an unexpected error: %(error)s") % {"error": error}])
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
        records = export.records_for(Unit.objects.on_record().order_by("slug"))
        content = export.zip_of(records, base_url=job.base_url, progress=job.report)
        job.result.save(f"eac-cpf-{job.data_version}.zip", ContentFile(content), save=False)
    except Exception as error:
        log.exception("zip job %s failed", job_id)
        job.fail([_("The zip could not be built: %(error)s") % {"error": error}])
        return
    job.succeed(summary=_("%(count)s records in both versions.") % {"count": len(records)})
    # Zips of earlier versions are stale: keep only this one.
    older = ArchiveJob.objects.filter(kind=ArchiveJob.Kind.ZIP, created_at__lt=job.created_at)
    for old in older.exclude(status__in=[ArchiveJob.Status.QUEUED, ArchiveJob.Status.RUNNING]):
        old.result.delete(save=False)
        old.delete()
    log.info("zip of data version %s built at %s", job.data_version, timezone.now())
