import bisect
import json
import unicodedata
from itertools import chain

from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import F, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from history.models import Change, ChangesOn, Disputes, Mark, Reorganisation
from orgunits.recorded import first_recorded, structure_as_recorded
from responsibilities.models import Responsibility
from socialforvaltning.asof import AsOf
from socialforvaltning.lib.dates import format_date
from socialforvaltning.middleware import reads_parameters, wants_linked_data

from .drawing import Drawing, draw
from .exports import jsonld
from .filters import UnitFilter
from .models import (
    Kind,
    TargetGroup,
    Unit,
    UnitName,
    UnitNode,
    classification_labels,
    placements_of,
)
from .structure import CHART_BUDGET, Structure, chart_window, fold

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


def unit_or_404(slug: str, queryset=None) -> Unit:
    unit = (queryset if queryset is not None else Unit.objects).on_record().filter(slug=slug)
    unit = unit.first()
    if unit is None:
        raise Http404(_("The registry has no unit “%(slug)s”.") % {"slug": slug[:100]})
    return unit


# The chart's strip of reorganisation dates shows this many on each side of its date; the
# timeline has them all. Hundreds of dates would cost more to draw than the chart itself.
STRIP_DATES_EACH_SIDE = 8


def reorganisation_days() -> list:
    """Each date on which the structure changed, in order (the dates alone: a registry with
    hundreds of reorganisations reads no more than their dates for the chart)."""
    return list(
        Reorganisation.objects.in_force()
        .exclude(date=None)
        .order_by("date")
        .values_list("date", flat=True)
        .distinct()
    )


def dates_around(days: list, date, each_side: int = STRIP_DATES_EACH_SIDE):
    """The reorganisations on the days of `days` nearest `date`, `each_side` before it and
    after it (with the date itself), by day; and whether any days lie beyond on either side."""
    first_after = bisect.bisect_right(days, date)
    start = max(0, bisect.bisect_left(days, date) - each_side)
    end = min(len(days), first_after + each_side)
    strip = {day: [] for day in days[start:end]}
    if strip:
        on_strip = Reorganisation.objects.in_force().filter(date__in=list(strip))
        for reorganisation in on_strip.chronological():
            strip[reorganisation.date].append(reorganisation)
    return strip, start > 0, end < len(days)


def chart_depth(request) -> int:
    depth = short_param(request, "depth") or "5"
    # isdigit() alone also accepts digits such as "²" that int() refuses.
    if not (depth.isascii() and depth.isdigit()) or not 1 <= int(depth) <= 12:
        raise BadRequest(_("The depth must be a whole number from 1 to 12."))
    return int(depth)


def chart_of(as_of: AsOf, root_slug: str | None, depth: int):
    """What the organigram of the request draws: (structure, root node or None, folded
    counts, levels drawn, a notice when the branch asked for did not exist on the date),
    folded alike now and as recorded at a moment."""
    date, recorded = as_of.date, as_of.recorded

    def window(slug):
        if recorded is None:
            return chart_window(date, root_slug=slug, depth=depth)
        structure = Structure(date, structure_as_recorded(date, recorded))
        root = structure.by_unit.get(unit_or_404(slug).pk) if slug else None
        if slug and root is None:
            return None, None, {}, depth
        return fold(structure, root, depth)

    structure, root, folded, levels = window(root_slug)
    if structure is not None:
        return structure, root, folded, levels, ""
    # The branch's unit did not exist on the date: say so, and show its successor's branch.
    gone = unit_or_404(root_slug)  # an unknown unit: 404
    successor = gone.successor_on(date)
    structure, root, folded, levels = window(successor.slug if successor else None)
    if structure is None:  # as recorded, the successor was not there either
        structure, root, folded, levels = window(None)
    names = {"unit": gone.name_at(date), "date": format_date(date)}
    if root is not None:
        notice = _(
            "%(unit)s did not exist on %(date)s; the unit that carried it on, "
            "%(successor)s, is shown instead."
        ) % {**names, "successor": successor.name_at(date)}
    else:
        notice = _("%(unit)s did not exist on %(date)s, so the whole chart is shown.") % names
    return structure, root, folded, levels, notice


