"""The API's structure and units (`/api/v1/structure`, `/api/v1/units/<slug>`): what the chart
and the unit page show, for programs, with each date's certainty and what the registry infers
as in the exports."""

import datetime

from django.urls import reverse
from ninja import Router, Schema

from history.models import Change, Disputes
from socialforvaltning.api import (
    DATE,
    PAGE,
    RECORDED,
    SIZE,
    AsOfOut,
    PageOut,
    as_of_out,
    page_links,
    read,
)
from socialforvaltning.asof import AsOf
from socialforvaltning.periods import Dating

from .models import (
    Unit,
    UnitNode,
    placement_of_each,
    placements_of,
    placements_of_units,
)
from .pages import place_as_of, unit_or_404, unit_tasks
from .structure import Structure

router = Router(tags=["Structure and units"])


class DatingOut(Schema):
    """When something took effect, as certain as the sources say (as in the exports)."""

    date: str | None
    certainty: str
    not_before: str | None
    not_after: str | None
    display: str


class PlacedUnitOut(Schema):
    slug: str
    url: str
    api_url: str
    name: str | None
    short_name: str | None
    kind: str
    target_group: str | None
    parent: str | None
    path: list[str]
    level: int
    placed_from: DatingOut
    placed_until: DatingOut | None
    placed_last_day: str | None
    inferred: list[str]
    disputed: list[str]


class StructurePage(PageOut):
    as_of: AsOfOut
    results: list[PlacedUnitOut]


def _dating(dating: Dating | None) -> dict | None:
    return dating.as_json() if dating is not None else None


def _unit_urls(request, slug: str) -> dict:
    return {
        "url": request.build_absolute_uri(reverse("orgunits:detail", args=[slug])),
        "api_url": request.build_absolute_uri(reverse("api:unit", args=[slug])),
    }


def _ends(placement) -> dict:
    """Since when and until when a unit sat where it sat, each end with its certainty; the
    last day only where the end is exact (as in the exports)."""
    end = placement.last.end_dating if placement.valid_to else None
    return {
        "placed_from": _dating(placement.first.start_dating),
        "placed_until": _dating(end),
        "placed_last_day": (
            placement.last_day.isoformat() if end is not None and end.is_exact else None
        ),
    }


def _placed_unit(request, node, *, date, slugs: dict, parents: dict, placement, disputes):
    unit = node.unit
    name = unit.name_on(date)
    kind, target_group = Structure.classification(node)
    path, at = [], node.pk
    while at is not None:
        path.append(slugs[at])
        at = parents.get(at)
    first, last = placement.first, placement.last
    return {
        "slug": unit.slug,
        **_unit_urls(request, unit.slug),
        "name": name.name if name else None,
        "short_name": (name.short_name or None) if name else None,
        "kind": kind,
        "target_group": target_group or None,
        "parent": slugs[node.parent_id] if node.parent_id else None,
        "path": path[::-1],
        "level": len(path) - 1,
        **_ends(placement),
        "inferred": [r.value for r in unit.readings(name, Structure.own_kind(node))],
        "disputed": [
            end_name
            for end_name, change_id in (
                ("placed_from", first.opened_by_id),
                ("placed_until", last.closed_by_id),
            )
            if disputes.of_change(change_id)
        ],
    }


@read(router, "/structure", StructurePage, name="structure", summary="The structure on a date")
def structure(
    request, date: str = DATE, recorded: str = RECORDED, page: int = PAGE, page_size: int = SIZE
):
    """Every unit placed on the date, in tree order (a parent before its units, siblings in
    the chart's order): its parent, its path from the top, its kind and target group on the
    date, since when it sat there (and until when), with each date's certainty. Stable order
    across pages; with `recorded`, the structure as the registry recorded it then."""
    when = AsOf.from_request(request)
    start = (page - 1) * page_size
    if when.recorded is None:
        placed = UnitNode.objects.valid_on(when.date)
        links = page_links(request, page, page_size, placed.count())
        # The page's ids first (an offset over narrow rows), then its nodes alone read whole.
        ids = placed.order_by("tree_id", "lft").values_list("pk", flat=True)
        nodes = list(
            UnitNode.objects.tree_on(when.date).filter(pk__in=ids[start : start + page_size])
        )
        slugs, parents = _above(nodes, when.date)
        placements = placement_of_each(nodes, placements_of_units({n.unit_id for n in nodes}))
    else:  # as recorded then: the whole recorded tree, paged in memory
        then = Structure.as_of(when)
        links = page_links(request, page, page_size, len(then))
        nodes = then.nodes[start : start + page_size]
        slugs = {n.pk: n.unit.slug for n in then.nodes}
        parents = {n.pk: n.parent_id for n in then.nodes}
        placements = then.placements
    disputes = Disputes()
    results = [
        _placed_unit(
            request,
            node,
            date=when.date,
            slugs=slugs,
            parents=parents,
            placement=placements[node.pk],
            disputes=disputes,
        )
        for node in nodes
    ]
    return {**links, "as_of": as_of_out(when), "results": results}


