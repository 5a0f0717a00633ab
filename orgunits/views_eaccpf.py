"""EAC-CPF exports: one unit's authority record in either version, and every record in a zip."""

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from socialforvaltning.middleware import reads_parameters

from .eaccpf import export
from .eaccpf.jobs import zip_job
from .eaccpf.schemas import V1, V2
from .models import ArchiveJob, Unit
from .views import base_url, unit_or_404

XML_TYPE = "application/xml; charset=utf-8"


def _record_response(request, slug: str, version: str, suffix: str) -> HttpResponse:
    unit = unit_or_404(slug)
    if not Unit.objects.with_a_record().filter(pk=unit.pk).exists():
        raise Http404(
            _(
                "“%(slug)s” has no authority record: the reorganisation that created it "
                "was withdrawn."
            )
            % {"slug": unit.slug}
        )
    (record,) = export.records_for(Unit.objects.filter(pk=unit.pk))
    response = HttpResponse(
        export.to_bytes(record, version, base_url=base_url(request)), content_type=XML_TYPE
    )
    response["Content-Disposition"] = f'inline; filename="{unit.slug}.{suffix}"'
    return response


@reads_parameters()
@require_safe
def unit_eac_cpf(request, slug):
    return _record_response(request, slug, V1, "eac-cpf.xml")


@reads_parameters()
@require_safe
def unit_eac_cpf_2(request, slug):
    return _record_response(request, slug, V2, "eac-cpf-2.xml")


@require_safe
def eac_cpf_zip(request):
    """The zip of every record, built by the background worker once per data version and
    served as a file; until it is ready, a page that follows the build and refreshes itself
    (202), or says why it failed (503: a new build is tried a minute later)."""
    job = zip_job(base_url(request))
    if job.status == ArchiveJob.Status.DONE:
        return FileResponse(
            job.result.open("rb"),
            as_attachment=True,
            filename="eac-cpf.zip",
            content_type="application/zip",
        )
    status = 503 if job.status == ArchiveJob.Status.FAILED else 202
    response = render(request, "orgunits/zip_progress.html", {"job": job}, status=status)
    response["Retry-After"] = "2" if status == 202 else "60"
    return response
