"""The structure as the projection of the reorganisations in force.

Every placement, every name a change gave, every reclassification and every responsibility a
change handed on points at the change that opened it and, once ended, the change that closed
it; each such row starts on its opening change's date and ends on its closing change's date.
That makes the projection from a date on easy to take back: rows opened on or after the date
go, rows closed on or after it are open again. What is left is the structure as the
reorganisations before the date made it, and replaying the reorganisations in force from the
date on (`history.services`) writes the rest again. Rows no change opened (a record's own
names, the responsibilities the sources give from a date, what a unit was from its beginning)
are facts of the record, not of the projection, and stay.

`snapshot()` reads the projection in a form that does not depend on row ids, so a stored
projection can be compared with a fresh replay (`replay_structure --check`, `check_registry`).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from orgunits.models import Citation, Unit, UnitClassification, UnitName, UnitNode
from responsibilities.models import Responsibility
from socialforvaltning.lib.transactions import rolled_back
from socialforvaltning.locks import lock_structure

from .models import Change, Reorganisation

PROJECTED = (UnitNode, UnitName, UnitClassification, Responsibility)


def _opened_from(date: datetime.date | None) -> Q:
    # Rows an undated reorganisation opened start before the records: before any date.
    opened = Q(opened_by__isnull=False)
    return opened if date is None else opened & Q(valid_from__gte=date)


def _closed_from(date: datetime.date | None) -> Q:
    closed = Q(closed_by__isnull=False)
    return closed if date is None else closed & Q(valid_to__gte=date)


# Above this many units a replay takes back every component from its date: a list of ids
# that long would outgrow the databases' limits on parameters.
MAX_SCOPED_UNITS = 20_000

# The changes that carry the units below their unit along: a move, and a merge (whose
# continuing sub-units pass to the unit merged into).
CARRYING = (Change.Kind.MOVED, Change.Kind.MERGED)


@dataclass(frozen=True)
class Scope:
    """What a correction can affect: the units whose projection it may change, and the
    reorganisations from its date on that write any of them, which are replayed. The rest of
    the registry keeps its projection as it is, and its reorganisations are not replayed
    (see `scope_of`). `units` None: all.

    Where the scope holds most of the registry, the rows are picked by the shorter list: those
    outside it are left out (`outside`), rather than thousands of ids named in each query."""

    units: frozenset[int] | None = None
    reorganisations: frozenset[int] | None = None
    outside: frozenset[int] | None = None
    reorganisations_outside: frozenset[int] | None = None

    def rows(self, qs):
        if self.outside is not None:
            return qs.exclude(unit_id__in=self.outside)
        return qs if self.units is None else qs.filter(unit_id__in=self.units)

    def reorganisations_in(self, qs):
        if self.reorganisations_outside is not None:
            return qs.exclude(pk__in=self.reorganisations_outside)
        return qs if self.reorganisations is None else qs.filter(pk__in=self.reorganisations)


EVERYTHING = Scope()


class _Below:
    """The units below a unit from a date on, in the stored structure: those a move or a
    merge of it on that date carries along. The placements are read once, in one query."""

    def __init__(self):
        self.nodes = defaultdict(list)  # unit -> [(node, valid_to)]
        self.children = defaultdict(list)  # node -> [(node, unit, valid_to)]
        for pk, unit, parent, valid_to in UnitNode.objects.values_list(
            "pk", "unit_id", "parent_id", "valid_to"
        ):
            self.nodes[unit].append((pk, valid_to))
            if parent is not None:
                self.children[parent].append((pk, unit, valid_to))
        self.known: dict[tuple, frozenset[int]] = {}

    def __call__(self, unit: int, date: datetime.date | None) -> frozenset[int]:
        if (unit, date) not in self.known:
            # Placed on the day before the date or after it: what a change of the date
            # carries, before it is applied and (ending on the date) after.
            def lasting(valid_to):
                return valid_to is None or date is None or valid_to >= date

            stack = [pk for pk, valid_to in self.nodes[unit] if lasting(valid_to)]
            found = set()
            while stack:
                for pk, child, valid_to in self.children[stack.pop()]:
                    if lasting(valid_to):
                        found.add(child)
                        stack.append(pk)
            self.known[unit, date] = frozenset(found)
        return self.known[unit, date]


def units_of_changes(changes) -> tuple[dict[int, set[int]], dict[int, list[tuple]]]:
    """For the change rows `changes`, by reorganisation: the units it names, and the units
    it moves or merges with its date, (unit id, date) (one query)."""
    named: dict[int, set[int]] = defaultdict(set)
    carrying: dict[int, list[tuple]] = defaultdict(list)
    for reorganisation, date, kind, *units in changes.values_list(
        "reorganisation_id",
        "reorganisation__date",
        "kind",
        "unit_id",
        "target_id",
        "previous_parent_id",
    ):
        named[reorganisation].update(u for u in units if u is not None)
        if kind in CARRYING:
            carrying[reorganisation].append((units[0], date))
    return named, carrying


def scope_of(unit_ids, since: datetime.date | None, carried=()) -> Scope:
    """The scope of a correction from `since` that names `unit_ids` and moves or merges the
    units of `carried`, (unit id, date) pairs, with what lies below them on that date.

    It grows from those units, forwards: a reorganisation in force from `since` on is
    replayed when it names a unit in the scope, or moves or merges a unit that has one below
    it; then the units it names, and those below the units it moves or merges, are in the
    scope too; until no more reorganisation joins. Every other reorganisation reads and
    writes only units outside the scope, whose rows the correction leaves as they are, so
    it would write them the same again. (A unit of the scope can come to lie below a unit it
    did not lie below before only by a change that names its new parent, which is in the
    scope, so the stored structure tells what lies below whom.)"""
    rows = Change.objects.filter(reorganisation__status=Reorganisation.Status.IN_FORCE)
    if since is not None:
        rows = rows.filter(reorganisation__date__gte=since)
    named, carrying = units_of_changes(rows)
    below = _Below()
    units = set(unit_ids)
    for unit, date in carried:
        units |= below(unit, date)
    pending, replayed = sorted(named), set()
    joined = True
    while joined:
        joined, waiting = False, []
        for reorganisation in pending:
            moved = carrying[reorganisation]
            if named[reorganisation] & units or any(below(u, d) & units for u, d in moved):
                replayed.add(reorganisation)
                units |= named[reorganisation]
                for unit, date in moved:
                    units |= below(unit, date)
                joined = True
            else:
                waiting.append(reorganisation)
        pending = waiting
    if len(units) > MAX_SCOPED_UNITS:
        return EVERYTHING
    if 2 * len(units) > Unit.objects.count():
        outside = frozenset(Unit.objects.values_list("pk", flat=True)) - units
        if len(outside) <= MAX_SCOPED_UNITS:
            return Scope(outside=outside, reorganisations_outside=frozenset(pending))
    return Scope(units=frozenset(units), reorganisations=frozenset(replayed))


def truncate(date: datetime.date | None, history, scope: Scope = EVERYTHING) -> None:
    """Take back the projection from `date` on (None: all of it) within `scope`, recording
    every row it deletes or reopens in `history` (the writer's `HistoryRows`). The MPTT numbers
    are left as they fall: the caller renumbers the tree once it has replayed."""
    for model in PROJECTED:
        history.delete(scope.rows(model.objects.filter(_opened_from(date))))
        for row in scope.rows(model.objects.filter(_closed_from(date))).order_by("pk"):
            row.valid_to, row.closed_by = None, None
            history.save(row)


# What an archivist may have corrected on a row the projection wrote (a misspelt name, a
# note, the post that holds a task): kept across a replay that writes the row again.
KEPT = {
    UnitName: ("name", "short_name", "name_inferred", "short_name_inferred", "language"),
    Responsibility: ("note", "inferred", "post_id"),
}


def _successor_key(row) -> tuple:
    if isinstance(row, UnitName):
        return (UnitName, row.opened_by_id, row.unit_id, row.kind)
    return (Responsibility, row.opened_by_id, row.unit_id, row.task_id, row.role)


class Superseded:
    """The names and responsibilities a replay took back, until it writes them again: the row
    the same change opens for the same unit (and task) inherits what archivists corrected on
    it and its citations. Citations of a row no change writes again go with it, into history."""

    def __init__(self):
        self.rows: dict[tuple, object] = {}
        self.successors: list[tuple[int, object]] = []

    def remember(self, rows) -> None:
        for row in rows:
            if type(row) in KEPT and row.opened_by_id:
                self.rows[_successor_key(row)] = row

    def inherit(self, obj) -> bool:
        """Give a new row what its predecessor kept; whether it had one."""
        old = self.rows.pop(_successor_key(obj), None)
        if old is None:
            return False
        for name in KEPT[type(obj)]:
            setattr(obj, name, getattr(old, name))
        self.successors.append((old.pk, obj))
        return True

    def settle(self, history) -> None:
        """Move the citations of each row written again to its successor, and delete those
        of the rows no change wrote again (both kept in history)."""
        for old_pk, obj in self.successors:
            content_type = ContentType.objects.get_for_model(type(obj))
            for citation in Citation.objects.filter(content_type=content_type, object_id=old_pk):
                citation.object_id = obj.pk
                history.save(citation)
        gone = defaultdict(list)
        for row in self.rows.values():
            gone[type(row)].append(row.pk)
        for model, pks in gone.items():
            history.delete(
                Citation.objects.filter(
                    content_type=ContentType.objects.get_for_model(model), object_id__in=pks
                )
            )
        self.rows, self.successors = {}, []


def in_force_from(date: datetime.date | None, scope: Scope = EVERYTHING):
    """The reorganisations in force that a replay from `date` applies again, in order."""
    qs = scope.reorganisations_in(Reorganisation.objects.in_force())
    if date is not None:
        qs = qs.filter(date__gte=date)
    return qs.chronological()


def earliest_date(*dates: datetime.date | None) -> datetime.date | None:
    """The date a replay must start from to cover all of `dates` (None: from the start)."""
    return None if any(d is None for d in dates) else min(dates)


def snapshot() -> dict[str, set]:
    """The projection as sets of tuples that name units, changes and tasks, not row ids."""
    nodes = set(
        UnitNode.objects.values_list(
            "unit_id",
            "parent__unit_id",
            "valid_from",
            "valid_to",
            "opened_by_id",
            "closed_by_id",
            "position",
        )
    )
    names = set(
        UnitName.objects.values_list(
            "unit_id",
            "kind",
            "name",
            "short_name",
            "name_inferred",
            "short_name_inferred",
            "valid_from",
            "valid_to",
            "opened_by_id",
            "closed_by_id",
        )
    )
    classifications = set(
        UnitClassification.objects.values_list(
            "unit_id",
            "kind",
            "target_group",
            "valid_from",
            "valid_to",
            "opened_by_id",
            "closed_by_id",
        )
    )
    responsibilities = set(
        Responsibility.objects.values_list(
            "task_id",
            "unit_id",
            "role",
            "post_id",
            "valid_from",
            "valid_to",
            "certainty",
            "not_before",
            "not_after",
            "inferred",
            "opened_by_id",
            "closed_by_id",
        )
    )
    changes = set(Change.objects.values_list("id", "kind", "unit_id", "target_id"))
    return {
        "placements": nodes,
        "names": names,
        "classifications": classifications,
        "responsibilities": responsibilities,
        "changes": changes,
    }


def differences(stored: dict[str, set], replayed: dict[str, set]) -> list[str]:
    """What a fresh replay would write differently, one line per row, for a person."""
    lines = []
    for what, rows in stored.items():
        for row in sorted(rows - replayed[what], key=repr):
            lines.append(f"{what}: stored but not replayed: {row}")
        for row in sorted(replayed[what] - rows, key=repr):
            lines.append(f"{what}: replayed but not stored: {row}")
    return lines


def replay_differences(since: datetime.date | None = None, scope: Scope = EVERYTHING) -> list[str]:
    """How the stored projection differs from a fresh replay of the reorganisations in force
    (from `since`, within `scope`), computed in a transaction that is always rolled back. A
    replay that is refused is a difference too."""
    from .services import replay_structure  # the writer builds on this module

    with transaction.atomic():
        lock_structure()
        stored = snapshot()
        try:
            with rolled_back():
                replay_structure(since=since, reason="replay_structure --check", scope=scope)
                return differences(stored, snapshot())
        except ValidationError as error:
            return [" ".join(error.messages)]


def change_count_problems() -> list[str]:
    """Each reorganisation's stored number of changes must be the number it has."""
    return [
        _(
            "The reorganisation “%(title)s” is stored with %(stored)s changes but has "
            "%(actual)s; `manage.py replay_structure` counts them again."
        )
        % {"title": r.title, "stored": r.change_count, "actual": r.actual}
        for r in Reorganisation.objects.miscounted()
    ]


def projection_problems() -> list[str]:
    """For `check_registry`: the stored structure must be what its reorganisations make,
    and each reorganisation's stored number of changes what it has."""
    problems = change_count_problems()
    lines = replay_differences()
    if not lines:
        return problems
    return problems + [
        _(
            "The stored structure differs from a replay of its reorganisations in %(count)s "
            "rows (first: %(first)s); `manage.py replay_structure` writes the replay."
        )
        % {"count": len(lines), "first": lines[0]}
    ]
