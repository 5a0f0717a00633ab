"""The registry's EAC-CPF records read from the database, as `Record`s to be written as XML
(`export`) in either version.

`records_for(units)` reads them in a fixed number of queries whatever the number of units, as
rows (`values_list`): the zip reads every unit, and model instances would cost more than
writing the records. What a record says, from where:

- its fields, names (with their datings), identifiers and the citations of all three;
- existDates from the unit's placements, with the passages disputing its start or end;
- relations: hierarchical-parent / -child for each run of placements under the same parent,
  temporal-earlier / -later for merges and splits (`history.Change`), each naming the related
  unit as it was named on that day;
- the chronology: the reorganisations that changed the unit or a unit directly below it;
- the maintenance history (`maintenance`): every simple-history row of the unit, its names,
  identifiers and placements, with the user and the reason (trial reorganisations left out).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from history.models import Change, Disputes
from orgunits.models import (
    Citation,
    Kind,
    Unit,
    UnitIdentifier,
    UnitName,
    UnitNode,
    classification_labels,
    placements_of,
)
from orgunits.rows import Datings
from socialforvaltning.periods import Dating, describe_period, is_valid_on

from . import maintenance
from .record import (
    STRUCTURAL_CHANGES,
    Event,
    Identifier,
    MaintenanceEvent,
    Name,
    Record,
    Relation,
    Source,
    start_of,
)

# What a record says of the unit itself, as `Record` names it.
_UNIT_FIELDS = (
    "id",
    "slug",
    "kind",
    "kind_inferred",
    "target_group",
    "position",
    "description",
    "functions",
    "mandates",
    "internal_structure",
    "archival_type",
    "record_status",
    "detail_level",
    "maintenance_notes",
    "record_language",
)


def records_for(units: QuerySet) -> list[Record]:
    """The records of `units`, read in a fixed number of queries (for one unit or all)."""
    return list(Records(units))


class Records:
    """The records of `units`, read from the database in a fixed number of queries whatever
    their number, then made one at a time as they are iterated: the zip of every unit never
    holds them all. Read as rows, not model instances, which would cost more than the
    records."""

    def __init__(self, units: QuerySet):
        self.rows = list(units.values(*_UNIT_FIELDS))
        ids = {row["id"] for row in self.rows}
        chosen = units.order_by().values("pk")  # the units, as a subquery of each query below
        datings = Datings()
        nodes, child_nodes, cross_cutting = _placements_around(chosen, datings)
        changes, changes_of, within_of = _changes_around(chosen, ids, child_nodes)
        related = {n.parent_unit_id for ns in nodes.values() for n in ns if n.parent_id}
        related |= {n.unit_id for ns in child_nodes.values() for n in ns}
        related |= {n.unit_id for ns in cross_cutting.values() for n in ns}
        related |= {n.parent_unit_id for ns in cross_cutting.values() for n in ns}
        related |= {c.unit_id for c in changes} | {c.target_id for c in changes if c.target_id}
        names_of = _names_of(chosen, datings)
        others = related - ids  # the units mentioned that have no record in this batch
        authorised = [
            n for ns in names_of.values() for n in ns if n.kind == UnitName.Kind.AUTHORISED
        ]
        authorised += UnitName.objects.authorised().filter(unit_id__in=others).values_list(*_NAMING)
        slugs = {row["id"]: row["slug"] for row in self.rows}
        slugs.update(Unit.objects.filter(pk__in=others).values_list("pk", "slug"))
        self.batch = _Batch(
            nodes=nodes,
            child_nodes=child_nodes,
            cross_cutting=cross_cutting,
            changes_of=changes_of,
            within_of=within_of,
            names=_Names(authorised),
            slugs=slugs,
            names_of=names_of,
            identifiers_of=_identifiers_of(chosen),
            citations=_citations(chosen),
            history=maintenance.history_of(chosen),
            disputes=Disputes(),
            datings=datings,
        )

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Record]:
        return (_record(row, self.batch) for row in self.rows)


class _Node(NamedTuple):
    """A placement (`UnitNode`) as a row, with its datings and its parent's unit."""

    unit_id: int
    unit_kind: str
    parent_id: int | None
    parent_unit_id: int | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    opened_by_id: int | None
    closed_by_id: int | None
    start_dating: Dating
    end_dating: Dating | None