def _above(nodes: list, date: datetime.date) -> tuple[dict, dict]:
    """Slug and parent of the page's nodes and of every node above them (two queries: the
    first node's lineage, and its rows). A page is a run of the tree in order, so whatever
    lies above a node of it and not on it lies above its first node; and what lies above a
    node valid on the date is valid then too."""
    if not nodes:
        return {}, {}
    above = [pk for pk, _unit in UnitNode.objects.filter(pk=nodes[0].pk).lineage()]
    rows = [(n.pk, n.parent_id, n.unit.slug) for n in nodes]
    rows += list(UnitNode.objects.filter(pk__in=above).values_list("pk", "parent_id", "unit__slug"))
    return {pk: slug for pk, _, slug in rows}, {pk: parent for pk, parent, _ in rows}


# One unit ------------------------------------------------------------------------------


class NameOut(Schema):
    name: str
    short_name: str | None
    kind: str
    language: str
    valid_from: DatingOut
    valid_to: DatingOut | None
    inferred: list[str]


class PlacementOut(Schema):
    parent: str | None
    placed_from: DatingOut
    placed_until: DatingOut | None
    placed_last_day: str | None


class ClassificationOut(Schema):
    kind: str
    target_group: str | None
    valid_from: str | None
    valid_to: str | None


class IdentifierOut(Schema):
    scheme: str
    value: str


class UnitRefOut(Schema):
    slug: str
    name: str | None
    api_url: str


class OnDateOut(Schema):
    name: str | None
    short_name: str | None
    kind: str
    target_group: str | None
    parent: UnitRefOut | None
    path: list[UnitRefOut]
    units_below: list[UnitRefOut]
    uncertain: bool
    inferred: list[str]


class HeldTaskOut(Schema):
    task: str
    name: str
    role: str
    post: str | None
    start: DatingOut
    end: DatingOut | None
    inferred: bool
    api_url: str


class LineageOut(Schema):
    unit: UnitRefOut
    change: str
    date: DatingOut
    reorganisation: int


class CitationOut(Schema):
    document: str
    heading: str
    excerpt: str
    role: str


class UnitOut(Schema):
    slug: str
    url: str
    api_url: str
    as_of: AsOfOut
    kind: str
    target_group: str | None
    record_status: str
    has_authority_record: bool
    description: str
    on_date: OnDateOut | None
    names: list[NameOut]
    placements: list[PlacementOut]
    classifications: list[ClassificationOut]
    identifiers: list[IdentifierOut]
    tasks: list[HeldTaskOut]
    predecessors: list[LineageOut]
    successors: list[LineageOut]
    sources: list[CitationOut]


def _ref(request, unit, date) -> dict:
    return {
        "slug": unit.slug,
        "name": unit.name_at(date),
        "api_url": request.build_absolute_uri(reverse("api:unit", args=[unit.slug])),
    }


def _placement_out(placement) -> dict:
    return {
        "parent": placement.parent.unit.slug if placement.parent_id else None,
        **_ends(placement),
    }


