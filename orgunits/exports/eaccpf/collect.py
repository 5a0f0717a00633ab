"""The registry's EAC-CPF records read from the database, as `Record`s to be written as XML
(`export`) in either version.

`records_for(units)` reads them in a fixed number of queries whatever the number of units. What
a record says, from where:

- its fields, names (with their datings), identifiers and the citations of all three;
- existDates from the unit's placements, with the passages disputing its start or end;
- relations: hierarchical-parent / -child for each run of placements under the same parent,
  temporal-earlier / -later for merges and splits (`history.Change`), each naming the related
  unit as it was named on that day;
- the chronology: the reorganisations that changed the unit or a unit directly below it;
- the maintenance history: every simple-history row of the unit, its names, identifiers and
  placements, with the user and the reason (trial reorganisations left out).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from history.models import Change, Disputes, Reorganisation
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
from socialforvaltning.lib.people import SYSTEM_USERNAME, public_name
from socialforvaltning.periods import Dating

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


def records_for(units: QuerySet) -> list[Record]:
    """The records of `units`, read in a fixed number of queries (for one unit or all)."""
    units = list(
        units.prefetch_related(
            Prefetch(
                "names",
                queryset=UnitName.objects.with_datings(),
            ),
            "identifiers",
            Prefetch("citations", queryset=Citation.objects.select_related("document")),
        )
    )
    ids = [u.pk for u in units]
    nodes, child_nodes, cross_cutting = _placements_around(ids)
    changes, changes_of, within_of = _changes_around(ids, child_nodes)
    related = {n.parent.unit_id for ns in nodes.values() for n in ns if n.parent_id}
    related |= {n.unit_id for ns in child_nodes.values() for n in ns}
    related |= {n.unit_id for ns in cross_cutting.values() for n in ns}
    related |= {n.parent.unit_id for ns in cross_cutting.values() for n in ns}
    related |= {c.unit_id for c in changes} | {c.target_id for c in changes if c.target_id}
    batch = _Batch(
        nodes=nodes,
        child_nodes=child_nodes,
        cross_cutting=cross_cutting,
        changes_of=changes_of,
        within_of=within_of,
        names=_Names(UnitName.objects.authorised().filter(unit_id__in=related | set(ids))),
        slugs=dict(Unit.objects.filter(pk__in=related).values_list("pk", "slug")),
        citations=_part_citations(units),
        history=_history(ids),
        disputes=Disputes(),
    )
    return [_record(unit, batch) for unit in units]


def _placements_around(ids: list[int]) -> tuple[dict, dict, dict]:
    """By unit id: its placements, the placements directly below it, and the cross-cutting
    units anchored with the head of a unit below it."""
    nodes = defaultdict(list)
    for node in UnitNode.objects.filter(unit_id__in=ids).with_datings().select_related("parent"):
        nodes[node.unit_id].append(node)
    child_nodes = defaultdict(list)
    for node in (
        UnitNode.objects.filter(parent__unit_id__in=ids)
        .with_datings()
        .select_related("parent", "unit")
    ):
        child_nodes[node.parent.unit_id].append(node)
    cross_cutting = defaultdict(list)
    for node in (
        UnitNode.objects.filter(parent__parent__unit_id__in=ids, unit__kind=Kind.TVAERGAAENDE_ENHED)
        .with_datings()
        .select_related("parent__parent")
    ):
        cross_cutting[node.parent.parent.unit_id].append(node)
    return nodes, child_nodes, cross_cutting


def _changes_around(ids: list[int], child_nodes: dict) -> tuple[list, dict, dict]:
    """The structural changes to the units or to units directly below them, in order; by unit
    id, those to it and those to a unit below it."""
    parents_of = defaultdict(list)  # a child unit → its placements under the units described
    for parent_id, placed in child_nodes.items():
        for node in placed:
            parents_of[node.unit_id].append((parent_id, node))
    involved = set(ids) | set(parents_of)
    changes = list(
        Change.objects.in_force()
        .filter(Q(unit_id__in=involved) | Q(target_id__in=involved))
        .filter(kind__in=STRUCTURAL_CHANGES)
        .select_related("reorganisation")
        .order_by(F("reorganisation__date").asc(nulls_first=True), "reorganisation_id", "id")
    )
    changes_of, within_of = defaultdict(list), defaultdict(list)
    for change in changes:
        for unit_id in {change.unit_id, change.target_id} - {None}:
            if unit_id in ids:
                changes_of[unit_id].append(change)
            # A change to a unit below a described one is part of that one's history too
            # (the merger of two of its offices, a move between them).
            day = change.reorganisation.date
            before = change.reorganisation.day_before
            for parent_id, node in parents_of.get(unit_id, ()):
                below = day and (node.is_valid_on(day) or node.is_valid_on(before))
                if below and change not in within_of[parent_id]:
                    within_of[parent_id].append(change)
    return changes, changes_of, within_of


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
    citations: dict  # of the units' names and identifiers
    history: dict
    disputes: Disputes


def _start_key(node) -> tuple:
    return (node.valid_from is not None, node.valid_from or datetime.date.min)


class _Names:
    """Authorised names of the units a batch of records mentions, to name related units."""

    def __init__(self, names: Iterable[UnitName]):
        self.by_unit = defaultdict(list)
        for name in names:
            self.by_unit[name.unit_id].append(name)
        for unit_names in self.by_unit.values():
            unit_names.sort(key=_start_key)

    def on(self, unit_id: int, day: datetime.date | None, default: str) -> str:
        names = self.by_unit.get(unit_id) or []
        if not names:
            return default
        if day is None:
            return names[0].name
        valid = [n for n in names if n.is_valid_on(day)]
        if valid:
            return valid[0].name
        ended = [n for n in names if n.valid_to is not None and n.valid_to <= day]
        return (ended[-1] if ended else names[0]).name


def _part_citations(units) -> dict:
    """Citations of the units' names and identifiers, by (model, object id)."""
    name_ids = [n.pk for u in units for n in u.names.all()]
    identifier_ids = [i.pk for u in units for i in u.identifiers.all()]
    types = ContentType.objects.get_for_models(UnitName, UnitIdentifier)
    found = defaultdict(list)
    query = Q(content_type=types[UnitName], object_id__in=name_ids) | Q(
        content_type=types[UnitIdentifier], object_id__in=identifier_ids
    )
    for citation in Citation.objects.filter(query).select_related("document"):
        model = UnitName if citation.content_type_id == types[UnitName].pk else UnitIdentifier
        found[(model, citation.object_id)].append(citation)
    return found


