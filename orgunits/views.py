import unicodedata

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from history.models import ChangesOn, Disputes, Reorganisation
from socialforvaltning.asof import AsOf
from socialforvaltning.lib.dates import format_date
from socialforvaltning.middleware import reads_parameters, wants_linked_data

from .drawing import Drawing, draw
from .exports import jsonld
from .filters import UnitFilter
from .models import Unit, UnitNode
from .pages import (
    chart_of,
    chart_page,
    place_as_of,
    unit_or_404,
    unit_page,
    unit_page_units,
)

MAX_PARAM_LENGTH = 200


def base_url(request) -> str:
    return settings.REGISTRY_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def short_param(request, name: str) -> str:
    # Composed (NFC), so that "å" typed as a + ring finds the "å" the registry stores.
    value = unicodedata.normalize("NFC", request.GET.get(name, "")).strip()
    if len(value) > MAX_PARAM_LENGTH:
        raise BadRequest(
            _("The parameter “%(name)s” is too long (at most %(max)s characters).")
            % {"name": name, "max": MAX_PARAM_LENGTH}
        )
    if "\x00" in value:  # PostgreSQL refuses it in a query: say so instead of failing
        raise BadRequest(_("The parameter “%(name)s” contains a null character.") % {"name": name})
    return value


# A search (`q`) is answered but not cached: each text would be an entry of its own.
@reads_parameters("date", "recorded", "root", "depth")
@require_safe
def chart(request):
    as_of = AsOf.from_request(request)
    depth, root_slug = chart_depth(request), short_param(request, "root")
    page = chart_page(as_of, root_slug=root_slug, depth=depth, text=short_param(request, "q"))
    # What the page prints: the server's drawing, where it fits on a page.
    drawing = None
    if page["chart"] and page["unit_count"] <= DRAWN_AT_MOST:
        drawing = drawn(request, as_of, page["chart"], page["root"]).svg(inline=True)
    return render(
        request,
        "orgunits/chart.html",
        {**page, "drawing": mark_safe(drawing) if drawing else None},  # noqa: S308
    )


def chart_depth(request) -> int:
    depth = short_param(request, "depth") or "5"
    # isdigit() alone also accepts digits such as "²" that int() refuses.
    if not (depth.isascii() and depth.isdigit()) or not 1 <= int(depth) <= 12:
        raise BadRequest(_("The depth must be a whole number from 1 to 12."))
    return int(depth)


# A drawing is one page: the chart as folded (at most CHART_BUDGET units) always fits, but a
# chart as recorded at a moment is not folded, and may hold the whole registry.
DRAWN_AT_MOST = 300


def drawn(request, as_of: AsOf, chart: list, root) -> Drawing:
    """The chart drawn for paper: its title, and a footer saying where it comes from."""
    top = chart[0].name if len(chart) == 1 else _("The organisation")
    site = base_url(request)
    page = f"{site}{reverse('orgunits:chart')}?{as_of.query(root=root.unit.slug if root else None)}"
    source = _("From Socialforvaltningen's organisational registry: %(page)s") % {"page": page}
    if as_of.recorded is not None:
        moment = date_format(localtime(as_of.recorded), "DATETIME_FORMAT")
        source += " " + _("(as recorded at %(moment)s)") % {"moment": moment}
    return draw(
        chart,
        title=_("%(unit)s on %(date)s") % {"unit": top, "date": format_date(as_of.date)},
        source=source,
        href=lambda item: f"{site}{item.unit.get_absolute_url()}?{as_of.query()}",
    )


@reads_parameters("date", "recorded", "root", "depth")
@require_safe
def chart_drawing(request, form: str):
    """The chart of the page, drawn on the server: SVG, or PDF on one A4 landscape page."""
    as_of = AsOf.from_request(request)
    date, depth = as_of.date, chart_depth(request)
    structure, root, folded, _levels, _notice = chart_of(
        as_of, short_param(request, "root") or None, depth
    )
    if len(structure) > DRAWN_AT_MOST:
        raise BadRequest(
            _(
                "The chart holds %(n)s units, more than a drawing of one page can show "
                "(at most %(max)s): draw a branch of it (root=…)."
            )
            % {"n": len(structure), "max": DRAWN_AT_MOST}
        )
    on_date = Reorganisation.objects.in_force().filter(date=date)
    changes = ChangesOn(date, on_date, structure.by_unit)
    chart = structure.chart(root=root, folded=folded, disputes=Disputes(), changes=changes)
    drawing = drawn(request, as_of, chart, root)
    if form == "svg":
        response = HttpResponse(drawing.svg(), content_type="image/svg+xml; charset=utf-8")
    else:
        response = HttpResponse(drawing.pdf(), content_type="application/pdf")
    name = f"organisation-{date.isoformat()}{'-' + root.unit.slug if root else ''}.{form}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@reads_parameters("date", "q", "kind", "target_group", "page")
@require_safe
def unit_list(request):
    filterset = UnitFilter(request.GET, queryset=Unit.objects.on_record())
    if not filterset.is_valid():
        raise BadRequest(
            " ".join(
                f"{filterset.form.fields[field].label}: {' '.join(errors)}"
                if field in filterset.form.fields
                else " ".join(errors)
                for field, errors in filterset.errors.items()
            )
        )
    date = filterset.form.cleaned_data.get("date")
    page = filterset.page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "orgunits/unit_list.html",
        {
            "filter": filterset,
            "page": page,
            "date": date,
            # The list reads no record time: its links carry the date alone.
            "as_of": AsOf(date) if date else None,
            "query": query.urlencode(),
            "rows": [(unit, unit.name_on(date) or unit.current_name()) for unit in page],
            "disputes": Disputes(),
        },
    )


@reads_parameters("date", "recorded")
@require_safe
@vary_on_headers("Accept")
def unit_detail(request, slug):
    if wants_linked_data(request):
        return unit_linked_data(request, slug)
    as_of = AsOf.from_request(request)
    unit = unit_or_404(slug, unit_page_units(as_of.date))
    return render(request, "orgunits/unit_detail.html", unit_page(unit, as_of))


def unit_linked_data(request, slug):
    """The unit page asked for JSON-LD: the unit on the date (as recorded then, with
    `recorded`) as the structure export has it; a unit not placed on the date is named and
    no more."""
    as_of = AsOf.from_request(request)
    unit = unit_or_404(slug)
    now = UnitNode.objects.tree_on(as_of.date).filter(unit=unit)  # read only if not recorded
    node, above, _below = place_as_of(as_of, unit.pk, now)
    base = base_url(request)
    if node is None:
        return jsonld.response(jsonld.unit_named(base, unit, as_of.date))
    document = jsonld.unit_document(
        base,
        node,
        as_of.date,
        parent_slug=above[-1].unit.slug if above else None,
        root_slug=above[0].unit.slug if above else None,
    )
    return jsonld.response(document)