def chart_ancestors(structure: Structure, root, date) -> list:
    """The units above the branch's root on the date, from the top, with their names."""
    if root is None or root.parent_id is None:
        return []
    if root.parent_id in structure.by_id:
        return [(n.unit, n.unit.name_on(date)) for n in structure.path(root)[:-1]]
    return [(n.unit, n.unit.name_on(date)) for n in root.neighbourhood_on(date)[0]]


# A chart's search lists this many of its matches, and marks at most FOUND_READ drawn ones.
FOUND_LISTED, FOUND_READ = 20, 200


# A search (`q`) is answered but not cached: each text would be an entry of its own.
@reads_parameters("date", "recorded", "root", "depth")
@require_safe
def chart(request):
    as_of = AsOf.from_request(request)
    date = as_of.date
    depth, root_slug, text = chart_depth(request), short_param(request, "root"), ""
    found = []
    if text := short_param(request, "q"):
        found = Unit.objects.called_on(date, text).placed_on(date).by_name(date)
        found = list(found[:FOUND_READ])
    structure, root, folded, levels, notice = chart_of(as_of, root_slug or None, depth)
    hidden = [u for u in found if u.pk not in structure.by_unit]
    if found and len(hidden) == len(found) and as_of.recorded is None:
        # No match is drawn (folded away, or outside the branch): show the first one's.
        parent = hidden[0].node_on_date[0].parent
        structure, root, folded, levels, notice = chart_of(
            as_of, parent.unit.slug if parent else None, depth
        )
        hidden = [u for u in found if u.pk not in structure.by_unit]
    days = reorganisation_days()
    strip, more_before, more_after = dates_around(days, date)
    # As recorded at a moment, the day's reorganisations are those of now: mark none.
    on_date = strip.get(date, []) if as_of.recorded is None else []
    changes = ChangesOn(date, on_date, structure.by_unit)
    items = structure.chart(
        root=root,
        folded=folded,
        disputes=Disputes(),
        changes=changes,
        found=[u.pk for u in found],
    )
    return render(
        request,
        "orgunits/chart.html",
        {
            "date": date,
            "recorded": as_of.recorded,
            "first_recorded": first_recorded() if as_of.recorded is not None else None,
            "chart": items,
            # What the page prints: the server's drawing, where it fits on a page.
            "drawing": mark_safe(drawn(request, as_of, items, root).svg(inline=True))  # noqa: S308
            if items and len(structure) <= DRAWN_AT_MOST
            else None,
            "root": root,
            "ancestors": chart_ancestors(structure, root, date),
            "depth": depth,
            "levels_drawn": levels,
            "branch_notice": notice,
            "folded_to_fit": levels < depth and bool(folded),
            "chart_budget": CHART_BUDGET,
            "unit_count": len(structure),
            "search": text,
            "found": found[:FOUND_LISTED],
            "found_more": max(0, len(found) - FOUND_LISTED),
            "found_hidden": {u.pk for u in hidden},
            "changes": changes,
            "marks": Mark.choices,
            "dates": strip,
            "more_dates_before": more_before,
            "more_dates_after": more_after,
            "previous_date": max((d for d in days if d < date), default=None),
            "next_date": min((d for d in days if d > date), default=None),
            "kinds": Kind.choices,
            "target_groups": TargetGroup.choices,
        },
    )


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
    on_date = Reorganisation.objects.in_force().filter(date=date)
    changes = ChangesOn(date, on_date, structure.by_unit)
    chart = structure.chart(root=root, folded=folded, disputes=Disputes(), changes=changes)
    if len(structure) > DRAWN_AT_MOST:
        raise BadRequest(
            _(
                "The chart holds %(n)s units, more than a drawing of one page can show "
                "(at most %(max)s): draw a branch of it (root=…)."
            )
            % {"n": len(structure), "max": DRAWN_AT_MOST}
        )
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
    units = filterset.qs.prefetch_related(
        "names", Prefetch("nodes", UnitNode.objects.with_datings())
    ).by_name(date)
    page = Paginator(units, 50).get_page(request.GET.get("page"))
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


