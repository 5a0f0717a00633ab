"""Importing an uploaded EAC-CPF file in the background worker: the upload is recorded as an
`ArchiveJob` and queued in one transaction, and the worker reads it (`read`) and writes its
units as drafts (`write`); see orgunits/exports/eaccpf/jobs.py for the queue."""

import logging
import uuid

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from orgunits.exports.eaccpf.jobs import build_zip
from orgunits.models import ArchiveJob

from .read import ImportFailed, read_files
from .write import import_records

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
        # Kept under a name of the registry's own until the worker reads it: the archivist's
        # (shown on the job's page) may be any length in bytes, or nothing a file system takes.
        job.upload.save(f"import-{uuid.uuid4().hex}", upload, save=True)
        job.task_id = str(run_import.enqueue(job.pk).id)
        job.save(update_fields=["task_id"])
    job.refresh_from_db()
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
