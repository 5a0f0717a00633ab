"""Long EAC-CPF work, done by the background worker (`manage.py db_worker`) instead of in a
request: building the zip of every record once per data version (importing an uploaded file
is history/loaders/eaccpf/jobs.py). Each job is an `ArchiveJob` row that the worker updates
as it goes, so the pages that show it need nothing but the database (see
`orgunits/models/jobs.py`).

The queue is django-tasks' database backend: a job is queued in the same transaction that
records it, survives restarts of the worker and of Redis (which keeps nothing on disk here),
and the interface is Django 6's own (`django.tasks`), so moving up is a change of import.
"""

import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from orgunits.models import ArchiveJob, Unit
from socialforvaltning.version import data_version

from . import collect, export

log = logging.getLogger("registry.jobs")


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


def write_zip(out, *, base_url: str, progress=None) -> int:
    """Writes the zip of every record to `out` (a binary file) and says how many records it
    holds: the job's work, apart from its bookkeeping (the benchmark times it so)."""
    records = collect.Records(Unit.objects.with_a_record().order_by("slug"))
    export.write_zip(out, records, base_url=base_url, progress=progress)
    return len(records)


@task()
def build_zip(job_id: int) -> None:
    job = ArchiveJob.objects.get(pk=job_id)
    job.begin(_("Collecting the records"))
    try:
        # On disk, not in memory: at 100,000 units the zip is hundreds of megabytes.
        with tempfile.TemporaryFile() as out:
            count = write_zip(out, base_url=job.base_url, progress=job.report)
            out.seek(0)
            job.result.save(f"eac-cpf-{job.data_version}.zip", File(out), save=False)
    except Exception as error:
        log.exception("zip job %s failed", job_id)
        job.fail([_("The zip could not be built: %(error)s") % {"error": error}])
        return
    job.succeed(summary=_("%(count)s records in both versions.") % {"count": count})
    # Zips of earlier versions are stale: keep only this one.
    older = ArchiveJob.objects.filter(kind=ArchiveJob.Kind.ZIP, created_at__lt=job.created_at)
    for old in older.exclude(data_version=job.data_version).exclude(
        status__in=[ArchiveJob.Status.QUEUED, ArchiveJob.Status.RUNNING]
    ):
        old.result.delete(save=False)
        old.delete()
    log.info("zip of data version %s built at %s", job.data_version, timezone.now())
