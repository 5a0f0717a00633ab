"""The stress test's run: a stress area of its own in the registry, then writer and reader
processes until the time is up. Imported after django.setup() (bench/stress.py)."""

import datetime
import itertools
import multiprocessing
import os
import queue
import random
import time
import traceback
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _

from bench.stress_checks import Attempt, Stats
from history.changes import Create, Dissolve, Merge, Move, Rename, Split, TransferTasks
from history.services import apply_reorganisation
from orgunits.models import Unit, UnitName, UnitNode
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
