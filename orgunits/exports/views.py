"""The exports' views: the CSV of the units on a date, the organisation as JSON-LD, the
vocabulary of its terms, and EAC-CPF (one unit's authority record in either version, and
every record in a zip)."""

from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from orgunits.models import ArchiveJob, Unit
from orgunits.rows import rows_as_recorded, unit_rows
from orgunits.views import base_url, short_param, unit_or_404
from socialforvaltning.asof import AsOf
from socialforvaltning.middleware import reads_parameters

from . import csv, jsonld, vocabulary
from .eaccpf import collect, export
from .eaccpf.jobs import zip_job
from .eaccpf.schemas import V1, V2

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
    (record,) = collect.records_for(Unit.objects.filter(pk=unit.pk))
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


@reads_parameters()
@require_safe
def eac_cpf_zip(request):
    """The zip of every record, built by the background worker once per data version and
    served as a file, with the data version's ETag (a client that has it gets a 304, and
    the file is not opened); until it is ready, a page that follows the build and refreshes itself
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


@reads_parameters("date", "dialect")
@require_safe
def units_csv(request):
    date = AsOf.from_request(request, recorded=False).date
    asked = short_param(request, "dialect")
    if asked not in csv.DIALECTS:
        raise BadRequest(
            _("Unknown CSV dialect “%(dialect)s”: leave it out, or write excel-da.")
            % {"dialect": asked}
        )
    response = streamed(csv.chunks(date, csv.DIALECTS[asked]), "text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="enheder-{date.isoformat()}.csv"'
    return response


@reads_parameters("date", "recorded")
@require_safe
def org_jsonld(request):
    as_of = AsOf.from_request(request)
    rows = unit_rows(as_of.date) if as_of.recorded is None else rows_as_recorded(as_of)
    document = jsonld.organisation_graph(
        base_url=base_url(request),
        date=as_of.date,
        rows=rows,
        reorganisations=jsonld.reorganisations_as_of(as_of),
    )
    return streamed(jsonld.chunks(document), jsonld.CONTENT_TYPE)


def streamed(chunks, content_type: str) -> StreamingHttpResponse:
    """A response written as `chunks` yields it, after the view has returned: in the
    request's language, which the server's thread may no longer have by then."""
    language = get_language()

    def translated():
        with translation.override(language):
            yield from chunks

    return StreamingHttpResponse(translated(), content_type=content_type)


@reads_parameters()
@require_safe
def vocabulary_page(request):
    """What each `sof:` term and EAC-CPF local type means (the IRIs lead here)."""
    return render(request, "orgunits/vocabulary.html", {"groups": vocabulary.groups()})


@reads_parameters()
@require_safe
def vocabulary_jsonld(request):
    return jsonld.response(vocabulary.as_jsonld(base_url(request), get_language() or "da"))
