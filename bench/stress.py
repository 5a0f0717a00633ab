"""Concurrent writers and readers against a PostgreSQL registry, then a check that nothing broke.

Writers (processes, each with its own database connection) apply random reorganisations through
`apply_reorganisation` — valid ones (creations, renames, moves, task transfers, merges, splits,
dissolutions), ones that are invalid whatever happens concurrently (unknown units, a unit under
itself, a duplicate identifier, a child before its parent) and ones that are invalid on the
structure they were built from (a unit under its own descendant, a unit ended while its sub-units
remain) — and corrections that are not structural: a name's spelling through the admin's change
form, a unit's description saved as the admin saves it. Readers (at a lower CPU priority) render
the chart, unit pages and the JSON-LD export on random dates, and read the data version.

Afterwards, with every writer stopped:

- the tree's stored numbering equals a fresh rebuild (in a rolled-back transaction) and every
  invariant `check_registry` knows holds;
- every accepted reorganisation is there with each of its changes and their history rows, and
  every accepted correction has its history row with the user and the reason;
- every refused write left nothing: no reorganisation under its key, no unit it created, no
  history row with its (unique) reason;
- an authorised name of a stress unit is valid only while the unit has a placement;
- no write undid another's: in each record's history a correction changes only what a
  correction may change, a reorganisation never changes a name's spelling, and the live row
  equals its latest history row;
- no page failed, and the data version never stood for two different states of the data.

Exit status 1 when anything is wrong. It writes test units into the database, so it refuses to
run unless debug is on, and only on PostgreSQL (SQLite serialises writers by itself).
"""

import datetime
import itertools
import json
import multiprocessing
import os
import queue
import random
import re
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _

from history.changes import Create, Dissolve, Merge, Move, Rename, Split, TransferTasks
from history.models import Change, Reorganisation
from history.services import apply_reorganisation
from orgunits.integrity import registry_problems
from orgunits.models import MPTT_FIELDS, Unit, UnitName, UnitNode
from responsibilities.lookup import orphaned_tasks_problems
from responsibilities.models import Category, Responsibility, Task
from socialforvaltning.lib.saving import save_with_history
from socialforvaltning.locks import STRUCTURE_LOCK_KEY
from socialforvaltning.version import data_version, historical_tables

SEED_ROOT = "socialforvaltningen"
# The stress area exists from this date; every write dates itself a few days later than the
# last, with some deliberately earlier (entered out of date order).
STRESS_FROM = datetime.date(2040, 1, 1)
SEED_DATES = [datetime.date(2008, 6, 1), datetime.date(2010, 6, 1), datetime.date(2011, 3, 1)]
# More than RENUMBER_ONCE_AFTER: the set-up, moves of the largest branch and the large refused
# reorganisations go through apply_reorganisation's deferred numbering.
INITIAL_UNITS = 40
LARGE_REFUSED = 30
TASKS_PER_UNIT = 2
STRESS_USERNAME = "stresstest"
READER_NICENESS = 10

NAME_FIELDS = ("name", "short_name", "language")
NAME_STRUCTURE = ("unit_id", "kind", "valid_from", "valid_to", "opened_by_id", "closed_by_id")


@dataclass
class Attempt:
    """One write a worker tried, and what became of it."""

    kind: str  # e.g. "move", "invalid:cycle", "correct:name"
    reason: str  # unique per attempt: found again in the history rows it wrote
    must_refuse: bool = False  # invalid whatever other writers did
    key: str = ""  # the reorganisation's key
    date: datetime.date | None = None
    changes: list = field(default_factory=list)
    new_slugs: list[str] = field(default_factory=list)  # units it would create
    target_pk: int | None = None  # the corrected row
    value: str = ""  # the corrected value
    accepted: bool = False
    refusal: str = ""
    error: str = ""  # anything but a refusal: a bug

    @property
    def is_correction(self) -> bool:
        return self.kind.startswith("correct")

    @property
    def expected_changes(self) -> int:
        return sum(
            len(c.units) if isinstance(c, Merge) else len(c.into) if isinstance(c, Split) else 1
            for c in self.changes
        )