_NODE_FIELDS = (
    "unit_id",
    "unit__kind",
    "parent_id",
    "parent__unit_id",
    "valid_from",
    "valid_to",
    "opened_by_id",
    "closed_by_id",
    "opened_by__reorganisation_id",
    "closed_by__reorganisation_id",
)


def _nodes(queryset, datings: Datings, *more):
    """(`_Node`, *more) for each row of `queryset`, in the tree's order."""
    for *row, opened_in, closed_in in queryset.values_list(*more, *_NODE_FIELDS):
        *extra, unit_id, kind, parent_id, parent_unit_id, valid_from, valid_to, opened, closed = row
        node = _Node(
            unit_id,
            kind,
            parent_id,
            parent_unit_id,
            valid_from,
            valid_to,
            opened,
            closed,
            datings.start(valid_from, opened_in),
            datings.end(valid_to, closed_in),
        )
        yield node, *extra


def _placements_around(chosen, datings: Datings) -> tuple[dict, dict, dict]:
    """By unit id: its placements, the placements directly below it, and the cross-cutting
    units anchored with the head of a unit below it."""
    nodes = defaultdict(list)
    for (node,) in _nodes(UnitNode.objects.filter(unit__in=chosen), datings):
        nodes[node.unit_id].append(node)
    child_nodes = defaultdict(list)
    for (node,) in _nodes(UnitNode.objects.filter(parent__unit__in=chosen), datings):
        child_nodes[node.parent_unit_id].append(node)
    cross_cutting = defaultdict(list)
    anchored = UnitNode.objects.filter(
        parent__parent__unit__in=chosen, unit__kind=Kind.TVAERGAAENDE_ENHED
    )
    for node, anchor in _nodes(anchored, datings, "parent__parent__unit_id"):
        cross_cutting[anchor].append(node)
    return nodes, child_nodes, cross_cutting


class _Change(NamedTuple):
    pk: int
    kind: str
    unit_id: int
    target_id: int | None
    reorganisation_id: int


def _changes_around(chosen, ids: set, child_nodes: dict) -> tuple[list, dict, dict]:
    """The structural changes to the units or to units directly below them, in order; by unit
    id, those to it and those to a unit below it."""
    parents_of = defaultdict(list)  # a child unit → its placements under the units described
    for parent_id, placed in child_nodes.items():
        for node in placed:
            parents_of[node.unit_id].append((parent_id, node))
    below = UnitNode.objects.filter(parent__unit__in=chosen).values("unit_id")
    rows = (
        Change.objects.in_force()
        .filter(Q(unit__in=chosen) | Q(target__in=chosen) | Q(unit__in=below) | Q(target__in=below))
        .filter(kind__in=STRUCTURAL_CHANGES)
        .order_by(F("reorganisation__date").asc(nulls_first=True), "reorganisation_id", "id")
        .values_list(
            "pk", "kind", "unit_id", "target_id", "reorganisation_id", "reorganisation__date"
        )
    )
    changes, changes_of, within_of, seen = [], defaultdict(list), defaultdict(list), set()
    for *fields, day in rows:
        change = _Change(*fields)
        changes.append(change)
        before = day - datetime.timedelta(days=1) if day else None
        for unit_id in {change.unit_id, change.target_id} - {None}:
            if unit_id in ids:
                changes_of[unit_id].append(change)
            # A change to a unit below a described one is part of that one's history too
            # (the merger of two of its offices, a move between them).
            for parent_id, node in parents_of.get(unit_id, ()):
                below = day and (
                    is_valid_on(node.valid_from, node.valid_to, day)
                    or is_valid_on(node.valid_from, node.valid_to, before)
                )
                if below and (parent_id, change.pk) not in seen:
                    seen.add((parent_id, change.pk))
                    within_of[parent_id].append(change)
    return changes, changes_of, within_of


