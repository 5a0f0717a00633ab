"""What the chart and a unit's page show, read for an `AsOf`: the views read the request,
ask these, and render.

Now, a page reads no more of the structure than it shows (a window of the chart, a unit's
neighbours); as recorded at a moment, it reads the recorded tree whole
(`Structure.as_of`) and walks it in memory.
"""

import bisect
from itertools import chain

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from history.models import Change, ChangesOn, Disputes, Mark, Reorganisation
from responsibilities.models import Responsibility
from socialforvaltning.asof import AsOf
from socialforvaltning.lib.dates import format_date

from .models import (
    Kind,
    TargetGroup,
    Unit,
    UnitName,
    UnitNode,
    classification_labels,
    placements_of,
)
from .recorded import first_recorded
from .structure import CHART_BUDGET, Structure, chart_window, fold


def unit_or_404(slug: str, queryset=None) -> Unit:
    unit = (queryset if queryset is not None else Unit.objects).on_record().filter(slug=slug)
    unit = unit.first()
    if unit is None:
        raise Http404(_("The registry has no unit “%(slug)s”.") % {"slug": slug[:100]})
    return unit


def place_as_of(as_of: AsOf, unit_id: int, node) -> tuple[UnitNode | None, list, list]:
    """Where the unit sat on the date: (its node, the nodes above it from the top, those right
    below it). Now, from `node`, its node valid on the date (or a query for it, read only
    here), and one tree read for its neighbours; as recorded then, from the recorded tree."""
    if as_of.recorded is not None:
        return Structure.as_of(as_of).place(unit_id)
    node = node.first() if isinstance(node, QuerySet) else node
    return (node, *node.neighbourhood_on(as_of.date)) if node else (None, [], [])


def _name_or_slug(node, date) -> str:
    name = node.unit.name_on(date)
    return name.name if name else node.unit.slug


# The unit page ----------------------------------------------------------------------------


def unit_page_units(date):
    """The units with what their page reads of them, in a fixed number of queries."""
    return (
        Unit.objects.classified_on(date)
        .with_record()
        .prefetch_related("nodes__parent__unit__names")  # the parents' names over time
    )


def unit_page(unit: Unit, as_of: AsOf) -> dict:
    """What the page of `unit` (read with `unit_page_units`) shows on the date."""
    date = as_of.date
    nodes = list(unit.nodes.all())
    live = next((n for n in nodes if n.is_valid_on(date)), None)
    placements = [
        (p, p.parent.unit.name_at(p.valid_from or date) if p.parent_id else None)
        for p in placements_of(nodes)
    ]
    placement_on_date = next((p for p, _ in placements if live in p.nodes), None)
    node, above, below = place_as_of(as_of, unit.pk, live)
    if as_of.recorded is None:
        name = unit.name_on(date)
        parent = next(
            (
                (p.parent.unit, parent_name)
                for p, parent_name in placements
                if p is placement_on_date and parent_name
            ),
            None,
        )
        children = [(child.unit, child.unit.name_at(date)) for child in below]
    else:  # the unit on the date as the registry recorded it then
        name = node.unit.name_on(date) if node else None
        parent = (above[-1].unit, _name_or_slug(above[-1], date)) if above else None
        children = [(child.unit, _name_or_slug(child, date)) for child in below]
    return {
        "unit": unit,
        "date": date,
        "name": name,
        "recorded": as_of.recorded,
        "first_recorded": first_recorded() if as_of.recorded is not None else None,
        "display_name": name.name if name else unit.name_at(date),
        "names": [n for n in unit.names.all() if n.kind == UnitName.Kind.AUTHORISED],
        "other_names": [n for n in unit.names.all() if n.kind != UnitName.Kind.AUTHORISED],
        "placements": placements,
        "node_on_date": node,
        "placement_on_date": placement_on_date,
        # A date inside an uncertain start or end: whether the unit existed is not known.
        "maybe_on_date": None if live else next((n for n in nodes if n.uncertain_on(date)), None),
        **_disputed(unit, placements),
        "parent_on_date": parent,
        "path": [(n.unit, n.unit.name_on(date)) for n in above],
        "children": children,
        **_lineage(unit),
        "edits": edits_of(unit)[:100],
        "tasks": unit_tasks(unit, date),
        "kind": unit.kind_on,
        "classification": unit.classification_display,
        "classifications": [
            (period, *classification_labels(period.kind, period.target_group))
            for period in unit.classifications.all()
        ],
        "first_classification": classification_labels(unit.kind, unit.target_group),
        "uncertain": node is not None and node.uncertain_on(date),
    }


def _disputed(unit: Unit, placements: list) -> dict:
    """The reorganisations that began or ended a placement and that the sources disagree
    about, with the passages that dispute them."""
    disputes = Disputes()
    disputed = {
        change.reorganisation_id: (
            change.reorganisation,
            disputes.citations(change.reorganisation_id),
        )
        for p, _ in placements
        for change in (p.opened_by, p.closed_by)
        if change is not None and disputes.of_change(change.pk)
    }
    return {
        "disputed": sorted(disputed.values(), key=lambda pair: pair[0].dating.sort_key),
        "disputed_changes": disputes.reorganisation_of,
        "existence_disputed": unit.pk in disputes.units,
    }