def _history(ids: list[int]) -> dict[int, list]:
    """Every historical row of the units and of their names, identifiers and placements."""
    rows = defaultdict(list)
    trials = Reorganisation.objects.trial_moments()
    tables = [
        (Unit.history.filter(id__in=ids), "id"),
        (UnitName.history.filter(unit_id__in=ids), "unit_id"),
        (UnitIdentifier.history.filter(unit_id__in=ids), "unit_id"),
        (UnitNode.history.filter(unit_id__in=ids), "unit_id"),
    ]
    for order, (queryset, unit_field) in enumerate(tables):
        for row in queryset.exclude(history_date__in=trials).select_related("history_user"):
            rows[getattr(row, unit_field)].append((row.history_date, order, row.history_id, row))
    return {unit_id: [r[-1] for r in sorted(rows[unit_id])] for unit_id in ids}


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


def _structure(child_nodes, cross_cutting, names: "_Names") -> list[str]:
    """The units below a unit over time, and the cross-cutting units anchored with their heads,
    in words (EAC-CPF structureOrGenealogy), from the structure: never typed by hand."""
    lines = []
    for placement in placements_of(child_nodes):
        unit = placement.first.unit
        name = names.on(unit.pk, placement.valid_from, unit.slug)
        kind = classification_labels(unit.kind, "")[0].lower()
        text = f"{name} ({kind}): {placement.period_display}"
        lines.append((placement.start_dating.sort_key, name, text))
    for placement in placements_of(cross_cutting):
        unit_id, office_id = placement.first.unit_id, placement.parent.unit_id
        name = names.on(unit_id, placement.valid_from, "")
        text = _("%(name)s (cross-cutting, anchored with the head of %(office)s): %(period)s") % {
            "name": name,
            "office": names.on(office_id, placement.valid_from, ""),
            "period": placement.period_display,
        }
        lines.append((placement.start_dating.sort_key, name, text))
    return [text for *_key, text in sorted(lines)]


def _record(unit: Unit, batch: _Batch) -> Record:
    record = Record(
        slug=unit.slug,
        kind=unit.kind,
        kind_inferred=unit.kind_inferred,
        target_group=unit.target_group,
        position=unit.position,
        description=unit.description,
        functions=unit.functions,
        mandates=unit.mandates,
        internal_structure=unit.internal_structure,
        archival_type=unit.archival_type,
        record_status=unit.record_status,
        detail_level=unit.detail_level,
        maintenance_notes=unit.maintenance_notes,
        record_language=unit.record_language,
    )
    refs = _names_and_identifiers(unit, record)
    cited = [(c, "") for c in unit.citations.all()]
    for key, ref in refs.items():
        cited += [(c, ref) for c in batch.citations.get(key, ())]
    record.sources = [_source(c, about) for c, about in cited]
    nodes = sorted(batch.nodes[unit.pk], key=_start_key)
    child_nodes = sorted(batch.child_nodes[unit.pk], key=lambda n: (n.unit_id, _start_key(n)))
    if nodes:
        record.has_exist_dates = True
        record.exists_from = start_of(nodes[0])
        record.exists_to = nodes[-1].end_dating
        record.start_disputes = _disputes_of(nodes[0].opened_by_id, batch.disputes)
        record.end_disputes = _disputes_of(nodes[-1].closed_by_id, batch.disputes)
    record.relations = _hierarchical_relations(nodes, child_nodes, batch)
    record.structure = _structure(child_nodes, batch.cross_cutting[unit.pk], batch.names)
    changes = batch.changes_of[unit.pk]
    record.relations += _temporal_relations(unit, changes, batch)
    record.events = _events(unit, changes, batch.within_of[unit.pk])
    record.maintenance = [
        _maintenance_event(row, i == 0) for i, row in enumerate(batch.history[unit.pk])
    ]
    return record


