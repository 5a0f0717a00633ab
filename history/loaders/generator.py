"""A synthetic administration to try the registry at scale (`manage.py generate_org`).

`generate_organisation` builds an organisation of its own beside whatever the registry holds:
a root created on a start date, centres of a few hundred units under a direktion, offices and
sub-units down to depth 6–8, three tasks per unit, and then years of reorganisations of every
kind (creations, moves, renames, new target groups, merges, splits, dissolutions, task
transfers). Structure is
written only by `apply_reorganisation`, so the data is valid by construction; tasks are not
structure and are written in bulk with their history rows, like the tests' synthetic units.

Every choice comes from `random.Random(seed)`, and the plan is made from an in-memory model
of the organisation (never from database ids or set order), so a seed always gives the same
organisation. The model mirrors what the reorganisation function does (a move takes the
subtree along, a merge carries the merged units' sub-units) and keeps each reorganisation's
changes apart: a unit touched by one change of a reorganisation is left alone by its others,
which is what the function's same-day rules ask for.

The words and the tree's shape are in `generator_data`, the operations in `generator_operations`.
"""

import datetime
import hashlib
import math
import random
import re
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from history.changes import Create
from history.models import Change, Reorganisation
from history.numbering import deferred_tree_numbering, refresh_statistics
from history.services import apply_reorganisation
from orgunits.models import Kind, TargetGroup, Unit, UnitClassification, UnitName, UnitNode
from responsibilities.models import Category, Responsibility, Task
from socialforvaltning.lib.dates import LATEST

from .generator_data import (
    AREAS,
    CENTRE_DEPTH,
    DISTRICTS,
    DUTIES,
    MAX_DEPTH,
    PARENT_DEPTHS,
    PARENT_WEIGHTS,
    TASKS_PER_UNIT,
    TEAM_WORDS,
    TITLES,
    TOPICS,
    UNITS_PER_CENTRE,
    WEIGHTS,
)
from .generator_operations import Operation

DEFAULT_START = datetime.date(2012, 1, 1)
DEFAULT_PREFIX = "gen"
PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]{0,19}")
MIN_UNITS = 20
MAX_UNITS = 100_000
MAX_YEARS = 50


class GenerationError(Exception):
    """The arguments cannot make an organisation (or its prefix is taken)."""


@dataclass
class Result:
    root: str
    units: int
    tasks: int
    reorganisations: int
    max_depth: int
    changes: Counter = field(default_factory=Counter)
    digest: str = ""


@dataclass
class _Unit:
    slug: str
    kind: str
    parent: str | None
    depth: int
    name: str
    short_name: str
    target_group: str
    position: int
    children: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    placement: int = 0  # bumped whenever the unit gets a new node


def prefix_in_use(prefix: str) -> bool:
    stem = f"{prefix}-"
    return (
        Unit.objects.filter(slug__startswith=stem).exists()
        or Task.objects.filter(slug__startswith=stem).exists()
        or Reorganisation.objects.filter(key__startswith=stem).exists()
    )


def generate_organisation(
    *,
    units: int,
    years: int,
    seed: int,
    start: datetime.date = DEFAULT_START,
    prefix: str = DEFAULT_PREFIX,
    user=None,
    reason: str = "",
) -> Result:
    """Write a synthetic organisation of exactly `units` units with `years` years of
    reorganisations after `start`, all in one transaction. Raises GenerationError for
    arguments that cannot work."""
    if not MIN_UNITS <= units <= MAX_UNITS:
        raise GenerationError(
            _("The number of units must lie between %(low)s and %(high)s.")
            % {"low": MIN_UNITS, "high": MAX_UNITS}
        )
    if not 0 <= years <= MAX_YEARS:
        raise GenerationError(
            _("The number of years must lie between 0 and %(high)s.") % {"high": MAX_YEARS}
        )
    if not PREFIX_PATTERN.fullmatch(prefix):
        raise GenerationError(
            _("The prefix must be 1–20 lower-case letters or digits, starting with a letter.")
        )
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + years, day=28)
    if end > LATEST:
        raise GenerationError(
            _("The reorganisations would run past %(last)s, the last year the registry covers.")
            % {"last": LATEST.year}
        )
    reason = (
        reason or f"Syntetiske data (generate_org --units {units} --years {years} --seed {seed})"
    )
    with deferred_tree_numbering():
        if prefix_in_use(prefix):
            raise GenerationError(
                _(
                    "The registry already holds units, tasks or reorganisations whose "
                    "identifiers begin with “%(prefix)s-”: choose another prefix."
                )
                % {"prefix": prefix}
            )
        plan = _Generator(units, years, seed, start, end, prefix, user, reason)
        result = plan.run()
    # Every history table grew too: planned as they are, not as autovacuum last saw them.
    refresh_statistics(every_table=True)
    result.digest = organisation_digest(prefix)
    return result