def _lineage(unit: Unit) -> dict:
    """The changes in force that name the unit, its reorganisations, and the units it came
    from and went into (mergers and splits), each named as on the change's date."""
    changes = list(
        Change.objects.involving(unit)
        .select_related("reorganisation", "unit", "target", "previous_parent")
        .prefetch_related(
            "unit__names", "target__names", "previous_parent__names", "citations__document"
        )
    )
    joins = (Change.Kind.MERGED, Change.Kind.SPLIT)
    return {
        "predecessors": [
            (c, c.unit, c.unit.name_at(c.reorganisation.date))
            for c in changes
            if c.kind in joins and c.target_id == unit.pk
        ],
        "successors": [
            (c, c.target, c.target.name_at(c.reorganisation.date))
            for c in changes
            if c.kind in joins and c.unit_id == unit.pk
        ],
        "changes": changes,
        "reorganisations": list({c.reorganisation_id: c.reorganisation for c in changes}.values()),
    }


def edits_of(unit: Unit) -> list:
    """Each edit of the unit's record (itself, its names, identifiers and placements), newest
    first, with what kind of record it is and the fields that changed from the version
    before it. A plan's trial runs are no edits."""
    trials = Reorganisation.objects.trial_moments()
    records = chain.from_iterable(
        versions.exclude(history_date__in=trials).select_related("history_user")
        for versions in (
            unit.history.all(),
            UnitName.history.filter(unit_id=unit.pk),
            unit.identifiers.model.history.filter(unit_id=unit.pk),
            UnitNode.history.filter(unit_id=unit.pk),
        )
    )
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


def unit_tasks(unit: Unit, date):
    """The unit's responsibilities on the date (owner, partner, contributor, anchored with)."""
    return list(
        Responsibility.objects.valid_on(date)
        .filter(unit=unit)
        .with_datings()
        .select_related("task", "post")
        .order_by("task__name")
    )


# The chart --------------------------------------------------------------------------------


def chart_window_as_of(as_of: AsOf, root_slug: str | None, depth: int):
    """The chart's window: now, read in SQL down to what is drawn (`chart_window`); as
    recorded, the recorded tree folded in memory alike. The structure is None when the
    branch's unit was not there on the date."""
    if as_of.recorded is None:
        return chart_window(as_of.date, root_slug=root_slug, depth=depth)
    structure = Structure.as_of(as_of)
    root = structure.by_unit.get(unit_or_404(root_slug).pk) if root_slug else None
    if root_slug and root is None:
        return None, None, {}, depth
    return fold(structure, root, depth)


def chart_of(as_of: AsOf, root_slug: str | None, depth: int):
    """What the organigram of the request draws: (structure, root node or None, folded
    counts, levels drawn, a notice when the branch asked for did not exist on the date),
    folded alike now and as recorded at a moment."""
    date = as_of.date
    structure, root, folded, levels = chart_window_as_of(as_of, root_slug, depth)
    if structure is not None:
        return structure, root, folded, levels, ""
    # The branch's unit did not exist on the date: say so, and show its successor's branch.
    gone = unit_or_404(root_slug)  # an unknown unit: 404
    successor = gone.successor_on(date)
    structure, root, folded, levels = chart_window_as_of(
        as_of, successor.slug if successor else None, depth
    )
    if structure is None:  # as recorded, the successor was not there either
        structure, root, folded, levels = chart_window_as_of(as_of, None, depth)
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


def _date_strip(date) -> dict:
    """The strip of reorganisation dates around the chart's date, and the dates before and
    after it to step to."""
    days = reorganisation_days()
    strip, more_before, more_after = dates_around(days, date)
    return {
        "dates": strip,
        "more_dates_before": more_before,
        "more_dates_after": more_after,
        "previous_date": max((d for d in days if d < date), default=None),
        "next_date": min((d for d in days if d > date), default=None),
    }


# A chart's search lists this many of its matches, and marks at most FOUND_READ drawn ones.
FOUND_LISTED, FOUND_READ = 20, 200


def chart_found(date, text: str) -> list:
    """The units existing on the date that the chart's search `text` names, by name."""
    if not text:
        return []
    return list(Unit.objects.called_on(date, text).placed_on(date).by_name(date)[:FOUND_READ])


def chart_page(as_of: AsOf, *, root_slug: str, depth: int, text: str) -> dict:
    """What the chart shows: the organigram on the date from `root_slug` (or the top), down
    to `depth` levels, marking what the date's reorganisations did and what `text` finds."""
    date = as_of.date
    found = chart_found(date, text)
    structure, root, folded, levels, notice = chart_of(as_of, root_slug or None, depth)
    hidden = [u for u in found if u.pk not in structure.by_unit]
    if found and len(hidden) == len(found) and as_of.recorded is None:
        # No match is drawn (folded away, or outside the branch): show the first one's.
        parent = hidden[0].node_on_date[0].parent
        structure, root, folded, levels, notice = chart_of(
            as_of, parent.unit.slug if parent else None, depth
        )
        hidden = [u for u in found if u.pk not in structure.by_unit]
    strip = _date_strip(date)
    # As recorded at a moment, the day's reorganisations are those of now: mark none.
    on_date = strip["dates"].get(date, []) if as_of.recorded is None else []
    changes = ChangesOn(date, on_date, structure.by_unit)
    items = structure.chart(
        root=root, folded=folded, disputes=Disputes(), changes=changes, found=[u.pk for u in found]
    )
    return {
        "date": date,
        "recorded": as_of.recorded,
        "first_recorded": first_recorded() if as_of.recorded is not None else None,
        "chart": items,
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
        **strip,
        "kinds": Kind.choices,
        "target_groups": TargetGroup.choices,
    }