class Stats:
    """What one process saw; the parent merges every process's."""

    def __init__(self):
        self.counts = Counter()
        self.attempts: list[Attempt] = []
        self.failures: list[str] = []  # pages that failed, processes that crashed
        self.versions: dict[str, int] = {}  # data version → history rows read with it
        self.version_collisions: set[str] = set()
        self.max_waiting = 0

    def saw_version(self, version: str, rows: int):
        if self.versions.setdefault(version, rows) != rows:
            self.version_collisions.add(version)

    def merge(self, other: "Stats"):
        self.counts.update(other.counts)
        self.attempts += other.attempts
        self.failures += other.failures
        self.version_collisions |= other.version_collisions
        for version, rows in other.versions.items():
            self.saw_version(version, rows)


class StressRun:
    def __init__(self, *, writers: int, readers: int, seconds: float, seed: int):
        self.writers, self.readers, self.seconds, self.seed = writers, readers, seconds, seed
        self.prefix = f"stress-{seed}-{random.SystemRandom().randrange(16**6):06x}"
        self.stats = Stats()
        self.worker = "main"
        self.serial = itertools.count(1)
        self.user = None
        context = multiprocessing.get_context("fork")
        self.context = context
        self.stop = context.Event()
        self.day = context.Value("i", 0)  # days after STRESS_FROM handed out so far

    # Setting up -------------------------------------------------------------------------------

    def set_up(self):
        User = get_user_model()
        self.user, created = User.objects.get_or_create(
            username=STRESS_USERNAME,
            defaults={"is_staff": True, "is_superuser": True, "first_name": "Stresstest"},
        )
        if created:
            self.user.set_unusable_password()
            self.user.save()
        rng = random.Random(self.seed)
        root = f"{self.prefix}-root"
        changes = [
            Create(slug=root, name=f"Stresstest {self.prefix}", parent=SEED_ROOT, kind="center")
        ]
        slugs = [root]
        for i in range(1, INITIAL_UNITS):
            slug = f"{self.prefix}-u{i}"
            changes.append(
                Create(
                    slug=slug,
                    name=f"Enhed {i}",
                    parent=rng.choice(slugs[-8:]),
                    kind="kontor",
                    position=rng.randrange(200),
                )
            )
            slugs.append(slug)
        apply_reorganisation(
            key=f"{self.prefix}-setup",
            title="Stresstest: opbygning",
            date=STRESS_FROM,
            changes=changes,
            user=self.user,
            reason=f"stress {self.prefix} setup",
        )
        categories = list(Category)
        with transaction.atomic():
            for i, slug in enumerate(slugs[1:]):
                for k in range(TASKS_PER_UNIT):
                    task = self._save(
                        Task(
                            slug=f"{slug}-t{k}",
                            name=f"Opgave {k} for {slug}",
                            category=categories[(i + k) % len(categories)],
                        )
                    )
                    self._save(
                        Responsibility(
                            task=task,
                            unit=Unit.objects.get(slug=slug),
                            role=Responsibility.Role.OWNER,
                            valid_from=STRESS_FROM,
                        )
                    )

    def _save(self, obj):
        return save_with_history(obj, user=self.user, reason=f"stress {self.prefix} setup")

    # Running ----------------------------------------------------------------------------------

    def run(self) -> float:
        """Fork the writers and readers (each process opens its own connection), sample the
        queue for the structure lock until the time is up, then collect what each saw."""
        results = self.context.Queue()
        processes = [
            self.context.Process(target=self._process, args=(self.writer, f"w{i}", results))
            for i in range(self.writers)
        ]
        processes += [
            self.context.Process(target=self._process, args=(self.reader, f"r{i}", results))
            for i in range(self.readers)
        ]
        connections.close_all()  # a child must not inherit the parent's connection
        started = time.monotonic()
        for process in processes:
            process.start()
        while time.monotonic() < started + self.seconds:
            self.sample_lock_queue()
            time.sleep(0.01)
        self.stop.set()
        for _process in processes:
            try:
                self.stats.merge(results.get(timeout=self.seconds + 600))
            except queue.Empty:
                self.stats.failures.append(_("A worker process sent no results."))
        for process in processes:
            process.join()
        return time.monotonic() - started

    def _process(self, body, worker: str, results):
        self.worker, self.stats = worker, Stats()
        try:
            body(worker)
        except Exception:
            self.stats.failures.append(f"{worker}: {traceback.format_exc()}")
        finally:
            connections.close_all()
            results.put(self.stats)

    def sample_lock_queue(self):
        """How many transactions are queued for the structure lock right now."""
        classid, objid = STRUCTURE_LOCK_KEY >> 32, STRUCTURE_LOCK_KEY & 0xFFFFFFFF
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = %s AND objid = %s AND objsubid = 1",
                [classid, objid],
            )
            self.stats.max_waiting = max(self.stats.max_waiting, cursor.fetchone()[0])

    # Writers ----------------------------------------------------------------------------------

    def writer(self, worker: str):
        rng = random.Random(f"{self.seed}-{worker}")
        client = Client()
        client.force_login(self.user)
        while not self.stop.is_set():
            roll = rng.random()
            if roll < 0.55:
                attempt = self.valid_reorganisation(rng)
            elif roll < 0.72:
                attempt = self.invalid_reorganisation(rng)
            elif roll < 0.86:
                attempt = self.name_correction(rng, client)
            else:
                attempt = self.description_correction(rng)
            if attempt is not None:
                self.stats.attempts.append(attempt)

    def next_date(self, rng) -> datetime.date:
        with self.day.get_lock():
            self.day.value += 1
            day = self.day.value
        if rng.random() < 0.1:  # entered out of date order
            day = rng.randrange(1, day + 1)
        return STRESS_FROM + datetime.timedelta(days=day)

    def tag(self) -> str:
        """Unique across processes: the worker and its own count."""
        return f"{self.worker}-{next(self.serial)}"

    def new_reason(self, letter: str) -> str:
        return f"stress {self.prefix} {letter}{self.tag()}"

    def area_on(self, date):
        """The stress area on `date` as the writer sees it before writing: parents, children,
        and the tasks each unit owns."""
        parent = dict(
            UnitNode.objects.valid_on(date)
            .filter(unit__slug__startswith=self.prefix)
            .values_list("unit__slug", "parent__unit__slug")
        )
        children = defaultdict(list)
        for child, up in parent.items():
            children[up].append(child)
        tasks = defaultdict(list)
        for unit, task in (
            Responsibility.objects.owners()
            .valid_on(date)
            .filter(unit__slug__startswith=self.prefix)
            .values_list("unit__slug", "task__slug")
        ):
            tasks[unit].append(task)
        return parent, children, tasks

    @staticmethod
    def subtree(children, slug) -> set[str]:
        found, stack = set(), [slug]
        while stack:
            current = stack.pop()
            found.add(current)
            stack.extend(children.get(current, ()))
        return found

    def valid_reorganisation(self, rng) -> Attempt | None:
        date = self.next_date(rng)
        parent, children, tasks = self.area_on(date)
        root = f"{self.prefix}-root"
        movable = sorted(s for s in parent if s != root)
        if not movable:
            return None
        n = self.tag()
        kinds = ["create", "rename", "move", "move", "move-largest", "transfer", "split"]
        if len(movable) > INITIAL_UNITS // 2:
            kinds += ["dissolve", "merge"]
        kind = rng.choice(kinds)
        unit = rng.choice(movable)
        changes, new_slugs = [], []
        if kind == "create":
            under = rng.choice(sorted(parent))
            for k in range(rng.randint(1, 3)):
                slug = f"{self.prefix}-n{n}-{k}"
                changes.append(
                    Create(
                        slug=slug,
                        name=f"Ny enhed {n}-{k}",
                        parent=under if k == 0 else new_slugs[0],
                        kind="kontor",
                        position=rng.randrange(200),
                    )
                )
                new_slugs.append(slug)
        elif kind == "rename":
            changes.append(Rename(unit=unit, name=f"Omdøbt enhed {n}", short_name=f"OE{n}"))
        elif kind in ("move", "move-largest"):
            if kind == "move-largest":  # the branch with the most units: many placements copied
                unit = max(movable, key=lambda s: (len(self.subtree(children, s)), s))
            targets = sorted(set(parent) - self.subtree(children, unit) - {parent[unit]})
            if not targets:
                return None
            changes.append(Move(unit=unit, to=rng.choice(targets)))
        elif kind == "transfer":
            holders = sorted(u for u in tasks if u != root)
            if not holders:
                return None
            unit = rng.choice(holders)
            to = rng.choice([s for s in movable if s != unit] or [root])
            given = rng.sample(tasks[unit], rng.randint(1, len(tasks[unit])))
            changes.append(TransferTasks(from_unit=unit, to_unit=to, tasks=given))
        elif kind == "split":
            into = rng.sample([s for s in movable if s != unit] or [root], 1)
            changes.append(Split(unit=unit, into=into, ends=False))
        else:  # dissolve or merge: end a unit, handing its tasks and sub-units on
            heir = rng.choice(sorted(set(parent) - self.subtree(children, unit)))
            if tasks.get(unit):
                changes.append(TransferTasks(from_unit=unit, to_unit=heir, tasks=tasks[unit]))
            if kind == "merge":
                changes.append(Merge(units=[unit], into=heir))
            else:
                changes += [Move(unit=child, to=heir) for child in children.get(unit, ())]
                changes.append(Dissolve(unit=unit))
        return self.reorganise(kind, date, changes, new_slugs=new_slugs)

    def invalid_reorganisation(self, rng) -> Attempt | None:
        date = self.next_date(rng)
        parent, children, tasks = self.area_on(date)
        root = f"{self.prefix}-root"
        movable = sorted(s for s in parent if s != root)
        if not movable:
            return None
        n = self.tag()
        unit = rng.choice(movable)
        # Valid creations first, so that a refusal has MPTT renumbering of its own to undo.
        fresh = f"{self.prefix}-x{n}"
        changes = [Create(slug=fresh, name=f"Afvist enhed {n}", parent=unit, kind="kontor")]
        kind = rng.choice(
            ["unknown", "self", "duplicate", "before-parent", "cycle", "outlive", "large"]
        )
        must_refuse = kind in ("unknown", "self", "duplicate", "before-parent", "large")
        if kind == "large":  # enough placements to number the tree once, then refused
            changes += [
                Create(slug=f"{fresh}-{k}", name=f"Afvist {n}-{k}", parent=fresh, kind="enhed")
                for k in range(LARGE_REFUSED)
            ]
            changes.append(Rename(unit=f"{self.prefix}-missing-{n}", name="Findes ikke"))
        elif kind == "unknown":
            changes.append(Rename(unit=f"{self.prefix}-missing-{n}", name="Findes ikke"))
        elif kind == "self":
            changes.append(Move(unit=unit, to=unit))
        elif kind == "duplicate":
            changes.append(Create(slug=unit, name="Dublet", parent=root, kind="kontor"))
        elif kind == "before-parent":
            date = STRESS_FROM - datetime.timedelta(days=rng.randint(1, 400))
            changes = [Create(slug=fresh, name=f"Afvist enhed {n}", parent=root, kind="kontor")]
        elif kind == "cycle":
            below = sorted(self.subtree(children, unit) - {unit})
            changes.append(Move(unit=unit, to=rng.choice(below) if below else unit))
            must_refuse = not below
        else:  # outlive: end a unit whose sub-units remain
            with_children = sorted(s for s in movable if children.get(s))
            if not with_children:
                return None
            unit = with_children[0] if len(with_children) == 1 else rng.choice(with_children)
            changes = [Create(slug=fresh, name=f"Afvist enhed {n}", parent=unit, kind="kontor")]
            heir = rng.choice(sorted(set(parent) - self.subtree(children, unit)))
            if tasks.get(unit):
                changes.append(TransferTasks(from_unit=unit, to_unit=heir, tasks=tasks[unit]))
            changes.append(Dissolve(unit=unit))
        return self.reorganise(
            f"invalid:{kind}",
            date,
            changes,
            new_slugs=[c.slug for c in changes if isinstance(c, Create) and c.slug != unit],
            must_refuse=must_refuse,
        )

    def reorganise(self, kind, date, changes, *, new_slugs, must_refuse=False) -> Attempt:
        reason = self.new_reason("r")
        attempt = Attempt(
            kind=kind,
            reason=reason,
            must_refuse=must_refuse,
            key=f"{self.prefix}-{reason.rsplit(' ', 1)[1]}",
            date=date,
            changes=changes,
            new_slugs=new_slugs,
        )
        # Is another writer inside the structure lock right now? (Try it: the probe's own
        # transaction is just this statement, so it lets go at once.)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [STRUCTURE_LOCK_KEY])
            if not cursor.fetchone()[0]:
                self.stats.counts["lock waits"] += 1
        try:
            apply_reorganisation(
                key=attempt.key,
                title=f"Stresstest {kind}",
                date=date,
                changes=changes,
                user=self.user,
                reason=reason,
            )
            attempt.accepted = True
        except ValidationError as error:
            attempt.refusal = " ".join(error.messages)
        except Exception as error:  # a database error here is a bug: nothing else is expected
            attempt.error = f"{type(error).__name__}: {error}"
        return attempt

    def name_correction(self, rng, client) -> Attempt | None:
        """Correct how a name is spelled through the admin's change form, as an archivist
        would; one in six is invalid (an empty name) and must be refused."""
        names = list(
            UnitName.objects.authorised()
            .filter(unit__slug__startswith=self.prefix)
            .values_list("pk", "name", "short_name", "language")[:500]
        )
        if not names:
            return None
        pk, name, short_name, language = rng.choice(names)
        reason = self.new_reason("c")
        invalid = rng.random() < 1 / 6
        value = "" if invalid else f"{name.split(' ·', 1)[0]} ·{reason.rsplit(' ', 1)[1]}"
        attempt = Attempt(
            kind="correct:name", reason=reason, must_refuse=invalid, target_pk=pk, value=value
        )
        try:
            response = client.post(
                reverse("admin:orgunits_unitname_change", args=[pk]),
                {
                    "name": value,
                    "short_name": short_name,
                    "language": language,
                    "change_reason": reason,
                    "_save": "1",
                },
            )
        except Exception as error:
            attempt.error = f"{type(error).__name__}: {error}"
            return attempt
        saved = reverse("admin:orgunits_unitname_changelist")
        if response.status_code == 302 and response["Location"].startswith(saved):
            attempt.accepted = True
        elif response.status_code == 302:
            # The admin sends a change of a record that is gone to its front page: a replay
            # took the name back meanwhile and wrote it again under another id.
            attempt.refusal = _("the name was written again by a replay meanwhile")
        elif response.status_code == 200:
            attempt.refusal = _("the change form showed errors")
        else:
            attempt.error = f"HTTP {response.status_code}"
        return attempt

    def description_correction(self, rng) -> Attempt | None:
        """Correct a unit's description the way the admin saves a record: read it, change the
        field, validate, save with the user and the reason, in one transaction. One in six
        gives an invalid language code and must be refused."""
        slugs = list(
            Unit.objects.filter(slug__startswith=self.prefix).values_list("pk", flat=True)[:500]
        )
        if not slugs:
            return None
        pk = rng.choice(slugs)
        reason = self.new_reason("c")
        invalid = rng.random() < 1 / 6
        value = f"Beskrivelse rettet ({reason})"
        attempt = Attempt(
            kind="correct:description",
            reason=reason,
            must_refuse=invalid,
            target_pk=pk,
            value=value,
        )
        try:
            with transaction.atomic():
                unit = Unit.objects.get(pk=pk)
                unit.description = value
                if invalid:
                    unit.record_language = "ikke-en-kode"
                save_with_history(unit, user=self.user, reason=reason)
            attempt.accepted = True
        except ValidationError as error:
            attempt.refusal = " ".join(error.messages)
        except Exception as error:
            attempt.error = f"{type(error).__name__}: {error}"
        return attempt

    # Readers ----------------------------------------------------------------------------------

    def reader(self, worker: str):
        # Readers read as fast as they can, but at a lower CPU priority: on a small machine
        # rendering pages would otherwise starve the writer holding the structure lock, and
        # the run would measure the CPU rather than the writers' contention.
        os.nice(READER_NICENESS)
        rng = random.Random(f"{self.seed}-{worker}")
        client = Client()
        rows_sql = self.history_rows_sql()
        while not self.stop.is_set():
            self.check_version(rows_sql)
            last = self.day.value
            date = rng.choice(
                [*SEED_DATES, STRESS_FROM + datetime.timedelta(days=rng.randint(0, last))]
            )
            roll = rng.random()
            if roll < 0.6:
                url = f"/?date={date}"
            elif roll < 0.9:
                slug = (
                    Unit.objects.filter(nodes__isnull=False)
                    .order_by("?")
                    .values_list("slug", flat=True)
                    .first()
                )
                url = f"/units/{slug}/?date={date}"
            else:
                url = f"/export/org.jsonld?date={date}"
            try:
                status = client.get(url).status_code
            except Exception:
                status = traceback.format_exc(limit=-3)
            self.stats.counts["reads"] += 1
            if status != 200:
                self.stats.failures.append(f"{url}: {status}")

    @staticmethod
    def history_rows_sql() -> str:
        quote = connection.ops.quote_name
        return "SELECT " + " + ".join(
            f"(SELECT COUNT(*) FROM {quote(t)})" for t in historical_tables()
        )

    def check_version(self, rows_sql: str):
        """Read the data version pages are cached under and the number of history rows in one
        snapshot: the version must change whenever the number of rows does."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            version = data_version()
            cursor.execute(rows_sql)
            rows = cursor.fetchone()[0]
        self.stats.saw_version(version, rows)

    # Checking ---------------------------------------------------------------------------------

    def verify(self) -> list[str]:
        attempts = self.stats.attempts
        problems = registry_problems() + orphaned_tasks_problems()
        problems += names_outside_existence(self.prefix)
        for a in attempts:
            if a.error:
                problems.append(
                    _("%(kind)s (%(reason)s) failed with an error instead of an answer: %(error)s")
                    % {"kind": a.kind, "reason": a.reason, "error": a.error}
                )
            if a.accepted and a.must_refuse:
                problems.append(
                    _("%(kind)s (%(reason)s) was accepted although it is invalid.")
                    % {"kind": a.kind, "reason": a.reason}
                )
        for a in attempts:
            if a.accepted and not a.is_correction:
                problems += self.verify_reorganisation(a)
            elif a.accepted:
                problems += self.verify_correction(a)
        problems += self.verify_refusals([a for a in attempts if not a.accepted])
        problems += self.verify_no_lost_updates()
        problems += [
            _("A page or a worker failed while writers were busy: %(failure)s") % {"failure": f}
            for f in self.stats.failures
        ]
        problems += [
            _(
                "The data version %(version)s stood for two different states of the data: a "
                "page cached under it can be stale."
            )
            % {"version": v}
            for v in sorted(self.stats.version_collisions)
        ]
        return problems

    def verify_reorganisation(self, a: Attempt) -> list[str]:
        def missing(what):
            return _("The accepted reorganisation %(key)s lacks %(what)s.") % {
                "key": a.key,
                "what": what,
            }

        reorganisation = Reorganisation.objects.filter(key=a.key).first()
        if reorganisation is None:
            return [missing(_("its record"))]
        problems = []
        by_reorganisation = {"opened_by__reorganisation": reorganisation}
        if not Reorganisation.history.filter(
            id=reorganisation.pk, history_change_reason=a.reason, history_user=self.user
        ).exists():
            problems.append(missing(_("its history row")))
        changes = list(reorganisation.changes.all())
        if len(changes) != a.expected_changes:
            problems.append(missing(_("some of its changes")))
        recorded = set(
            Change.history.filter(
                id__in=[c.pk for c in changes], history_change_reason=a.reason
            ).values_list("id", flat=True)
        )
        if recorded != {c.pk for c in changes}:
            problems.append(missing(_("the history rows of its changes")))
        for spec in a.changes:
            # A name may have been corrected since: the name written is in its first history
            # row, the one with this reorganisation's reason.
            if isinstance(spec, Create):
                if (
                    not self.wrote_name(a, spec.slug, spec.name)
                    or not UnitNode.objects.filter(
                        unit__slug=spec.slug, valid_from=a.date, **by_reorganisation
                    ).exists()
                ):
                    problems.append(missing(_("the unit %(slug)s") % {"slug": spec.slug}))
            elif isinstance(spec, Rename):
                if not self.wrote_name(a, spec.unit, spec.name):
                    problems.append(missing(_("the new name of %(slug)s") % {"slug": spec.unit}))
            elif isinstance(spec, Move):
                if not UnitNode.objects.filter(
                    unit__slug=spec.unit, valid_from=a.date, **by_reorganisation
                ).exists():
                    problems.append(missing(_("the placement of %(slug)s") % {"slug": spec.unit}))
            elif isinstance(spec, TransferTasks):
                for task in spec.tasks:
                    closed = Responsibility.objects.filter(
                        task__slug=task,
                        unit__slug=spec.from_unit,
                        valid_to=a.date,
                        closed_by__reorganisation=reorganisation,
                    ).exists()
                    opened = Responsibility.objects.filter(
                        task__slug=task,
                        unit__slug=spec.to_unit,
                        valid_from=a.date,
                        **by_reorganisation,
                    ).exists()
                    if not (closed and opened):
                        problems.append(missing(_("the transfer of %(task)s") % {"task": task}))
            elif isinstance(spec, Merge | Dissolve):
                for slug in spec.units if isinstance(spec, Merge) else [spec.unit]:
                    ended = UnitNode.objects.filter(
                        unit__slug=slug, valid_to=a.date, closed_by__reorganisation=reorganisation
                    ).exists()
                    if (
                        not ended
                        or UnitNode.objects.filter(unit__slug=slug).valid_on(a.date).exists()
                    ):
                        problems.append(missing(_("the end of %(slug)s") % {"slug": slug}))
        return problems

    @staticmethod
    def wrote_name(a: Attempt, slug: str, name: str) -> bool:
        live = UnitName.objects.filter(
            unit__slug=slug, valid_from=a.date, opened_by__reorganisation__key=a.key
        )
        written = UnitName.history.filter(
            unit__slug=slug, history_type="+", history_change_reason=a.reason, name=name
        )
        return live.exists() and written.exists()

    def verify_correction(self, a: Attempt) -> list[str]:
        model, column = (UnitName, "name") if a.kind == "correct:name" else (Unit, "description")
        if model.history.filter(
            id=a.target_pk,
            history_change_reason=a.reason,
            history_user=self.user,
            **{column: a.value},
        ).exists():
            return []
        return [
            _("The accepted correction %(reason)s has no history row with its value.")
            % {"reason": a.reason}
        ]

    def verify_refusals(self, refused: list[Attempt]) -> list[str]:
        problems = []
        reasons = [a.reason for a in refused]
        for table_model in history_models():
            left = table_model.objects.filter(history_change_reason__in=reasons)
            for reason in left.values_list("history_change_reason", flat=True).distinct():
                problems.append(
                    _("The refused write %(reason)s left history rows in %(table)s.")
                    % {"reason": reason, "table": table_model._meta.db_table}
                )
        keys = [a.key for a in refused if a.key]
        for key in Reorganisation.objects.filter(key__in=keys).values_list("key", flat=True):
            problems.append(_("The refused reorganisation %(key)s was recorded.") % {"key": key})
        fresh = [s for a in refused for s in a.new_slugs]
        for slug in Unit.objects.filter(slug__in=fresh).values_list("slug", flat=True):
            problems.append(_("A refused write created the unit %(slug)s.") % {"slug": slug})
        return problems

    def verify_no_lost_updates(self) -> list[str]:
        """In each record's history, every write changes only what it may: corrections never
        move a name's period or the changes that opened and closed it, reorganisations never
        change its spelling, and a correction of a unit changes nothing but what it
        corrected. The live row is its latest history row."""
        correction = re.compile(rf"^stress {re.escape(self.prefix)} cw\d+-\d+$")
        problems = []
        for model, kept_by_corrections, kept_by_structure in (
            (UnitName, NAME_STRUCTURE, NAME_FIELDS),
            (Unit, tuple(f for f in tracked_fields(Unit) if f != "description"), ()),
        ):
            fields = tracked_fields(model)
            ids = model.objects.filter(
                **{"slug__startswith" if model is Unit else "unit__slug__startswith": self.prefix}
            ).values_list("pk", flat=True)
            rows = (
                model.history.filter(id__in=list(ids))
                .order_by("id", "history_id")
                .values("id", "history_change_reason", *fields)
            )
            latest = {}
            for row in rows:
                previous = latest.get(row["id"])
                latest[row["id"]] = row
                if previous is None:
                    continue
                by_correction = bool(correction.match(row["history_change_reason"] or ""))
                kept = kept_by_corrections if by_correction else kept_by_structure
                changed = [f for f in kept if row[f] != previous[f]]
                if changed:
                    problems.append(
                        _(
                            "%(model)s %(pk)s: the write “%(reason)s” changed %(fields)s, which "
                            "it did not set: it overwrote another write."
                        )
                        % {
                            "model": model.__name__,
                            "pk": row["id"],
                            "reason": row["history_change_reason"],
                            "fields": ", ".join(changed),
                        }
                    )
            for live in model.objects.filter(pk__in=latest).values("pk", *fields):
                row = latest[live["pk"]]
                if any(live[f] != row[f] for f in fields):
                    problems.append(
                        _("%(model)s %(pk)s differs from its latest history row.")
                        % {"model": model.__name__, "pk": live["pk"]}
                    )
        return problems

    # Reporting --------------------------------------------------------------------------------

    def summary(self, duration: float, problems: list[str]) -> dict:
        attempts = self.stats.attempts
        reorganisations = [a for a in attempts if not a.is_correction]
        corrections = [a for a in attempts if a.is_correction]
        history_rows = sum(
            m.objects.filter(history_change_reason__startswith=f"stress {self.prefix} ").count()
            for m in history_models()
        )
        by_kind = defaultdict(lambda: [0, 0])
        for a in attempts:
            by_kind[a.kind][0 if a.accepted else 1] += 1
        return {
            "prefix": self.prefix,
            "seed": self.seed,
            "writers": self.writers,
            "readers": self.readers,
            "seconds": round(duration, 1),
            "writes_accepted": sum(a.accepted for a in reorganisations),
            "writes_refused": sum(not a.accepted for a in reorganisations),
            "corrections_accepted": sum(a.accepted for a in corrections),
            "corrections_refused": sum(not a.accepted for a in corrections),
            "lock_waits": self.stats.counts["lock waits"],
            "max_queued_for_lock": self.stats.max_waiting,
            "history_rows": history_rows,
            "reads": self.stats.counts["reads"],
            "failures": len(self.stats.failures),
            "errors": sum(bool(a.error) for a in attempts),
            "version_collisions": len(self.stats.version_collisions),
            "nodes": UnitNode.objects.count(),
            "problems": len(problems),
            "by_kind": {k: {"accepted": v[0], "refused": v[1]} for k, v in sorted(by_kind.items())},
        }


def history_models():
    from django.apps import apps

    return [
        model.history.model
        for label in ("orgunits", "history", "responsibilities")
        for model in apps.get_app_config(label).get_models()
        if hasattr(model, "history")
    ]


def tracked_fields(model) -> list[str]:
    """The columns a model's history keeps (MPTT numbers and the like are left out)."""
    history = model.history.model
    kept = {f.attname for f in history._meta.fields}
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.attname in kept and f.attname not in MPTT_FIELDS and not f.primary_key
    ]


