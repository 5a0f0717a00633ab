"""The operations a synthetic reorganisation is made of (creations, renames, new target
groups, moves, merges, splits, dissolutions and task transfers), each planned on the
generator's in-memory model and written as the change specs `apply_reorganisation` takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from history.changes import Dissolve, Merge, Move, Reclassify, Rename, Split, TransferTasks
from orgunits.models import Kind, TargetGroup

from .generator_data import CENTRE_DEPTH, MAX_DEPTH, OFFICE_DEPTH

if TYPE_CHECKING:
    from .generator import _Generator, _Unit


class Operation:
    """The changes of one reorganisation, gathered operation by operation.

    A unit one operation touches is `busy` for the rest of the reorganisation; a unit whose
    node is replaced or ended on the date is also `fixed`, and gets no new sub-unit.
    """

    def __init__(self, gen: _Generator, date):
        self.gen, self.date = gen, date
        self.changes: list = []
        self.busy: set[str] = set()
        self.fixed: set[str] = set()
        self.new_units: list[str] = []
        self.created = 0
        self.operations = 0
        self.first_kind = ""
        self.first_name = ""

    def try_kind(self, kind: str, budget: int) -> bool:
        """Add one operation of `kind`, creating at most `budget` units; False if no unit
        suits it this time."""
        return OPERATIONS[kind](self, budget)

    # Helpers -------------------------------------------------------------------------

    def _pick(self, test, tries: int = 40) -> _Unit | None:
        """A random living unit passing `test` that is not busy, or None."""
        gen = self.gen
        for _try in range(tries):
            slug = gen.rng.choice(gen.alive)
            if slug not in self.busy and test(gen.units[slug]):
                return gen.units[slug]
        return None

    def _free(self, slug: str) -> bool:
        return not any(s in self.busy for s in self.gen.subtree(slug))

    def _new(self, kind: str, parent: _Unit) -> _Unit:
        unit = self.gen._new_unit(kind, parent)
        self.gen._add(unit)
        self.new_units.append(unit.slug)
        self.created += 1
        self.busy.add(unit.slug)
        return unit

    def _done(self, kind: str, unit: _Unit, changes: list, busy=(), fixed=()) -> bool:
        if not self.operations:
            self.first_kind, self.first_name = kind, unit.name
        self.operations += 1
        self.changes += changes
        self.busy.update(busy)
        self.busy.update(fixed)
        self.fixed.update(fixed)
        return True

    def _hand_over(self, source: _Unit, target: _Unit, tasks: list[str]) -> list:
        """Transfer `tasks` from `source` to `target` (in the model too)."""
        if not tasks:
            return []
        for slug in tasks:
            source.tasks.remove(slug)
        target.tasks += tasks
        return [TransferTasks(from_unit=source.slug, to_unit=target.slug, tasks=tuple(tasks))]

    def _end(self, unit: _Unit):
        self.gen._remove(unit.slug)

    # Operations ----------------------------------------------------------------------

    def create(self, budget: int) -> bool:
        if budget < 1:
            return False
        parent = self._pick(
            lambda u: CENTRE_DEPTH <= u.depth < MAX_DEPTH and u.slug not in self.fixed
        )
        if parent is None:
            return False
        unit = self._new(Kind.KONTOR if parent.depth == CENTRE_DEPTH else Kind.ENHED, parent)
        return self._done("create", unit, [self.gen._create_spec(unit)])

    def rename(self, budget: int) -> bool:
        unit = self._pick(lambda u: u.depth >= CENTRE_DEPTH)
        if unit is None:
            return False
        name = unit.name
        for _try in range(10):
            name = self.gen._name(unit.kind)
            if name != unit.name:
                break
        if name == unit.name:
            return False
        unit.name = name
        change = Rename(unit=unit.slug, name=name, short_name=unit.short_name)
        return self._done("rename", unit, [change], busy=[unit.slug])

    def reclassify(self, budget: int) -> bool:
        # Another target group, not another kind: the kinds follow the levels of the tree.
        unit = self._pick(lambda u: u.depth >= CENTRE_DEPTH)
        if unit is None:
            return False
        unit.target_group = self.gen.rng.choice(
            [g for g in TargetGroup.values if g != unit.target_group]
        )
        change = Reclassify(unit=unit.slug, target_group=unit.target_group)
        return self._done("reclassify", unit, [change], busy=[unit.slug])

    def move(self, budget: int) -> bool:
        gen = self.gen
        unit = self._pick(lambda u: u.depth >= OFFICE_DEPTH and self._free(u.slug))
        if unit is None:
            return False
        # A parent at the level of the present one (another centre for an office, another
        # office or sub-unit for a sub-unit): never inside the unit's own subtree.
        to = self._pick(
            lambda p: (
                p.depth == unit.depth - 1
                and p.slug != unit.parent
                and p.slug not in self.fixed
                and gen._fits_under(unit.slug, p.slug)
            )
        )
        if to is None:
            return False
        moved = gen.subtree(unit.slug)
        gen._reparent(unit.slug, to.slug)
        return self._done(
            "move", unit, [Move(unit=unit.slug, to=to.slug)], busy=[to.slug], fixed=moved
        )

    def merge(self, budget: int) -> bool:
        gen = self.gen
        unit = self._pick(lambda u: u.depth >= OFFICE_DEPTH and self._free(u.slug))
        if unit is None:
            return False
        parent = gen.units[unit.parent]
        siblings = [
            s
            for s in parent.children
            if s != unit.slug and s not in self.busy and gen.units[s].kind == unit.kind
        ]
        if not siblings:
            return False
        if budget >= 1 and parent.slug not in self.fixed and gen.rng.random() < 0.4:
            # Two units become one new unit.
            other = gen.units[gen.rng.choice(siblings)]
            if not self._free(other.slug):
                return False
            merged = [unit, other]
            into = self._new(unit.kind, parent)
            changes = [gen._create_spec(into)]
        else:
            into = gen.units[gen.rng.choice(siblings)]
            merged = [unit]
            changes = []
            if not all(gen._fits_under(c, into.slug) for c in unit.children):
                return False
        carried = [s for m in merged for s in gen.subtree(m.slug)]
        for m in merged:
            changes += self._hand_over(m, into, list(m.tasks))
            for child in list(m.children):
                gen._reparent(child, into.slug)
            self._end(m)
        changes.append(Merge(units=tuple(m.slug for m in merged), into=into.slug))
        return self._done("merge", into, changes, busy=[into.slug], fixed=carried)

    def split(self, budget: int) -> bool:
        gen = self.gen
        unit = self._pick(
            lambda u: u.depth >= OFFICE_DEPTH and u.parent not in self.fixed and self._free(u.slug)
        )
        if unit is None:
            return False
        parent = gen.units[unit.parent]
        if budget >= 2 and gen.rng.random() < 0.6:
            # The unit ends and becomes two new ones, which share its sub-units and tasks.
            affected = gen.subtree(unit.slug)
            parts = [self._new(unit.kind, parent), self._new(unit.kind, parent)]
            changes = [gen._create_spec(p) for p in parts]
            for child in list(unit.children):
                part = gen.rng.choice(parts)
                changes.append(Move(unit=child, to=part.slug))
                gen._reparent(child, part.slug)
            half = max(1, len(unit.tasks) // 2)
            tasks = list(unit.tasks)
            changes += self._hand_over(unit, parts[0], tasks[:half])
            changes += self._hand_over(unit, parts[1], tasks[half:])
            changes.append(Split(unit=unit.slug, into=tuple(p.slug for p in parts)))
            self._end(unit)
            return self._done("split", unit, changes, fixed=affected)
        if budget >= 1 and len(unit.tasks) >= 2:
            # A new unit splits off with one of the unit's tasks; the unit continues.
            part = self._new(unit.kind, parent)
            changes = [gen._create_spec(part)]
            changes += self._hand_over(unit, part, [gen.rng.choice(unit.tasks)])
            changes.append(Split(unit=unit.slug, into=(part.slug,), ends=False))
            return self._done("split", unit, changes, busy=[unit.slug])
        return False

    def dissolve(self, budget: int) -> bool:
        gen = self.gen
        unit = self._pick(
            lambda u: (
                u.depth >= OFFICE_DEPTH
                and u.parent not in self.busy
                and self._free(u.slug)
                and all(gen._fits_under(c, u.parent) for c in u.children)
            )
        )
        if unit is None:
            return False
        parent = gen.units[unit.parent]
        affected = gen.subtree(unit.slug)
        changes = []
        for child in list(unit.children):
            changes.append(Move(unit=child, to=parent.slug))
            gen._reparent(child, parent.slug)
        changes += self._hand_over(unit, parent, list(unit.tasks))
        changes.append(Dissolve(unit=unit.slug))
        self._end(unit)
        return self._done("dissolve", unit, changes, busy=[parent.slug], fixed=affected)

    def transfer(self, budget: int) -> bool:
        gen = self.gen
        source = self._pick(lambda u: u.depth >= CENTRE_DEPTH and len(u.tasks) >= 2)
        if source is None:
            return False
        target = self._pick(lambda u: u.depth >= CENTRE_DEPTH and u.slug != source.slug)
        if target is None:
            return False
        tasks = gen.rng.sample(source.tasks, gen.rng.randint(1, len(source.tasks) - 1))
        changes = self._hand_over(source, target, tasks)
        return self._done("transfer", source, changes, busy=[source.slug, target.slug])


# Each kind of operation, by the name WEIGHTS and TITLES give it.
OPERATIONS = {
    "create": Operation.create,
    "rename": Operation.rename,
    "reclassify": Operation.reclassify,
    "move": Operation.move,
    "merge": Operation.merge,
    "split": Operation.split,
    "dissolve": Operation.dissolve,
    "transfer": Operation.transfer,
}
