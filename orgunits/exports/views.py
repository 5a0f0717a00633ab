"""The exports' views: the CSV of the units on a date, the organisation as JSON-LD, the
vocabulary of its terms, and EAC-CPF (one unit's authority record in either version, and
every record in a zip)."""

import csv
import json

from django.core.exceptions import BadRequest
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from history.models import Change, Disputes, Reorganisation
from orgunits.models import ArchiveJob, Unit, UnitNode, placements_on
from orgunits.recorded import structure_as_recorded
from orgunits.structure import Structure
from orgunits.views import base_url, short_param, unit_or_404
from socialforvaltning.asof import AsOf
from socialforvaltning.lib.csvsafe import ExcelDanish, neutralised
from socialforvaltning.middleware import reads_parameters
from socialforvaltning.periods import last_day

from . import jsonld, vocabulary
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


def _disputed_ends(unit, placement, disputes) -> str:
    """The CSV's date columns that rest on a reorganisation the sources disagree about."""
    columns = (
        (_("exists from"), unit.pk in disputes.created),
        (_("exists to and including"), unit.pk in disputes.ended),
        (_("placed from"), disputes.of_change(placement.opened_by_id)),
        (_("placed to and including"), disputes.of_change(placement.closed_by_id)),
    )
    return "; ".join(str(column) for column, disputed in columns if disputed)


def _iso(date) -> str:
    return date.isoformat() if date else ""


# The CSV's dialects: commas by default, and semicolons for Danish Excel (?dialect=excel-da).
CSV_DIALECTS = {"": csv.excel, "excel-da": ExcelDanish}


@reads_parameters("date", "dialect")
@require_safe
def units_csv(request):
    date = AsOf.from_request(request, recorded=False).date
    asked = short_param(request, "dialect")
    if asked not in CSV_DIALECTS:
        raise BadRequest(
            _("Unknown CSV dialect “%(dialect)s”: leave it out, or write excel-da.")
            % {"dialect": asked}
        )
    structure = Structure(
        date,
        nodes=UnitNode.objects.tree_on(date)
        .with_unit_existence()
        .prefetch_related("unit__identifiers"),
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="enheder-{date.isoformat()}.csv"'
    response.write("\ufeff")  # so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(response, dialect=CSV_DIALECTS[asked])
    writer.writerow(
        [
            _("path"),
            _("name"),
            _("short name"),
            _("kind"),
            _("target group"),
            _("exists from"),
            _("exists to and including"),
            _("placed from"),
            _("placed to and including"),
            _("certainty"),
            _("sources disagree"),
            _("the registry's reading"),
            _("identifiers"),
            _("slug"),
        ]
    )
    placements = placements_on(date)
    disputes = Disputes()
    for node in structure.nodes:
        unit = node.unit
        name = unit.name_on(date)
        placement = placements[node.pk]
        # Every text cell is neutralised, as names and identifiers are typed by people; the
        # dates are the registry's own ISO dates, which never start like a formula.
        text = (
            " / ".join(structure.name(n) for n in structure.path(node)),
            name.name if name else "",
            name.short_name if name else "",
            *structure.labels(node),
        )
        writer.writerow(
            [
                *map(neutralised, text),
                node.unit_exists_from.isoformat() if node.unit_exists_from else "",
                _iso(last_day(node.unit_exists_until)),
                _iso(placement.valid_from),
                _iso(placement.last_day),
                neutralised(placement.certainty_text(date)),
                _disputed_ends(unit, placement, disputes),
                "; ".join(str(r.label) for r in unit.readings(name, Structure.own_kind(node))),
                neutralised("; ".join(str(i) for i in unit.identifiers.all())),
                neutralised(unit.slug),
            ]
        )
    return response


@reads_parameters("date", "recorded")
@require_safe
def org_jsonld(request):
    as_of = AsOf.from_request(request)
    date, recorded = as_of.date, as_of.recorded
    reorganisations = Reorganisation.objects.in_force().filter(
        Q(date__lte=date) | Q(date__isnull=True)
    )
    if recorded is None:
        nodes = UnitNode.objects.tree_on(date).prefetch_related("unit__identifiers")
        placements = placements_on(date)
    else:
        # Rows as recorded then, each its own placement: today's runs of nodes are not theirs.
        nodes, placements = structure_as_recorded(date, recorded), {}
        reorganisations = reorganisations.filter(
            pk__in=Reorganisation.history.filter(history_date__lte=recorded).values("id")
        )
    reorganisations = reorganisations.prefetch_related(
        Prefetch(
            "changes",
            queryset=Change.objects.select_related("unit", "target", "previous_parent"),
        )
    )
    document = jsonld.organisation_graph(
        base_url=base_url(request),
        date=date,
        nodes=nodes,
        placements=placements,
        reorganisations=reorganisations.chronological(),
    )
    return HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1),
        content_type="application/ld+json; charset=utf-8",
    )


@reads_parameters()
@require_safe
def vocabulary_page(request):
    """What each `sof:` term and EAC-CPF local type means (the IRIs lead here)."""
    return render(request, "orgunits/vocabulary.html", {"groups": vocabulary.groups()})


@reads_parameters()
@require_safe
def vocabulary_jsonld(request):
    return HttpResponse(
        json.dumps(
            vocabulary.as_jsonld(base_url(request), get_language() or "da"),
            ensure_ascii=False,
            indent=1,
        ),
        content_type="application/ld+json; charset=utf-8",
    )
