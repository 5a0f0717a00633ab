"""The structure on a date as rows: what the exports of the whole tree (the CSV, the JSON-LD)
write about each unit, read as plain values and walked in tree order.

At 100,000 units building model instances cost ten times reading the same rows, and the
exports need none of their behaviour. `unit_rows(date)` reads the tree with each unit's name
on the date in one query, fetched in batches, and for each batch the units' placements and
identifiers (two queries; most units never moved, and their node on the date is all there
is of their placements):
memory stays that of one batch however large the registry, and an export writes each row as
it comes. A structure as recorded at a moment (model instances read from history) gives the
same rows through `rows_as_recorded`, so each export writes a row in one place.
"""

import datetime
import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import BooleanField, Count, ExpressionWrapper, F, FilteredRelation, Q

from socialforvaltning.lib.sql import among
from socialforvaltning.periods import Dated, Dating, valid_on_q

from .models import (
    Placement,
    UnitIdentifier,
    UnitName,
    UnitNode,
    classified_on,
    placements_of,
    readings_of,
)

# Rows of the tree read and written at a time: the memory of an export.
BATCH = 2000


class Datings:
    """The datings of the reorganisations, read once for a whole export (a few thousand at
    most): a period opened or closed by a change is as certain as the change's reorganisation
    (`Period.start_dating`), else exact on its day. One `Dating` per reorganisation and per
    day, shared by every period they date."""

    def __init__(self):
        self.of, self.titles, self.days = {}, {}, {}
        self._read()

    def _read(self) -> None:
        from history.models import Reorganisation  # history builds on orgunits

        rows = Reorganisation.objects.order_by().values_list("pk", *_DATING, "title")
        for pk, *dating, title in rows:
            self.of[pk], self.titles[pk] = Dating(*dating), title

    def change(self, reorganisation_id: int | None) -> Dating | None:
        """The dating of a reorganisation (None for none); one entered since the export
        began is read then."""
        if reorganisation_id is None:
            return None
        if reorganisation_id not in self.of:
            self._read()
        return self.of.get(reorganisation_id)

    def start(self, valid_from, reorganisation_id) -> Dating:
        return self.change(reorganisation_id) or self.day(valid_from)

    def end(self, valid_to, reorganisation_id) -> Dating | None:
        return None if valid_to is None else self.start(valid_to, reorganisation_id)

    def day(self, day) -> Dating:
        dating = self.days.get(day)
        if dating is None:
            dating = self.days[day] = Dating(day)
        return dating


@dataclass(slots=True)
class NodeRow(Dated):
    """A placement as values: what `placements_of` and a placement's dates read."""

    pk: int
    unit_id: int
    parent_unit_id: int | None
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    opened_by_id: int | None
    closed_by_id: int | None
    start_dating: Dating
    end_dating: Dating | None


@dataclass(slots=True)
class UnitRow:
    """A unit placed on a date, as the exports write it."""

    node_id: int
    parent_id: int | None  # the node it sits under on the date
    unit_id: int
    slug: str
    description: str
    name: str | None  # its authorised name on the date (None: it has none)
    short_name: str
    kind: str  # on the date: a reclassification's, else its record's
    target_group: str
    readings: tuple  # what of name, short name and kind is the registry's reading
    placement: Placement  # its unbroken time under its parent
    identifiers: tuple  # (scheme, value), by scheme and value
    # Its first and last day over all its placements (None where one is open): read for a
    # structure as it is now, not for one as recorded.
    exists_from: datetime.date | None = None
    exists_until: datetime.date | None = None
    path: str = ""  # the names from the top on the date, " / " between them (set by `walk`)

    @property
    def shown_name(self) -> str:
        return self.name if self.name is not None else self.slug


