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

from .locks import lock_structure
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


@dataclass(frozen=True)
class Scope:
    """What a correction can affect: the units connected to the ones it names, by any
    recorded change (a change joins the units it names: a unit and its parent, the merged
    and the merging), and the reorganisations that name them. The other components of the
    registry (another administration in the same registry, say) are independent of it: their
    projection stays as it is and their reorganisations are not replayed. `units` None: all.

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


def scope_of(unit_ids) -> Scope:
    """The scope of a correction naming `unit_ids` (see `Scope`), from one read of the
    recorded changes and one of the units' ids."""
    parent: dict[int, int] = {}

    def find(u):
        root = u
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[u] != root:  # path compression
            parent[u], u = root, parent[u]
        return root

    rows = list(
        Change.objects.values_list(
            "reorganisation_id", "unit_id", "target_id", "previous_parent_id"
        )
    )
    for _reorganisation, *units in rows:
        first = find(units[0])
        for other in units[1:]:
            if other is not None:
                parent[find(other)] = first
    # A reorganisation joins all the units it names, whatever its changes.
    named_first: dict[int, int] = {}
    for reorganisation, unit, *_rest in rows:
        if reorganisation in named_first:
            a, b = find(named_first[reorganisation]), find(unit)
            parent[b] = a
        else:
            named_first[reorganisation] = unit
    roots = {find(u) for u in unit_ids}
    units = frozenset(u for u in list(parent) if find(u) in roots) | frozenset(unit_ids)
    reorganisations = frozenset(r for r, u in named_first.items() if find(u) in roots)
    every_unit = frozenset(Unit.objects.values_list("pk", flat=True))
    outside = every_unit - units
    if len(outside) < len(units) and len(outside) <= MAX_SCOPED_UNITS:
        return Scope(
            outside=outside, reorganisations_outside=frozenset(named_first) - reorganisations
        )
    if len(units) > MAX_SCOPED_UNITS:
        return EVERYTHING
    return Scope(units=units, reorganisations=reorganisations)


def truncate(date: datetime.date | None, history, scope: Scope = EVERYTHING) -> None:
    """Take back the projection from `date` on (None: all of it) within `scope`, recording
    every row it deletes or reopens in `history` (the writer's `_History`). The MPTT numbers
    are left as they fall: the caller renumbers the tree once it has replayed."""
    for model in PROJECTED:
        history.delete(scope.rows(model.objects.filter(_opened_from(date))))
        for row in scope.rows(model.objects.filter(_closed_from(date))).order_by("pk"):
            row.valid_to, row.closed_by = None, None
            history.save(row)


# What an archivist may have corrected on a row the projection wrote (a misspelt name, a
# note, the post that holds a task): kept across a replay that writes the row again.
KEPT = {
    UnitName: ("name", "short_name", "language"),
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


def projection_problems() -> list[str]:
    """For `check_registry`: the stored structure must be what its reorganisations make."""
    lines = replay_differences()
    if not lines:
        return []
    return [
        _(
            "The stored structure differs from a replay of its reorganisations in %(count)s "
            "rows (first: %(first)s); `manage.py replay_structure` writes the replay."
        )
        % {"count": len(lines), "first": lines[0]}
    ]