class _Generator:
    def __init__(self, units, years, seed, start, end, prefix, user, reason):
        self.rng = random.Random(seed)
        self.n_units, self.years = units, years
        self.start, self.end = start, end
        self.prefix, self.user, self.reason = prefix, user, reason
        self.units: dict[str, _Unit] = {}
        self.alive: list[str] = []  # for random choice; order is deterministic
        self.alive_index: dict[str, int] = {}
        self.serial = 0
        self.made = 0
        # (unit, parent, parent's placement): MPTT orders siblings by (position, unit), so a
        # unit twice under the same parent node would tie; the plan never does that.
        self.placements: set[tuple[str, str, int]] = set()
        self.changes = Counter()
        self.reorganisations = 0
        self.tasks_written = 0

    # The model ---------------------------------------------------------------------------

    def _slug(self, kind: str) -> str:
        self.serial += 1
        word = {Kind.CENTER: "center", Kind.KONTOR: "kontor"}.get(kind, "enhed")
        return f"{self.prefix}-{word}-{self.serial}"

    def _name(self, kind: str, area: str = "") -> str:
        rng = self.rng
        if kind == Kind.CENTER:
            return f"Center for {area or rng.choice(AREAS)}"
        if kind == Kind.KONTOR:
            return f"Kontor for {rng.choice(TOPICS)}"
        if kind == Kind.TVAERGAAENDE_ENHED:
            return f"Tværgående enhed for {rng.choice(TOPICS)}"
        return f"{rng.choice(TEAM_WORDS)} {rng.choice(TOPICS)} {rng.choice(DISTRICTS)}"

    def _add(self, unit: _Unit):
        self.units[unit.slug] = unit
        self.alive_index[unit.slug] = len(self.alive)
        self.alive.append(unit.slug)
        if unit.parent:
            parent = self.units[unit.parent]
            parent.children.append(unit.slug)
            self.placements.add((unit.slug, parent.slug, parent.placement))
        self.made += 1

    def _remove(self, slug: str):
        unit = self.units[slug]
        if unit.parent:
            self.units[unit.parent].children.remove(slug)
        i = self.alive_index.pop(slug)
        last = self.alive.pop()
        if last != slug:
            self.alive[i] = last
            self.alive_index[last] = i

    def _new_unit(self, kind: str, parent: _Unit, *, area: str = "") -> _Unit:
        slug = self._slug(kind)
        position = min(10 * (len(parent.children) + 1), 30000) if parent else 10
        return _Unit(
            slug=slug,
            kind=kind,
            parent=parent.slug if parent else None,
            depth=parent.depth + 1 if parent else 1,
            name=self._name(kind, area),
            short_name=f"{self.prefix.upper()}{self.serial}",
            target_group=parent.target_group if parent and parent.depth >= CENTRE_DEPTH else "",
            position=position,
        )

    def _create_spec(self, unit: _Unit) -> Create:
        return Create(
            slug=unit.slug,
            name=unit.name,
            short_name=unit.short_name,
            parent=unit.parent,
            kind=unit.kind,
            target_group=unit.target_group,
            position=unit.position,
        )

    def subtree(self, slug: str) -> list[str]:
        out, stack = [], [slug]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self.units[current].children)
        return out

    def height(self, slug: str) -> int:
        """Levels below the unit (0 for a leaf)."""
        unit = self.units[slug]
        return max((1 + self.height(c) for c in unit.children), default=0)

    def _reparent(self, slug: str, new_parent: str):
        """The model's side of a move (or of a merge carrying a sub-unit): the unit and its
        subtree get new nodes, under the new parent."""
        unit = self.units[slug]
        if unit.parent:
            self.units[unit.parent].children.remove(slug)
        parent = self.units[new_parent]
        parent.children.append(slug)
        unit.parent = new_parent
        shift = parent.depth + 1 - unit.depth
        for s in self.subtree(slug):
            u = self.units[s]
            u.depth += shift
            u.placement += 1
        for s in self.subtree(slug):
            u = self.units[s]
            p = self.units[u.parent]
            self.placements.add((s, p.slug, p.placement))

    def _fits_under(self, slug: str, parent: str) -> bool:
        """`slug` may get a new node under `parent`: no sibling tie, not too deep."""
        p = self.units[parent]
        return (slug, parent, p.placement) not in self.placements and (
            p.depth + 1 + self.height(slug) <= MAX_DEPTH
        )

    # The plan ----------------------------------------------------------------------------

    def run(self) -> Result:
        n_reorganisations = self._n_reorganisations()
        reserve = self._reserve(n_reorganisations)
        root = self.build(self.n_units - reserve)
        days = range(1, (self.end - self.start).days)  # strictly between start and end
        offsets = sorted(self.rng.sample(days, min(n_reorganisations, len(days))))
        kinds = list(WEIGHTS)
        self.rng.shuffle(kinds)
        pending = kinds  # every kind once first, then by weight
        used = 0
        for i, offset in enumerate(offsets):
            date = self.start + datetime.timedelta(days=offset)
            left = len(offsets) - i
            target = reserve * (i + 1) // len(offsets)  # units created by the end of this one
            pending, used = self.reorganise(i, date, pending, left, target, used, reserve)
        if self.made != self.n_units:  # a bug in the plan, not in the arguments
            raise RuntimeError(f"planned {self.made} units instead of {self.n_units}")
        return Result(
            root=root,
            units=self.made,
            tasks=self.tasks_written,
            reorganisations=self.reorganisations,
            max_depth=max(u.depth for u in self.units.values()),
            changes=self.changes,
        )

    def _n_reorganisations(self) -> int:
        if self.years == 0:
            return 0
        return self.years * max(3, round(self.n_units / 400))

    def _reserve(self, n_reorganisations: int) -> int:
        """Units left for the reorganisations to create (splits, mergers into new units)."""
        if n_reorganisations == 0:
            return 0
        return max(4, round(self.n_units * min(0.1, 0.01 * self.years)))

    def build(self, size: int) -> str:
        """The organisation as it stands on the start date: one reorganisation."""
        rng = self.rng
        root = _Unit(
            slug=f"{self.prefix}-forvaltning",
            kind=Kind.FORVALTNING,
            parent=None,
            depth=1,
            name="Syntetisk Forvaltning",
            short_name=self.prefix.upper(),
            target_group="",
            position=900,
        )
        self._add(root)
        board = self._new_unit(Kind.DIREKTION, root)
        board.slug, board.name = f"{self.prefix}-direktion", "Direktionen"
        self._add(board)
        created = [root, board]
        rest = size - 2
        n_centres = max(2, round(rest / UNITS_PER_CENTRE))
        areas = list(AREAS)
        rng.shuffle(areas)
        centres = []
        for c in range(n_centres):
            centre = self._new_unit(Kind.CENTER, board, area=areas[c % len(areas)])
            centre.target_group = rng.choice(TargetGroup.values)
            self._add(centre)
            centres.append(centre)
        created += centres
        rest -= n_centres
        shares = [rest // n_centres + (1 if c < rest % n_centres else 0) for c in range(n_centres)]
        for centre, share in zip(centres, shares, strict=True):
            created += self._grow(centre, share)
        self.apply(
            "start",
            self.start,
            "Den syntetiske forvaltning oprettes",
            [self._create_spec(u) for u in created],
        )
        self.write_tasks([u.slug for u in created], self.start)
        refresh_statistics()  # thousands of new rows in this transaction
        return root.slug

    def _grow(self, centre: _Unit, size: int) -> list[_Unit]:
        """A centre's offices and sub-units: one branch as deep as the centre goes (6–8
        levels from the root), the rest mostly offices with one or two levels of teams."""
        rng, made = self.rng, []
        by_depth = {CENTRE_DEPTH: [centre]}

        def add(parent: _Unit) -> _Unit:
            if parent.depth == CENTRE_DEPTH:
                kind = Kind.TVAERGAAENDE_ENHED if rng.random() < 0.1 else Kind.KONTOR
            else:
                kind = Kind.ENHED
            unit = self._new_unit(kind, parent)
            self._add(unit)
            made.append(unit)
            by_depth.setdefault(unit.depth, []).append(unit)
            return unit

        parent, deepest = centre, rng.randint(6, MAX_DEPTH)
        while parent.depth < deepest and len(made) < size:
            parent = add(parent)
        while len(made) < size:
            depth = rng.choices(PARENT_DEPTHS, weights=PARENT_WEIGHTS)[0]
            add(rng.choice(by_depth.get(depth) or by_depth[CENTRE_DEPTH]))
        return made

    def reorganise(self, i, date, pending, left, target, used, reserve):
        """One reorganisation of a few independent operations; returns what is still
        pending and how many units have been created."""
        rng = self.rng
        n_ops = max(rng.randint(1, 3), math.ceil(len(pending) / left))
        budget = reserve - used
        op = Operation(self, date)
        for _op in range(n_ops):
            if pending and op.try_kind(pending[0], budget - op.created):
                pending = pending[1:]
                continue
            kinds = list(WEIGHTS)
            kind = rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
            op.try_kind(kind, budget - op.created)
        # Keep creations spread over the years, and make exactly `units` in all.
        must = (reserve - used) if left == 1 else max(0, target - used - op.created)
        while op.created < must:
            if not op.try_kind("create", budget - op.created):
                break
        if not op.changes:
            op.try_kind("rename", 0)
        if not op.changes:
            return pending, used
        title = (TITLES[op.first_kind] % op.first_name) + (" m.m." if op.operations > 1 else "")
        self.apply(f"{i + 1:04d}", date, title, op.changes)
        self.write_tasks(op.new_units, date)
        return pending, used + op.created

    # Writing -----------------------------------------------------------------------------

    def apply(self, number: str, date, title: str, changes: list):
        apply_reorganisation(
            key=f"{self.prefix}-{number}-{date.isoformat()}",
            title=title,
            date=date,
            changes=changes,
            user=self.user,
            reason=self.reason,
        )
        self.reorganisations += 1
        for change in changes:
            self.changes[type(change).__name__] += 1

    def write_tasks(self, slugs: list[str], date: datetime.date):
        """Three tasks owned by each new unit from its first day, with their history rows."""
        if not slugs:
            return
        rng, categories = self.rng, list(Category.values)
        tasks = []
        for slug in slugs:
            unit = self.units[slug]
            for k in range(1, TASKS_PER_UNIT + 1):
                task = Task(
                    slug=f"{slug}-opgave-{k}",
                    name=f"{rng.choice(DUTIES)} ({unit.short_name})",
                    category=rng.choice(categories),
                    synonyms="syntetisk",
                )
                task.update_search_text()
                tasks.append(task)
                unit.tasks.append(task.slug)
        tasks = bulk_create_with_history(
            tasks, Task, default_user=self.user, default_change_reason=self.reason
        )
        units = Unit.objects.only("pk", "slug").in_bulk(slugs, field_name="slug")  # batched
        responsibilities = [
            Responsibility(
                task=task,
                unit=units[task.slug.rsplit("-opgave-", 1)[0]],
                role=Responsibility.Role.OWNER,
                valid_from=date,
            )
            for task in tasks
        ]
        bulk_create_with_history(
            responsibilities,
            Responsibility,
            default_user=self.user,
            default_change_reason=self.reason,
        )
        self.tasks_written += len(tasks)


def organisation_digest(prefix: str) -> str:
    """A fingerprint of everything generated under `prefix` that does not depend on database
    ids: units, placements, names, changes, tasks and responsibilities."""
    stem = f"{prefix}-"
    querysets = [
        Unit.objects.filter(slug__startswith=stem).values_list(
            "slug", "kind", "target_group", "position"
        ),
        UnitNode.objects.filter(unit__slug__startswith=stem).values_list(
            "unit__slug", "parent__unit__slug", "valid_from", "valid_to"
        ),
        UnitName.objects.filter(unit__slug__startswith=stem).values_list(
            "unit__slug", "kind", "name", "short_name", "valid_from", "valid_to"
        ),
        UnitClassification.objects.filter(unit__slug__startswith=stem).values_list(
            "unit__slug", "kind", "target_group", "valid_from", "valid_to"
        ),
        Change.objects.filter(reorganisation__key__startswith=stem).values_list(
            "reorganisation__key",
            "reorganisation__date",
            "kind",
            "unit__slug",
            "target__slug",
            "previous_parent__slug",
            "name",
        ),
        Task.objects.filter(slug__startswith=stem).values_list("slug", "name", "category"),
        Responsibility.objects.filter(task__slug__startswith=stem).values_list(
            "task__slug", "unit__slug", "role", "valid_from", "valid_to"
        ),
    ]
    digest = hashlib.sha256()
    for qs in querysets:
        for row in sorted(repr(r) for r in qs):
            digest.update(row.encode())
            digest.update(b"\n")
        digest.update(b"--\n")
    return digest.hexdigest()