def walk(rows: Iterable[UnitRow]) -> Iterator[tuple[UnitRow, UnitRow | None]]:
    """Each row with the row it sits under (None at the top), and its `path` set: in tree
    order a node's ancestors are the latest rows seen on the way down, so only one path is
    held."""
    above: list[UnitRow] = []
    for row in rows:
        while above and above[-1].node_id != row.parent_id:
            above.pop()
        parent = above[-1] if above else None
        row.path = f"{parent.path} / {row.shown_name}" if parent else row.shown_name
        yield row, parent
        above.append(row)


# --- the structure now, from rows ----------------------------------------------------------


def unit_rows(date: datetime.date, batch: int | None = None) -> Iterator[UnitRow]:
    """The units placed on `date`, in tree order: 1 + 2 queries per `batch` rows (by default
    `BATCH`), and the reorganisations' datings once."""
    return _Reader(date).rows(batch or BATCH)


class _Reader:
    """Reads the structure on a date in batches, with the reorganisations' datings read once
    (when the first row is asked for)."""

    def __init__(self, date: datetime.date):
        self.date = date
        self.datings = None

    def rows(self, batch: int) -> Iterator[UnitRow]:
        named = FilteredRelation(
            "unit__names",
            condition=Q(unit__names__kind=UnitName.Kind.AUTHORISED)
            & valid_on_q(self.date, prefix="unit__names__"),
        )
        # The units with more than one node: a list hashed once, not a lookup per row.
        moved = UnitNode.objects.order_by().values("unit_id").alias(n=Count("id"))
        moved = moved.filter(n__gt=1).values("unit_id")
        tree = (
            classified_on(UnitNode.objects.valid_on(self.date), self.date, path="unit__")
            .annotate(
                named=named,
                placed_elsewhere=ExpressionWrapper(
                    Q(unit_id__in=moved), output_field=BooleanField()
                ),
            )
            # A unit has one authorised name on a date; were there two, the first counts,
            # as `Unit.name_on` takes it, and the node's row is read once.
            .order_by("tree_id", "lft", F("named__valid_from").asc(nulls_first=True), "named__id")
            .values_list(*_TREE_COLUMNS)
        )
        self.datings = Datings()
        read = _once_each(tree.iterator(chunk_size=batch))
        while chunk := list(itertools.islice(read, batch)):
            yield from self._rows_of_batch(chunk)

    def _rows_of_batch(self, chunk: list) -> Iterator[UnitRow]:
        unit_ids = [row[2] for row in chunk]
        # Most units never moved: their node on the date is their one placement, and its
        # days their existence. Only the others' placements are read.
        placements, existence = self._placements([row[2] for row in chunk if row[9]])
        identifiers = _identifiers(unit_ids)
        for row in chunk:
            pk, parent_id, unit_id, start, end, opened, closed, opening, closing = row[:9]
            slug, description, kind_inferred, kind, target_group, reclassified = row[10:16]
            name, short_name, name_inferred, short_name_inferred = row[16:]
            short_name = short_name or ""
            placement = placements.get(pk)
            if placement is None:  # never moved, or replaced since the tree was read
                node = self._node(pk, unit_id, None, start, end, opened, closed, opening, closing)
                placement = Placement((node,))
            exists = existence.get(unit_id) or (start, end)
            yield UnitRow(
                node_id=pk,
                parent_id=parent_id,
                unit_id=unit_id,
                slug=slug,
                description=description,
                name=name,
                short_name=short_name,
                kind=kind,
                target_group=target_group,
                readings=_readings(
                    bool(name_inferred),
                    UnitName.is_short_name_a_reading(bool(short_name_inferred), short_name),
                    kind_inferred and reclassified is None,
                ),
                placement=placement,
                identifiers=identifiers.get(unit_id, ()),
                exists_from=exists[0],
                exists_until=exists[1],
            )

    def _node(self, pk, unit_id, parent_unit, start, end, opened, closed, opening, closing):
        """A node as values, dated by the reorganisations that opened and closed it."""
        return NodeRow(
            pk,
            unit_id,
            parent_unit,
            start,
            end,
            opened,
            closed,
            self.datings.start(start, opening),
            self.datings.end(end, closing),
        )

    def _placements(self, unit_ids: list) -> tuple[dict, dict]:
        """The placement of each node of the units, by node id, and each unit's first and
        last day over all its placements (None where one is open), from every node."""
        if not unit_ids:
            return {}, {}
        nodes, spans = [], {}
        for row in (
            UnitNode.objects.filter(unit_id__in=among(unit_ids))
            .order_by()
            .values_list(*_NODE_COLUMNS)
        ):
            nodes.append(self._node(*row))
            spans.setdefault(row[1], []).append(row[3:5])
        existence = {}
        for unit_id, unit_spans in spans.items():
            starts, ends = zip(*unit_spans, strict=True)
            existence[unit_id] = (
                None if None in starts else min(starts),
                None if None in ends else max(ends),
            )
        return {node.pk: p for p in placements_of(nodes) for node in p.nodes}, existence