def _versions_with_changes(records):
    """Each historical record, newest first, with what kind of record it is and the fields
    that changed from the version before it."""
    previous = {}
    rows = []
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        before = previous.get((type(record), record.id))
        changed = []
        if before is not None:
            changed = [
                str(record.instance_type._meta.get_field(c.field).verbose_name)
                for c in record.diff_against(before).changes
            ]
        previous[(type(record), record.id)] = record
        rows.append((record, record.instance_type._meta.verbose_name, changed))
    return rows[::-1]


@reads_parameters("date", "recorded")
@require_safe
@vary_on_headers("Accept")
def unit_detail(request, slug):
    if wants_linked_data(request):
        return unit_linked_data(request, slug)
    as_of = AsOf.from_request(request)
    date, recorded = as_of.date, as_of.recorded
    unit = unit_or_404(
        slug,
        Unit.objects.classified_on(date)
        .with_record()
        .prefetch_related("nodes__parent__unit__names"),  # the parents' names over time
    )
    nodes = list(unit.nodes.all())
    node_on_date = next((n for n in nodes if n.is_valid_on(date)), None)
    # A date inside an uncertain start or end: whether the unit existed is not known.
    maybe_on_date = None if node_on_date else next((n for n in nodes if n.uncertain_on(date)), None)
    children, path = [], []
    if node_on_date is not None:
        above, below = node_on_date.neighbourhood_on(date)
        path = [(n.unit, n.unit.name_on(date)) for n in above]
        children = [(child.unit, child.unit.name_at(date)) for child in below]
    placements = [
        (p, p.parent.unit.name_at(p.valid_from or date) if p.parent_id else None)
        for p in placements_of(nodes)
    ]
    placement_on_date = next((p for p, _ in placements if node_on_date in p.nodes), None)
    disputes = Disputes()
    # The reorganisations that began or ended a placement and that the sources disagree about.
    disputed = {
        change.reorganisation_id: (
            change.reorganisation,
            disputes.citations(change.reorganisation_id),
        )
        for p, _ in placements
        for change in (p.opened_by, p.closed_by)
        if change is not None and disputes.of_change(change.pk)
    }
    related = (
        Change.objects.in_force()
        .filter(Q(unit=unit) | Q(target=unit) | Q(previous_parent=unit))
        .select_related("reorganisation", "unit", "target", "previous_parent")
        .prefetch_related(
            "unit__names", "target__names", "previous_parent__names", "citations__document"
        )
        .order_by(F("reorganisation__date").asc(nulls_first=True), "id")
    )
    changes = list(related)
    joins = (Change.Kind.MERGED, Change.Kind.SPLIT)
    predecessors = [
        (c, c.unit, c.unit.name_at(c.reorganisation.date))
        for c in changes
        if c.kind in joins and c.target_id == unit.pk
    ]
    successors = [
        (c, c.target, c.target.name_at(c.reorganisation.date))
        for c in changes
        if c.kind in joins and c.unit_id == unit.pk
    ]
    reorganisations = list({c.reorganisation_id: c.reorganisation for c in changes}.values())
    trials = Reorganisation.objects.trial_moments()
    edits = _versions_with_changes(
        chain.from_iterable(
            versions.exclude(history_date__in=trials).select_related("history_user")
            for versions in (
                unit.history.all(),
                UnitName.history.filter(unit_id=unit.pk),
                unit.identifiers.model.history.filter(unit_id=unit.pk),
                UnitNode.history.filter(unit_id=unit.pk),
            )
        )
    )
    names = [n for n in unit.names.all() if n.kind == UnitName.Kind.AUTHORISED]
    other_names = [n for n in unit.names.all() if n.kind != UnitName.Kind.AUTHORISED]
    name = unit.name_on(date)
    parent_on_date = next(
        ((p.parent.unit, parent) for p, parent in placements if p is placement_on_date and parent),
        None,
    )
    if recorded is not None:
        # The unit on the date as the registry recorded it then: its name, parent, children.
        then = Structure(date, structure_as_recorded(date, recorded))
        node_on_date = then.by_unit.get(unit.pk)
        name = node_on_date.unit.name_on(date) if node_on_date else None
        parent = then.by_id.get(node_on_date.parent_id) if node_on_date else None
        parent_on_date = (parent.unit, then.name(parent)) if parent else None
        children = [
            (c.unit, then.name(c)) for c in (then.children[node_on_date.pk] if node_on_date else ())
        ]
        above = then.path(node_on_date)[:-1] if node_on_date else []
        path = [(n.unit, n.unit.name_on(date)) for n in above]
    return render(
        request,
        "orgunits/unit_detail.html",
        {
            "unit": unit,
            "date": date,
            "name": name,
            "recorded": recorded,
            "first_recorded": first_recorded() if recorded is not None else None,
            "display_name": name.name if name else unit.name_at(date),
            "names": names,
            "other_names": other_names,
            "placements": placements,
            "node_on_date": node_on_date,
            "placement_on_date": placement_on_date,
            "maybe_on_date": maybe_on_date,
            "disputed": sorted(disputed.values(), key=lambda pair: pair[0].dating.sort_key),
            "disputed_changes": disputes.reorganisation_of,
            "existence_disputed": unit.pk in disputes.units,
            "parent_on_date": parent_on_date,
            "path": path,
            "children": children,
            "predecessors": predecessors,
            "successors": successors,
            "changes": changes,
            "reorganisations": reorganisations,
            "edits": edits[:100],
            "tasks": unit_tasks(unit, date),
            "kind": unit.kind_on,
            "classification": unit.classification_display,
            "classifications": [
                (period, *classification_labels(period.kind, period.target_group))
                for period in unit.classifications.all()
            ],
            "first_classification": classification_labels(unit.kind, unit.target_group),
            "uncertain": node_on_date is not None and node_on_date.uncertain_on(date),
        },
    )


