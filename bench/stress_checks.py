"""What the stress test's workers tried and saw (`Attempt`, `Stats`), and the checks on the
registry once every writer has stopped (`Checks`). Imported after django.setup()."""

import datetime
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from history.changes import Create, Dissolve, Merge, Move, Rename, Split, TransferTasks
from history.models import Change, Reorganisation
from orgunits.integrity import registry_problems
from orgunits.models import MPTT_FIELDS, Unit, UnitName, UnitNode
from responsibilities.lookup import orphaned_tasks_problems
from responsibilities.models import Responsibility

# A name's spelling, which only a correction may change, and its period and the changes that
# opened and closed it, which only a reorganisation may.
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


class Checks:
    """The problems a run left, and its summary."""

    def __init__(self, run):
        self.prefix, self.user, self.stats = run.prefix, run.user, run.stats
        self.seed, self.writers, self.readers = run.seed, run.writers, run.readers

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