# A node's period and what dates its ends, in both queries.
_PERIOD = (
    "valid_from",
    "valid_to",
    "opened_by_id",
    "closed_by_id",
    "opened_by__reorganisation_id",
    "closed_by__reorganisation_id",
)
_TREE_COLUMNS = (
    "id",
    "parent_id",
    "unit_id",
    *_PERIOD,
    "placed_elsewhere",
    "unit__slug",
    "unit__description",
    "unit__kind_inferred",
    "kind_on",
    "target_group_on",
    "reclassified_on",
    "named__name",
    "named__short_name",
    "named__name_inferred",
    "named__short_name_inferred",
)
_NODE_COLUMNS = ("id", "unit_id", "parent__unit_id", *_PERIOD)
_DATING = ("date", "certainty", "not_before", "not_after")


def _once_each(rows: Iterator[tuple]) -> Iterator[tuple]:
    last = None
    for row in rows:
        if row[0] != last:
            yield row
        last = row[0]


@functools.cache
def _readings(name_inferred: bool, short_name_is_a_reading: bool, kind_is_a_reading: bool):
    return tuple(
        readings_of(
            name_inferred=name_inferred,
            short_name_is_a_reading=short_name_is_a_reading,
            kind_is_a_reading=kind_is_a_reading,
        )
    )


def _identifiers(unit_ids: list) -> dict:
    identifiers = {}
    rows = UnitIdentifier.objects.filter(unit_id__in=among(unit_ids))
    for unit_id, scheme, value in rows.values_list("unit_id", "scheme", "value"):
        identifiers[unit_id] = (*identifiers.get(unit_id, ()), (scheme, value))
    return identifiers


# --- a structure of model instances (as recorded, or one unit) -----------------------------


def row_of_node(node: UnitNode, date: datetime.date, placement: Placement) -> UnitRow:
    """The row of a node read as a model instance (with its unit, its names on the date and
    its identifiers loaded): a structure as recorded, or one unit's page."""
    from .structure import Structure

    unit = node.unit
    name = unit.name_on(date)
    kind, target_group = Structure.classification(node)
    return UnitRow(
        node_id=node.pk,
        parent_id=node.parent_id,
        unit_id=unit.pk,
        slug=unit.slug,
        description=unit.description,
        name=name.name if name else None,
        short_name=name.short_name if name else "",
        kind=kind,
        target_group=target_group,
        readings=tuple(unit.readings(name, Structure.own_kind(node))),
        placement=placement,
        identifiers=tuple((i.scheme, i.value) for i in unit.identifiers.all()),
    )


def rows_as_recorded(as_of) -> Iterator[UnitRow]:
    """The rows of the structure on `as_of.date` as recorded at `as_of.recorded`, read from
    history (model instances) when the first row is asked for: a streamed export's head
    goes out first, and a HEAD reads nothing."""
    from .structure import Structure

    structure = Structure.as_of(as_of)
    for node in structure.nodes:
        yield row_of_node(node, structure.date, structure.placements[node.pk])