def unit_linked_data(request, slug):
    """The unit page asked for JSON-LD: the unit on the date (as recorded then, with
    `recorded`) as the structure export has it; a unit not placed on the date is named and
    no more."""
    as_of = AsOf.from_request(request)
    unit = unit_or_404(slug)
    if as_of.recorded is None:
        node = UnitNode.objects.tree_on(as_of.date).filter(unit=unit).first()
        above = node.neighbourhood_on(as_of.date)[0] if node else []
    else:
        then = Structure(as_of.date, structure_as_recorded(as_of.date, as_of.recorded))
        node = then.by_unit.get(unit.pk)
        above = then.path(node)[:-1] if node else []
    base = base_url(request)
    if node is None:
        document = {
            "@context": jsonld.context(base),
            "@id": jsonld.unit_iri(base, unit.slug),
            "@type": "org:OrganizationalUnit",
            "skos:prefLabel": {"@value": unit.name_at(as_of.date), "@language": "da"},
            "dct:valid": as_of.date.isoformat(),
        }
    else:
        document = jsonld.unit_document(
            base,
            node,
            as_of.date,
            parent_slug=above[-1].unit.slug if above else None,
            root_slug=above[0].unit.slug if above else None,
        )
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=1),
        content_type="application/ld+json; charset=utf-8",
    )
    return response


def unit_tasks(unit: Unit, date):
    """The unit's responsibilities on the date (owner, partner, contributor, anchored with)."""
    return list(
        Responsibility.objects.valid_on(date)
        .filter(unit=unit)
        .with_datings()
        .select_related("task", "post")
        .order_by("task__name")
    )
