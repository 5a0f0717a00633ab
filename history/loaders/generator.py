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

from history.changes import Create, Dissolve, Merge, Move, Reclassify, Rename, Split, TransferTasks
from history.models import Change, Reorganisation
from history.numbering import deferred_tree_numbering, refresh_statistics
from history.services import apply_reorganisation
from orgunits.models import Kind, TargetGroup, Unit, UnitClassification, UnitName, UnitNode
from responsibilities.models import Category, Responsibility, Task
from socialforvaltning.lib.dates import LATEST

DEFAULT_START = datetime.date(2012, 1, 1)
DEFAULT_PREFIX = "gen"
PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]{0,19}")
MIN_UNITS = 20
MAX_UNITS = 100_000
MAX_YEARS = 50
MAX_DEPTH = 8  # the root is depth 1
UNITS_PER_CENTRE = 300
TASKS_PER_UNIT = 3

CENTRE_DEPTH, OFFICE_DEPTH = 3, 4
# Where a centre's units hang: 10 % directly under the centre (offices), half under an
# office, the rest one or two levels further down.
PARENT_DEPTHS, PARENT_WEIGHTS = (3, 4, 5, 6), (10, 50, 30, 10)

AREAS = [
    "Børn og Familier",
    "Handicap",
    "Socialpsykiatri",
    "Hjemløse",
    "Misbrug",
    "Myndighed",
    "Rehabilitering",
    "Beskæftigelse og Integration",
    "Unge",
    "Boliger",
    "Specialrådgivning",
    "Forebyggelse",
    "Udsatte Voksne",
    "Botilbud",
    "Kvalitet og Tilsyn",
]
TOPICS = [
    "Visitation",
    "Sagsbehandling",
    "Rådgivning",
    "Tilsyn",
    "Økonomi",
    "Jura",
    "Personale",
    "IT",
    "Kvalitet",
    "Udvikling",
    "Kommunikation",
    "Bostøtte",
    "Familiepleje",
    "Døgntilbud",
    "Aktivitet og Samvær",
    "Behandling",
    "Udredning",
    "Opsøgende Arbejde",
    "Dagtilbud",
    "Hjælpemidler",
]
DISTRICTS = [
    "Indre By",
    "Østerbro",
    "Nørrebro",
    "Vesterbro",
    "Valby",
    "Vanløse",
    "Brønshøj",
    "Bispebjerg",
    "Amager Øst",
    "Amager Vest",
    "Kongens Enghave",
    "Christianshavn",
]
TEAM_WORDS = ["Team", "Gruppe", "Afsnit", "Enhed"]
DUTIES = [
    "Sagsbehandling efter serviceloven",
    "Visitation til tilbud",
    "Budgetopfølgning",
    "Tilsyn med tilbud",
    "Klagesager",
    "Aktindsigt",
    "Rekruttering",
    "Arbejdsmiljø",
    "Systemforvaltning",
    "Ledelsesinformation",
    "Borgerrådgivning",
    "Pårørendesamarbejde",
    "Kompetenceudvikling",
    "Kvalitetsstandarder",
    "Indkøb",
    "Underretninger",
    "Handleplaner",
    "Samarbejde med regionen",
]

# Relative frequency of each kind of operation once the plan has used every kind once.
WEIGHTS = {
    "create": 12,
    "rename": 14,
    "reclassify": 4,
    "move": 20,
    "merge": 12,
    "split": 10,
    "dissolve": 10,
    "transfer": 18,
}
TITLES = {
    "create": "Oprettelse af %s",
    "rename": "Navneændring for %s",
    "reclassify": "Ny målgruppe for %s",
    "move": "Flytning af %s",
    "merge": "Sammenlægning i %s",
    "split": "Opdeling af %s",
    "dissolve": "Nedlæggelse af %s",
    "transfer": "Opgaveflytning fra %s",
}


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
        op = _Operation(self, date)
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


class _Operation:
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
        return getattr(self, f"_op_{kind}")(budget)

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

    def _op_create(self, budget: int) -> bool:
        if budget < 1:
            return False
        parent = self._pick(
            lambda u: CENTRE_DEPTH <= u.depth < MAX_DEPTH and u.slug not in self.fixed
        )
        if parent is None:
            return False
        unit = self._new(Kind.KONTOR if parent.depth == CENTRE_DEPTH else Kind.ENHED, parent)
        return self._done("create", unit, [self.gen._create_spec(unit)])

    def _op_rename(self, budget: int) -> bool:
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

    def _op_reclassify(self, budget: int) -> bool:
        # Another target group, not another kind: the kinds follow the levels of the tree.
        unit = self._pick(lambda u: u.depth >= CENTRE_DEPTH)
        if unit is None:
            return False
        unit.target_group = self.gen.rng.choice(
            [g for g in TargetGroup.values if g != unit.target_group]
        )
        change = Reclassify(unit=unit.slug, target_group=unit.target_group)
        return self._done("reclassify", unit, [change], busy=[unit.slug])

    def _op_move(self, budget: int) -> bool:
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

    def _op_merge(self, budget: int) -> bool:
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

    def _op_split(self, budget: int) -> bool:
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

    def _op_dissolve(self, budget: int) -> bool:
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

    def _op_transfer(self, budget: int) -> bool:
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