# A name as the names of related units are read: whose, its period, and the name.
_NAMING = ("unit_id", "kind", "valid_from", "valid_to", "name")


class _UnitName(NamedTuple):
    unit_id: int
    kind: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    name: str
    pk: int
    short_name: str
    name_inferred: bool
    short_name_inferred: bool
    language: str
    start: Dating | None  # None: nothing dates it (see `start_of`)
    end_dating: Dating | None


def _names_of(chosen, datings: Datings) -> dict:
    """The units' names, all kinds, by unit id."""
    names = defaultdict(list)
    rows = UnitName.objects.filter(unit__in=chosen).values_list(
        *_NAMING,
        "pk",
        "short_name",
        "name_inferred",
        "short_name_inferred",
        "language",
        "opened_by_id",
        "opened_by__reorganisation_id",
        "closed_by__reorganisation_id",
    )
    for *row, opened, opened_in, closed_in in rows:
        valid_from, valid_to = row[2], row[3]
        start = (
            None if valid_from is None and opened is None else datings.start(valid_from, opened_in)
        )
        name = _UnitName(*row, start, datings.end(valid_to, closed_in))
        names[name.unit_id].append(name)
    return names


def _identifiers_of(chosen) -> dict:
    identifiers = defaultdict(list)
    rows = UnitIdentifier.objects.filter(unit__in=chosen).values_list(
        "unit_id", "pk", "scheme", "value"
    )
    for unit_id, *identifier in rows:
        identifiers[unit_id].append(identifier)
    return identifiers


@dataclass
class _Batch:
    """What the records of a batch of units are read from, fetched once for all of them; the
    dicts are by unit id."""

    nodes: dict
    child_nodes: dict
    cross_cutting: dict
    changes_of: dict
    within_of: dict
    names: "_Names"  # of the units the records mention
    slugs: dict  # of the units the records mention
    names_of: dict  # every name of the units
    identifiers_of: dict
    citations: dict  # of the units, their names and identifiers
    history: dict
    disputes: Disputes
    datings: Datings
    periods: dict = field(default_factory=dict)  # the words for a period, once a period

    def period(self, placement) -> str:
        """`placement.period_display`, once for all the placements with its two datings."""
        key = (placement.start_dating, placement.end_dating)
        if key not in self.periods:
            self.periods[key] = describe_period(*key)
        return self.periods[key]


def _start_key(period) -> tuple:
    return (period.valid_from is not None, period.valid_from or datetime.date.min)


class _Names:
    """Authorised names of the units a batch of records mentions, to name related units."""

    def __init__(self, names):
        self.by_unit = defaultdict(list)
        for name in names:
            self.by_unit[name[0]].append(name)
        for unit_names in self.by_unit.values():
            unit_names.sort(key=lambda n: (n[2] is not None, n[2] or datetime.date.min))

    def on(self, unit_id: int, day: datetime.date | None, default: str) -> str:
        names = self.by_unit.get(unit_id)
        if not names:
            return default
        if day is None:
            return names[0][4]
        for name in names:  # (unit, kind, valid_from, valid_to, name, …): `_NAMING` first
            if is_valid_on(name[2], name[3], day):
                return name[4]
        ended = [n for n in names if n[3] is not None and n[3] <= day]
        return (ended[-1] if ended else names[0])[4]