def _on_date(request, unit, when) -> dict | None:
    """The unit on the date, as the unit page shows it: live, or as recorded then."""
    date = when.date
    live = next((n for n in unit.nodes.all() if n.is_valid_on(date)), None)
    node, above, below = place_as_of(when, unit.pk, live)
    if node is None:
        return None
    if when.recorded is None:
        kind, target_group = unit.kind_on, unit.target_group_on
        own_kind = getattr(unit, "reclassified_on", None) is None
        name = unit.name_on(date)
    else:  # the recorded row carries its classification
        kind, target_group = Structure.classification(node)
        own_kind = True
        name = node.unit.name_on(date)
    parent = above[-1].unit if above else None
    return {
        "name": name.name if name else None,
        "short_name": (name.short_name or None) if name else None,
        "kind": kind,
        "target_group": target_group or None,
        "parent": _ref(request, parent, date) if parent else None,
        "path": [_ref(request, n.unit, date) for n in above],
        "units_below": [_ref(request, n.unit, date) for n in below],
        "uncertain": node.uncertain_on(date),
        "inferred": [r.value for r in unit.readings(name, own_kind)],
    }


def _lineage(request, changes, unit, *, towards: str) -> list[dict]:
    rows = []
    for change in changes:  # mergers and splits
        if towards == "predecessors" and change.target_id == unit.pk:
            other = change.unit
        elif towards == "successors" and change.unit_id == unit.pk:
            other = change.target
        else:
            continue
        rows.append(
            {
                "unit": _ref(request, other, change.reorganisation.date),
                "change": change.kind,
                "date": _dating(change.reorganisation.dating),
                "reorganisation": change.reorganisation_id,
            }
        )
    return rows


@read(router, "/units/{slug}", UnitOut, name="unit", summary="One unit")
def unit(request, slug: str, date: str = DATE, recorded: str = RECORDED):
    """A unit's record: its names, placements, kind and target group over time, identifiers
    and sources; what it was on the date (name, parent, path from the top, units below; as
    recorded then with `recorded`); the tasks it held on the date; and its predecessors and
    successors (mergers and splits)."""
    when = AsOf.from_request(request)
    # As its page: a unit only a plan creates is not on record until the plan is decided.
    found = unit_or_404(slug, Unit.objects.classified_on(when.date).with_record())
    changes = list(Change.objects.in_force().lineage_of(found))
    return {
        "slug": found.slug,
        **_unit_urls(request, found.slug),
        "as_of": as_of_out(when),
        "kind": found.kind,
        "target_group": found.target_group or None,
        "record_status": found.record_status,
        # False: the reorganisation that created it was withdrawn; it stays for the history.
        "has_authority_record": Unit.objects.with_a_record().filter(pk=found.pk).exists(),
        "description": found.description,
        "on_date": _on_date(request, found, when),
        "names": [_name_out(n) for n in found.names.all()],
        "placements": [_placement_out(p) for p in placements_of(found.nodes.all())],
        "classifications": [_classification_out(c) for c in found.classifications.all()],
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in found.identifiers.all()],
        "tasks": [_held_task_out(request, r) for r in unit_tasks(found, when.date)],
        "predecessors": _lineage(request, changes, found, towards="predecessors"),
        "successors": _lineage(request, changes, found, towards="successors"),
        "sources": [_citation_out(c) for c in found.citations.all()],
    }


def _name_out(n) -> dict:
    return {
        "name": n.name,
        "short_name": n.short_name or None,
        "kind": n.kind,
        "language": n.language,
        "valid_from": _dating(n.start_dating),
        "valid_to": _dating(n.end_dating),
        "inferred": [
            field
            for field, inferred in (
                ("name", n.name_inferred),
                ("short_name", n.short_name_is_a_reading),
            )
            if inferred
        ],
    }


def _classification_out(c) -> dict:
    return {
        "kind": c.kind,
        "target_group": c.target_group or None,
        "valid_from": c.valid_from.isoformat() if c.valid_from else None,
        "valid_to": c.valid_to.isoformat() if c.valid_to else None,
    }


def _held_task_out(request, r) -> dict:
    return {
        "task": r.task.slug,
        "name": r.task.name,
        "role": r.role,
        "post": r.post.title if r.post else None,
        "start": _dating(r.start_dating),
        "end": _dating(r.end_dating),
        "inferred": r.inferred,
        "api_url": request.build_absolute_uri(reverse("api:task", args=[r.task.slug])),
    }


def _citation_out(c) -> dict:
    return {
        "document": c.document.title,
        "heading": c.heading,
        "excerpt": c.excerpt,
        "role": c.role,
    }