def names_outside_existence(prefix: str) -> list[str]:
    """An authorised name may only be valid while its unit has a placement."""
    from socialforvaltning.periods import period_within

    placements = defaultdict(list)
    for unit, start, end in UnitNode.objects.filter(unit__slug__startswith=prefix).values_list(
        "unit__slug", "valid_from", "valid_to"
    ):
        placements[unit].append((start, end))
    problems = []
    for unit, start, end in (
        UnitName.objects.authorised()
        .filter(unit__slug__startswith=prefix)
        .values_list("unit__slug", "valid_from", "valid_to")
    ):
        spans = merge_spans(placements[unit])
        if not any(period_within(start, end, s, e) for s, e in spans):
            problems.append(
                _("“%(unit)s” has an authorised name (%(start)s – %(end)s) while it has no place.")
                % {"unit": unit, "start": start or "…", "end": end or "…"}
            )
    return problems


def merge_spans(spans):
    """Adjoining periods joined: a unit that moved existed without a break."""
    ordered = sorted(spans, key=lambda s: (s[0] is not None, s[0]))
    merged = []
    for start, end in ordered:
        if merged and merged[-1][1] is not None and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class Command(BaseCommand):
    help = (
        "Stress the registry on PostgreSQL: concurrent writers apply random valid and invalid "
        "reorganisations and corrections while readers render pages; then check that the tree "
        "and every invariant are intact, every accepted write is there with its history and "
        "every refused one left nothing. Writes test units: only with debug on. Exit status 1 "
        "when anything is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("--writers", type=int, default=8)
        parser.add_argument("--readers", type=int, default=8)
        parser.add_argument("--seconds", type=float, default=30.0)
        parser.add_argument("--seed", type=int, default=None, help="Random seed (default: any).")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(_("The stress test runs only on PostgreSQL."))
        if not settings.DEBUG:
            raise CommandError(
                _("The stress test writes test units into the registry: refused when debug is off.")
            )
        if not Unit.objects.filter(slug=SEED_ROOT).exists():
            raise CommandError(_("Load the seed first (manage.py bootstrap)."))
        seed = options["seed"] if options["seed"] is not None else random.randrange(10**6)
        run = StressRun(
            writers=options["writers"],
            readers=options["readers"],
            seconds=options["seconds"],
            seed=seed,
        )
        run.set_up()
        duration = run.run()
        problems = run.verify()
        summary = run.summary(duration, problems)
        if options["verbosity"] > 1:
            for a in run.stats.attempts:
                if not a.accepted:
                    self.stdout.write(f"refused {a.kind} {a.reason}: {a.refusal or a.error}")
        for problem in problems[:200]:
            self.stdout.write(f"- {problem}")
        rows = [(k, v) for k, v in summary.items() if k != "by_kind"]
        rows += [
            (f"  {kind}", f"{c['accepted']} accepted, {c['refused']} refused")
            for kind, c in summary["by_kind"].items()
        ]
        width = max(len(k) for k, _v in rows)
        for key, value in rows:
            self.stdout.write(f"{key.ljust(width)}  {value}")
        self.stdout.write("STRESS_RESULT " + json.dumps(summary))
        if problems:
            self.stderr.write(_("%(count)s problems found.") % {"count": len(problems)})
            raise SystemExit(1)