def _citations(chosen) -> dict:
    """Citations of the units and of their names and identifiers, by (model, object id), as
    `Source`s without what they are about."""
    types = ContentType.objects.get_for_models(Unit, UnitName, UnitIdentifier)
    models = {types[model].pk: model for model in (Unit, UnitName, UnitIdentifier)}
    query = (
        Q(content_type=types[Unit], object_id__in=chosen)
        | Q(
            content_type=types[UnitName],
            object_id__in=UnitName.objects.filter(unit__in=chosen).values("pk"),
        )
        | Q(
            content_type=types[UnitIdentifier],
            object_id__in=UnitIdentifier.objects.filter(unit__in=chosen).values("pk"),
        )
    )
    rows = Citation.objects.filter(query).values_list(
        "content_type_id",
        "object_id",
        "document__title",
        "document__filename",
        "document__key",
        "heading",
        "excerpt",
        "role",
        "note",
    )
    found = defaultdict(list)
    for content_type_id, object_id, *source in rows:
        found[(models[content_type_id], object_id)].append(source)
    return found


def _source(citation, about: str = "") -> Source:
    return Source(
        title=citation.document.title,
        filename=citation.document.filename,
        document_key=citation.document.key,
        heading=citation.heading,
        passage=citation.excerpt,
        role=citation.role,
        note=citation.note,
        about=about,
    )


def _disputes_of(change_id, disputes) -> list[Source]:
    if not disputes.of_change(change_id):
        return []
    return [_source(c) for c in disputes.citations(disputes.reorganisation_of[change_id])]


def _structure(placements, cross_cutting, batch: _Batch) -> list[str]:
    """The units below a unit over time (its children's `placements`), and the
    cross-cutting units anchored with their heads, in words (EAC-CPF structureOrGenealogy),
    from the structure: never typed by hand."""
    names, lines = batch.names, []
    for placement in placements:
        unit_id = placement.first.unit_id
        name = names.on(unit_id, placement.valid_from, batch.slugs[unit_id])
        kind = classification_labels(placement.first.unit_kind, "")[0].lower()
        text = f"{name} ({kind}): {batch.period(placement)}"
        lines.append((placement.start_dating.sort_key, name, text))
    for placement in placements_of(cross_cutting):
        unit_id, office_id = placement.first.unit_id, placement.first.parent_unit_id
        name = names.on(unit_id, placement.valid_from, "")
        text = _("%(name)s (cross-cutting, anchored with the head of %(office)s): %(period)s") % {
            "name": name,
            "office": names.on(office_id, placement.valid_from, ""),
            "period": batch.period(placement),
        }
        lines.append((placement.start_dating.sort_key, name, text))
    return [text for *_key, text in sorted(lines)]


def _record(unit: dict, batch: _Batch) -> Record:
    """The record of `unit` (its row: `_UNIT_FIELDS`)."""
    fields = dict(unit)
    pk = fields.pop("id")
    record = Record(**fields)
    refs = _names_and_identifiers(pk, record, batch)
    cited = [(source, "") for source in batch.citations.get((Unit, pk), ())]
    for key, ref in refs:
        cited += [(source, ref) for source in batch.citations.get(key, ())]
    record.sources = [Source(*source, about=about) for source, about in cited]
    nodes = sorted(batch.nodes.get(pk, ()), key=_start_key)
    child_nodes = sorted(batch.child_nodes.get(pk, ()), key=lambda n: (n.unit_id, *_start_key(n)))
    if nodes:
        record.has_exist_dates = True
        record.exists_from = start_of(nodes[0])
        record.exists_to = nodes[-1].end_dating
        record.start_disputes = _disputes_of(nodes[0].opened_by_id, batch.disputes)
        record.end_disputes = _disputes_of(nodes[-1].closed_by_id, batch.disputes)
    below = placements_of(child_nodes)
    record.relations = _hierarchical_relations(nodes, below, batch)
    record.structure = _structure(below, batch.cross_cutting.get(pk, ()), batch)
    changes = batch.changes_of.get(pk, ())
    record.relations += _temporal_relations(pk, changes, batch)
    record.events = _events(pk, changes, batch.within_of.get(pk, ()), batch.datings)
    record.maintenance = [MaintenanceEvent(*event) for event in batch.history.get(pk, ())]
    return record