def _names_and_identifiers(unit: Unit, record: Record) -> dict:
    """Adds the unit's names (authorised first) and identifiers to `record`; returns the id
    each is given in it, by (model, pk), for the sources about them."""
    order = {UnitName.Kind.AUTHORISED: 0, UnitName.Kind.PARALLEL: 1, UnitName.Kind.OTHER: 2}
    unit_names = sorted(
        unit.names.all(),
        key=lambda n: (order.get(n.kind, 3), *_start_key(n), n.pk),
    )
    refs = {}
    for i, name in enumerate(unit_names, 1):
        refs[(UnitName, name.pk)] = f"name-{i}"
        record.names.append(
            Name(
                kind=name.kind,
                name=name.name,
                short_name=name.short_name,
                name_inferred=name.name_inferred,
                short_name_inferred=name.short_name_inferred,
                language=name.language,
                start=start_of(name),
                end=name.end_dating,
                ref=f"name-{i}",
            )
        )
    for i, identifier in enumerate(unit.identifiers.all(), 1):
        refs[(UnitIdentifier, identifier.pk)] = f"identifier-{i}"
        record.identifiers.append(
            Identifier(scheme=identifier.scheme, value=identifier.value, ref=f"identifier-{i}")
        )
    return refs


def _hierarchical_relations(nodes, child_nodes, batch: _Batch) -> list[Relation]:
    """The unit's parents over time, then the units below it (by start, name and slug)."""
    names, slugs = batch.names, batch.slugs
    parents = [
        _hierarchical("hierarchical-parent", placement.parent.unit_id, placement, names, slugs)
        for placement in placements_of(nodes)
        if placement.parent_id is not None
    ]
    children = [
        _hierarchical("hierarchical-child", placement.first.unit_id, placement, names, slugs)
        for placement in placements_of(child_nodes)
    ]
    return parents + sorted(
        children, key=lambda r: ((r.start or Dating(None)).sort_key, r.name, r.slug)
    )


def _temporal_relations(unit: Unit, changes: list, batch: _Batch) -> list[Relation]:
    """The units it was merged or split from (named as the day before) and into."""
    names, slugs = batch.names, batch.slugs
    relations = []
    for change in changes:
        if change.kind not in (Change.Kind.MERGED, Change.Kind.SPLIT):
            continue
        bound = change.reorganisation.dating
        if change.target_id == unit.pk:
            day_before = change.reorganisation.day_before
            relations.append(
                Relation(
                    "temporal-earlier",
                    slugs[change.unit_id],
                    names.on(change.unit_id, day_before, slugs[change.unit_id]),
                    start=bound,
                    change=change.kind,
                )
            )
        else:
            relations.append(
                Relation(
                    "temporal-later",
                    slugs[change.target_id],
                    names.on(change.target_id, bound.date, slugs[change.target_id]),
                    start=bound,
                    change=change.kind,
                )
            )
    return relations


def _events(unit: Unit, changes: list, changes_within: list) -> list[Event]:
    """The chronology: each reorganisation that changed the unit, once a kind, then those that
    changed only units below it."""
    events, seen = [], set()
    for change in changes:
        if change.unit_id != unit.pk or (change.reorganisation_id, change.kind) in seen:
            continue
        seen.add((change.reorganisation_id, change.kind))
        events.append(Event(change.kind, change.reorganisation.dating, change.reorganisation.title))
    own = {c.reorganisation_id for c in changes if c.unit_id == unit.pk}
    for change in changes_within:
        if change.reorganisation_id in own or (change.reorganisation_id, "within") in seen:
            continue
        seen.add((change.reorganisation_id, "within"))
        events.append(Event("within", change.reorganisation.dating, change.reorganisation.title))
    # By date, then title: the same order in a registry rebuilt from these records.
    events.sort(key=lambda e: (e.bound.sort_key, e.title))
    return events


def _hierarchical(kind: str, unit_id: int, placement, names: _Names, slugs: dict) -> Relation:
    return Relation(
        kind,
        slugs[unit_id],
        names.on(unit_id, placement.valid_from, slugs[unit_id]),
        start=start_of(placement),
        end=placement.end_dating,
    )


def _maintenance_event(row, first: bool) -> MaintenanceEvent:
    user = row.history_user
    if user is None:
        agent_type, agent = "unknown", _("unknown")
    else:
        agent_type = "machine" if user.username == SYSTEM_USERNAME else "human"
        agent = public_name(user)
    created = first and row.instance_type is Unit and row.history_type == "+"
    return MaintenanceEvent(
        kind="created" if created else "revised",
        moment=row.history_date,
        agent_type=agent_type,
        agent=agent,
        description=row.history_change_reason or "",
    )