def _names_and_identifiers(pk: int, record: Record, batch: _Batch) -> list:
    """Adds the unit's names (authorised first) and identifiers to `record`; returns the id
    each is given in it, by (model, pk), for the sources about them."""
    order = {UnitName.Kind.AUTHORISED: 0, UnitName.Kind.PARALLEL: 1, UnitName.Kind.OTHER: 2}
    unit_names = sorted(
        batch.names_of.get(pk, ()),
        key=lambda n: (order.get(n.kind, 3), *_start_key(n), n.pk),
    )
    refs = []
    for i, name in enumerate(unit_names, 1):
        refs.append(((UnitName, name.pk), f"name-{i}"))
        record.names.append(
            Name(
                kind=name.kind,
                name=name.name,
                short_name=name.short_name,
                name_inferred=name.name_inferred,
                short_name_inferred=name.short_name_inferred,
                language=name.language,
                start=name.start,
                end=name.end_dating,
                ref=f"name-{i}",
            )
        )
    for i, (identifier_pk, scheme, value) in enumerate(batch.identifiers_of.get(pk, ()), 1):
        refs.append(((UnitIdentifier, identifier_pk), f"identifier-{i}"))
        record.identifiers.append(Identifier(scheme=scheme, value=value, ref=f"identifier-{i}"))
    return refs


def _hierarchical_relations(nodes, below, batch: _Batch) -> list[Relation]:
    """The unit's parents over time, then the units below it (by start, name and slug)."""
    parents = [
        _hierarchical("hierarchical-parent", placement.first.parent_unit_id, placement, batch)
        for placement in placements_of(nodes)
        if placement.parent_id is not None
    ]
    children = [
        _hierarchical("hierarchical-child", placement.first.unit_id, placement, batch)
        for placement in below
    ]
    return parents + sorted(
        children, key=lambda r: ((r.start or Dating(None)).sort_key, r.name, r.slug)
    )


def _temporal_relations(pk: int, changes: list, batch: _Batch) -> list[Relation]:
    """The units it was merged or split from (named as the day before) and into."""
    names, slugs = batch.names, batch.slugs
    relations = []
    for change in changes:
        if change.kind not in (Change.Kind.MERGED, Change.Kind.SPLIT):
            continue
        bound = batch.datings.change(change.reorganisation_id)
        if change.target_id == pk:
            day_before = bound.date - datetime.timedelta(days=1) if bound.date else None
            kind, other, day = "temporal-earlier", change.unit_id, day_before
        else:
            kind, other, day = "temporal-later", change.target_id, bound.date
        relations.append(
            Relation(
                kind,
                slugs[other],
                names.on(other, day, slugs[other]),
                start=bound,
                change=change.kind,
            )
        )
    return relations


def _events(pk: int, changes: list, changes_within: list, datings: Datings) -> list[Event]:
    """The chronology: each reorganisation that changed the unit, once a kind, then those that
    changed only units below it."""
    events, seen = [], set()
    for change in changes:
        reorganisation = change.reorganisation_id
        if change.unit_id != pk or (reorganisation, change.kind) in seen:
            continue
        seen.add((reorganisation, change.kind))
        events.append(
            Event(change.kind, datings.change(reorganisation), datings.titles[reorganisation])
        )
    own = {c.reorganisation_id for c in changes if c.unit_id == pk}
    for change in changes_within:
        reorganisation = change.reorganisation_id
        if reorganisation in own or (reorganisation, "within") in seen:
            continue
        seen.add((reorganisation, "within"))
        events.append(
            Event("within", datings.change(reorganisation), datings.titles[reorganisation])
        )
    # By date, then title: the same order in a registry rebuilt from these records.
    events.sort(key=lambda e: (e.bound.sort_key, e.title))
    return events


def _hierarchical(kind: str, unit_id: int, placement, batch: _Batch) -> Relation:
    slug = batch.slugs[unit_id]
    return Relation(
        kind,
        slug,
        batch.names.on(unit_id, placement.valid_from, slug),
        start=start_of(placement),
        end=placement.end_dating,
    )
