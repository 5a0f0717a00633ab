"""Applying a reorganisation: the one path that writes structure.

The seed loader, the admin and the tests all call `apply_reorganisation`. It runs in one
transaction, serialised against other structural writers, validates every row it writes
(`full_clean`), records each write in history with the user and the reason, and either
applies every change or none.

Large writes stay the same writes, validated row by row, but avoid costs that grow with
their size: the tree is numbered once, at the end, and the planner's statistics are refreshed
as the write grows (`history/numbering.py`); history rows are written per model at the end of
the reorganisation (`_History`), not one insert per save.
"""

import copy
import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from orgunits.models import (
    MPTT_FIELDS,
    Citation,
    SourceDocument,
    Unit,
    UnitClassification,
    UnitName,
    UnitNode,
)
from responsibilities.models import (
    Post,
    Responsibility,
    Task,
    lie_within_units,
    lies_within,
    placements_of,
)
from socialforvaltning.lib.dates import format_date
from socialforvaltning.lib.text import danish_slug
from socialforvaltning.locks import lock_structure
from socialforvaltning.periods import Certainty, format_period, periods_overlap

from . import projection
from .changes import (
    PHASES,
    Cite,
    Create,
    Dissolve,
    Merge,
    Move,
    Place,
    Reclassify,
    Recreate,
    Rename,
    Split,
    TransferTasks,
    naming_of,
)
from .models import Change, Reorganisation
from .numbering import (
    RENUMBER_ONCE_AFTER,
    numbering_deferred,
    one_owner_checked_at_the_end,
    refresh_statistics,
    statistics_due,
)


def apply_reorganisation(
    *,
    title: str,
    date: datetime.date | None,
    changes: Sequence[
        Create | Place | Move | Rename | Reclassify | TransferTasks | Merge | Split | Dissolve
    ],
    reason: str,
    user=None,
    key: str = "",
    certainty: str = Certainty.EXACT,
    not_before: datetime.date | None = None,
    not_after: datetime.date | None = None,
    description: str = "",
    cite: Sequence[Cite] = (),
    status: str = Reorganisation.Status.IN_FORCE,
) -> Reorganisation:
    """Apply a dated reorganisation, all of it or nothing.

    A reorganisation dated before others in force is entered where it belongs: the
    projection is taken back to the day after its date and the later ones are replayed after
    it (those of its own date stay before it: reorganisations are ordered by date, then by
    when they were entered). A planned one is checked against the structure as it would
    apply now, recorded with its changes, and left out of the structure until put in force.

    Raises ValidationError, with a message a person can act on, when any change would break
    an invariant, its own or a later reorganisation's; the transaction is then rolled back
    and nothing is left behind.
    """
    if status not in (Reorganisation.Status.IN_FORCE, Reorganisation.Status.PLANNED):
        raise ValidationError(_("A new reorganisation is either in force or planned."))
    with _writing(reason=reason, user=user) as run:
        after = date + datetime.timedelta(days=1) if date else datetime.date.min
        later = []
        if projection.in_force_from(after).exists():  # entered out of order: what follows?
            named, moving = _units_of_specs(changes)
            scope = projection.scope_of(named, after, [(u, date) for u in moving])
            later = list(projection.in_force_from(after, scope))
        if later:
            run.truncate(after, scope)
        reorganisation = Reorganisation(
            key=key or _unique_key(date, title),
            date=date,
            certainty=certainty,
            not_before=not_before,
            not_after=not_after,
            title=title,
            description=description,
        )
        writer = run.writer(reorganisation)
        writer.save(reorganisation)
        writer.cite(reorganisation, cite)
        writer.apply(changes)
        run.replay(later)
        if status == Reorganisation.Status.PLANNED:
            # Checked and recorded as it would apply; then out of the structure again.
            reorganisation.status = status
            writer.save(reorganisation)
            run.replay_from(date, correction_scope(reorganisation, date))
        _refuse_stranded_responsibilities(date, run.history.placed_units())
    return reorganisation


def replay_structure(
    *,
    since: datetime.date | None = None,
    reason: str,
    user=None,
    scope: projection.Scope = projection.EVERYTHING,
) -> list[Reorganisation]:
    """Take the projection back to `since` (None: entirely) and replay every reorganisation
    in force from then on (within `scope`); returns them. Raises ValidationError, naming the
    reorganisation that no longer applies, if any does not."""
    with _writing(reason=reason, user=user) as run:
        replayed = run.replay_from(since, scope)
        _refuse_stranded_responsibilities(since, run.history.placed_units())
    return replayed


def withdraw_reorganisation(reorganisation: Reorganisation, *, reason: str, user=None):
    """Take a reorganisation out of the structure. It stays on record as withdrawn, with who,
    when and why; the structure from its date on is replayed without it."""

    def withdraw(r):
        if r.withdrawn:
            raise ValidationError(
                _("“%(title)s” was withdrawn already (%(when)s).")
                % {"title": r.title, "when": format_date(r.withdrawn_at.date())}
            )
        r.status = Reorganisation.Status.WITHDRAWN
        r.withdrawn_at, r.withdrawn_by, r.withdrawal_reason = timezone.now(), user, reason
        return r.date

    return _correct(reorganisation, withdraw, reason=reason, user=user)


def put_in_force(reorganisation: Reorganisation, *, reason: str, user=None):
    """Put a planned or withdrawn reorganisation (back) in force: the structure from its date
    on is replayed with it."""

    def in_force(r):
        if r.in_force:
            raise ValidationError(_("“%(title)s” is in force already.") % {"title": r.title})
        r.status = Reorganisation.Status.IN_FORCE
        r.withdrawn_at, r.withdrawn_by, r.withdrawal_reason = None, None, ""
        return r.date

    return _correct(reorganisation, in_force, reason=reason, user=user)


def redate_reorganisation(
    reorganisation: Reorganisation,
    *,
    date: datetime.date | None,
    reason: str,
    user=None,
    certainty: str = Certainty.EXACT,
    not_before: datetime.date | None = None,
    not_after: datetime.date | None = None,
):
    """Give a reorganisation another date (and certainty): the structure is replayed from the
    earlier of its old and new dates."""

    def redate(r):
        old = r.date
        new = (date, certainty, not_before, not_after)
        if (r.date, r.certainty, r.not_before, r.not_after) == new:
            raise ValidationError(_("“%(title)s” has that date already.") % {"title": r.title})
        r.date, r.certainty, r.not_before, r.not_after = new
        if date is None and r.changes.exclude(kind=Change.Kind.CREATED).exists():
            raise ValidationError(
                _("Only creations can be recorded without a date (“%(title)s”).")
                % {"title": r.title}
            )
        return projection.earliest_date(old, date)

    return _correct(reorganisation, redate, reason=reason, user=user)


def revise_reorganisation(
    reorganisation: Reorganisation,
    *,
    changes: Sequence[
        Create | Place | Move | Rename | Reclassify | TransferTasks | Merge | Split | Dissolve
    ],
    reason: str,
    user=None,
) -> Reorganisation:
    """Replace a recorded reorganisation's changes (a wrong parent, a wrong unit, a missing
    transfer): its old change rows go (kept in history), the new ones are applied at its
    place in the order of reorganisations, and the structure is replayed from its date."""
    if not changes:
        raise ValidationError(_("Give at least one change."))
    with _writing(reason=reason, user=user) as run:
        current = Reorganisation.objects.get(pk=reorganisation.pk)
        since = current.date
        scope = correction_scope(current, since, specs=changes)
        later = list(projection.in_force_from(since, scope))
        run.truncate(since, scope)
        changes = _keeping_citations(current, changes)
        old = Change.objects.filter(reorganisation=current)
        run.history.delete(
            Citation.objects.filter(
                content_type=ContentType.objects.get_for_model(Change),
                object_id__in=old.values("pk"),
            )
        )
        run.history.delete(old)
        if not current.in_force:  # checked at its place as if in force, then left out
            later = sorted([*later, current], key=lambda r: (r.date or datetime.date.min, r.pk))
        run.writer(current).save(current)  # the revision is an entry in its history
        run.replay(later, revised=(current.pk, list(changes)))
        if not current.in_force:
            # Taken out again: what its new changes wrote, units they created included.
            run.replay_from(since, correction_scope(current, since))
        _refuse_stranded_responsibilities(since, run.history.placed_units())
    return current


def _keeping_citations(reorganisation: Reorganisation, changes) -> list:
    """The revised changes, each citing what the recorded change of the same kind and unit
    cited (the source of a move still supports the move once its parent is corrected), unless
    it cites sources of its own."""
    specs, behind = _recorded_changes([reorganisation])[reorganisation.pk]
    cited: dict[tuple, list[Cite]] = {}
    for spec in specs:
        # A merge's or split's rows cite the same passages: each once.
        cites = dict.fromkeys(_cites(c for row in behind[id(spec)] for c in row.citations.all()))
        cited.setdefault(_kind_and_unit(spec), list(cites))
    return [
        change
        if change.cite or not cited.get(_kind_and_unit(change))
        else dataclasses.replace(change, cite=tuple(cited.pop(_kind_and_unit(change))))
        for change in changes
    ]


def _cites(citations) -> tuple[Cite, ...]:
    """Recorded citations as the `Cite`s that write them again."""
    return tuple(
        Cite(
            document=c.document.key,
            heading=c.heading,
            excerpt=c.excerpt,
            role=c.role,
            note=c.note,
        )
        for c in citations
    )


def _kind_and_unit(spec) -> tuple:
    # A creation comes back to the form as the placement of its unit.
    kind = Place if isinstance(spec, Recreate) else type(spec)
    names = ("unit", "slug", "from_unit", "into")
    unit = next((getattr(spec, name) for name in names if hasattr(spec, name)), None)
    return kind, unit


def _correct(reorganisation: Reorganisation, edit, *, reason: str, user) -> Reorganisation:
    """Edit a recorded reorganisation and replay the structure from the date the edit
    returns, in one transaction: all of it, or nothing and a ValidationError naming the
    reorganisation that no longer applies."""
    with _writing(reason=reason, user=user) as run:
        current = Reorganisation.objects.get(pk=reorganisation.pk)  # as committed
        shaped_before, dated_before = current.in_force, current.date
        since = edit(current)
        run.writer(current).save(current)
        if shaped_before or current.in_force:
            run.replay_from(since, correction_scope(current, since, dates=[dated_before]))
            _refuse_stranded_responsibilities(since, run.history.placed_units())
    return current


# The reason is kept in every history row a write leaves (simple-history's column holds 100).
REASON_MAX_LENGTH = 100


@contextmanager
def _writing(*, reason: str, user) -> Iterator["_Run"]:
    """One transaction that writes structure, under the structure lock; its history rows go
    in at the end, and the tree is numbered before the commit if a large write deferred it."""
    if not reason or not reason.strip():
        raise ValidationError(_("Say why the registry is being changed (a reason is required)."))
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            _("Give the reason in at most %(n)s characters; a source can be cited beside it.")
            % {"n": REASON_MAX_LENGTH}
        )
    with transaction.atomic(), ExitStack() as deferral:
        lock_structure()
        run = _Run(user=user, reason=reason, deferral=deferral)
        yield run
        run.history.write()


class _Run:
    """What the writes of one transaction share: who and why, the deferral of the tree's
    numbering, and the history rows to insert at its end."""

    def __init__(self, *, user, reason: str, deferral: ExitStack):
        self.user, self.reason, self.deferral = user, reason, deferral
        self.history = _History(user=user, reason=reason)

    def writer(self, reorganisation: Reorganisation) -> "_Writer":
        return _Writer(
            reorganisation,
            user=self.user,
            reason=self.reason,
            deferral=self.deferral,
            history=self.history,
        )

    def truncate(self, since: datetime.date | None, scope: projection.Scope) -> None:
        self.deferral.enter_context(numbering_deferred())
        self.deferral.enter_context(one_owner_checked_at_the_end())
        projection.truncate(since, self.history, scope)

    def replay_from(self, since, scope: projection.Scope) -> list[Reorganisation]:
        """Take the projection back to `since` within `scope` and apply the reorganisations
        in force from then on again."""
        later = list(projection.in_force_from(since, scope))
        self.truncate(since, scope)
        self.replay(later)
        return later

    def replay(self, reorganisations, *, revised=None) -> None:
        """Apply recorded reorganisations again, in order, from their own change rows; the
        one `revised` names (id, changes) from its new changes instead, recording them."""
        if not reorganisations:
            return
        recorded = _recorded_changes(reorganisations)
        for reorganisation in reorganisations:
            writer = self.writer(reorganisation)
            is_revised = bool(revised) and reorganisation.pk == revised[0]
            if is_revised:
                specs = revised[1]
            else:
                specs, writer.replaying = recorded[reorganisation.pk]
            try:
                writer.apply(specs)
            except ValidationError as error:
                refusal = ValidationError(
                    _("“%(title)s” (%(date)s) can no longer be applied: %(error)s")
                    % {
                        "title": reorganisation.title,
                        "date": reorganisation.date_display,
                        "error": " ".join(error.messages),
                    }
                )
                if is_revised:  # the archivist's own rows: shown beside the one refused
                    refusal.change_position = getattr(error, "change_position", None)
                raise refusal from error


def correction_scope(
    reorganisation: Reorganisation, since: datetime.date | None, *, dates=(), specs=()
) -> projection.Scope:
    """What a correction of `reorganisation` from `since` can affect (see `projection.Scope`):
    the units its recorded changes and the revised ones (`specs`) name, and those below the
    units they move or merge, on its date and on each of `dates` (its date before a re-dating)."""
    named_by, carrying = projection.units_of_changes(reorganisation.changes.all())
    named = named_by[reorganisation.pk]
    moving = {unit for unit, _date in carrying[reorganisation.pk]}
    if specs:
        spec_named, spec_moving = _units_of_specs(specs)
        named |= spec_named
        moving |= spec_moving
    carried = [(u, d) for u in moving for d in {reorganisation.date, *dates}]
    return projection.scope_of(named, since, carried)


def _units_of_specs(specs) -> tuple[set[int], set[int]]:
    """The ids of the units the specs name, and of those they move or merge."""
    units = Unit.objects.in_bulk(_named_slugs(specs), field_name="slug")
    moving = set()
    for spec in specs:
        if isinstance(spec, Move):
            moving.add(spec.unit)
        elif isinstance(spec, Merge):
            moving.update(spec.units)
    return {u.pk for u in units.values()}, {units[s].pk for s in moving if s in units}


def recorded_specs(reorganisation: Reorganisation) -> list:
    """A recorded reorganisation's changes as the specs that apply them again."""
    return _recorded_changes([reorganisation])[reorganisation.pk][0]


def _recorded_changes(reorganisations) -> dict[int, tuple[list, dict]]:
    """For each reorganisation, the changes its rows record, as the specs that apply them
    again, and the rows behind each spec (by the spec's id), in two queries."""
    rows = (
        Change.objects.filter(reorganisation__in=[r.pk for r in reorganisations])
        .select_related("unit", "target", "post")
        .prefetch_related("citations__document")
        .order_by("reorganisation_id", "id")
    )
    grouped: dict[int, list[Change]] = defaultdict(list)
    for row in rows:
        grouped[row.reorganisation_id].append(row)
    return {r.pk: _specs_of(grouped[r.pk]) for r in reorganisations}


def _specs_of(rows: list[Change]) -> tuple[list, dict]:
    specs, behind = [], {}

    def add(spec, spec_rows):
        specs.append(spec)
        behind[id(spec)] = spec_rows

    i = 0
    while i < len(rows):
        row = rows[i]
        kind = row.kind
        target = row.target.slug if row.target_id else None
        if kind in (Change.Kind.MERGED, Change.Kind.SPLIT):
            # A merge's rows share the resulting unit, a split's the unit split.
            j = i + 1
            while j < len(rows) and _same_spec(row, rows[j]):
                j += 1
            group = rows[i:j]
            if kind == Change.Kind.MERGED:
                spec = Merge(
                    units=tuple(r.unit.slug for r in group),
                    into=target,
                    note=row.note,
                    hands_on_tasks=row.hands_on_tasks,
                )
            else:
                spec = Split(
                    unit=row.unit.slug,
                    into=tuple(r.target.slug for r in group),
                    ends=row.ends,
                    note=row.note,
                )
            add(spec, list(group))
            i = j
            continue
        if kind == Change.Kind.CREATED:
            spec = Recreate(unit=row.unit.slug, parent=target, note=row.note, **naming_of(row))
        elif kind == Change.Kind.RENAMED:
            spec = Rename(unit=row.unit.slug, note=row.note, **naming_of(row))
        elif kind == Change.Kind.RECLASSIFIED:
            spec = Reclassify(
                unit=row.unit.slug,
                kind=row.unit_kind or None,
                target_group=row.target_group,
                note=row.note,
            )
        elif kind == Change.Kind.MOVED:
            spec = Move(unit=row.unit.slug, to=target, note=row.note)
        elif kind == Change.Kind.DISSOLVED:
            spec = Dissolve(unit=row.unit.slug, note=row.note)
        else:
            spec = TransferTasks(
                from_unit=row.unit.slug,
                to_unit=target,
                tasks=tuple(row.tasks),
                role=row.role or None,
                post=... if row.keeps_post else (row.post.slug if row.post_id else None),
                inferred=row.inferred,
                note=row.note,
                # The responsibilities a transfer opens carry its citations.
                cite=_cites(row.citations.all()),
            )
        add(spec, [row])
        i += 1
    return specs, behind


def _named_slugs(changes) -> set[str]:
    """The slugs of every unit the changes name."""
    slugs = set()
    for change in changes:
        for name in ("slug", "parent", "unit", "to", "into", "from_unit", "to_unit"):
            value = getattr(change, name, None)
            if isinstance(value, str):
                slugs.add(value)
        for name in ("units", "into"):
            value = getattr(change, name, None)
            if isinstance(value, (list, tuple)):
                slugs.update(v for v in value if isinstance(v, str))
    return slugs


def _same_spec(first: Change, row: Change) -> bool:
    """Whether `row` belongs to the same merge (the resulting unit) or split (the unit split)
    as `first`."""
    if row.kind != first.kind:
        return False
    if first.kind == Change.Kind.MERGED:
        return (row.target_id, row.hands_on_tasks) == (first.target_id, first.hands_on_tasks)
    return (row.unit_id, row.ends) == (first.unit_id, first.ends)


def _refuse_stranded_responsibilities(since: datetime.date | None, units: set[int]) -> None:
    """A responsibility no change opened (one the sources give from a date) must still lie
    within its unit's existence after a replay: one from before the correction's date that
    reaches past it, or one beginning after it, may have lost its unit. Only the `units`
    whose placements this write changed can have lost theirs."""
    if not units:
        return
    held = Responsibility.objects.filter(opened_by=None, unit_id__in=units).overlapping(since, None)
    rows = list(held.values("unit_id", "unit__slug", "task__name", "valid_from", "valid_to"))
    if not rows:
        return
    placements = placements_of(r["unit_id"] for r in rows)
    stranded = [
        row
        for row in rows
        if not lies_within(row["valid_from"], row["valid_to"], placements[row["unit_id"]])
    ]
    if stranded:
        raise ValidationError(
            _(
                "After this change “%(unit)s” would not exist for the whole period of its "
                "responsibility for “%(task)s” (%(period)s): correct or end that "
                "responsibility first."
            )
            % {
                "unit": stranded[0]["unit__slug"],
                "task": stranded[0]["task__name"],
                "period": format_period(stranded[0]["valid_from"], stranded[0]["valid_to"]),
            }
        )


def _unique_key(date, title) -> str:
    base = danish_slug(f"{date or 'udateret'}-{title}")[:80] or "omorganisering"
    key, n = base, 2
    while Reorganisation.objects.filter(key=key).exists():
        key, n = f"{base}-{n}", n + 1
    return key


def _held_later(unit: Unit, tasks: list[str], date: datetime.date) -> str:
    """Where a later reorganisation hands any of `tasks` to `unit`: which, and when (often
    one dated "at some point" within a range, and placed at its end). Read off the recorded
    changes: a replay has taken back what they wrote."""
    later = (
        Change.objects.filter(
            kind=Change.Kind.TASKS_TRANSFERRED,
            target=unit,
            reorganisation__status=Reorganisation.Status.IN_FORCE,
            reorganisation__date__gt=date,
        )
        .select_related("reorganisation")
        .order_by("reorganisation__date", "reorganisation_id")
    )
    handing = next((c for c in later if set(c.tasks) & set(tasks)), None)
    if handing is None:
        return ""
    reorganisation = handing.reorganisation
    return _(
        "It gets them by “%(title)s” (%(dated)s): date that reorganisation earlier first, or "
        "this one later."
    ) % {"title": reorganisation.title, "dated": reorganisation.date_display}


def _before(a, b) -> bool:
    """a < b for period bounds where None at a start means -inf (use for starts only)."""
    if a is None:
        return b is not None
    return b is not None and a < b


def _end_le(a, b) -> bool:
    """a <= b for period ends, where None means +inf."""
    if b is None:
        return True
    return a is not None and a <= b


class _History:
    """The history rows of one reorganisation's writes, inserted together at its end.

    They are the rows django-simple-history writes on each save, and it writes them: a copy
    of the row as saved, with its user, reason and moment, goes to the model's
    `bulk_history_create` (creations before updates, so each row's versions keep their
    order). One insert per model instead of one per row, and none of the per-save work of
    the signal (which builds a manager class on every save), is what makes a reorganisation
    of thousands of rows affordable; nothing reads history while a reorganisation runs."""

    def __init__(self, *, user, reason: str):
        self.pending: dict[type, tuple[list, list]] = {}
        self.deleted: list = []
        # One moment, one user and one reason for every row of one write: `?recorded=` sees
        # all of it or none of it, never a replay half done. Rows of one record keep their
        # order by their ids.
        self.moment = timezone.now()
        self.user, self.reason = user, reason
        self.superseded = projection.Superseded()

    def _row(self, obj):
        row = copy.copy(obj)
        row._history_date = self.moment
        row._history_user, row._change_reason = self.user, self.reason
        return row

    def created(self, objs) -> None:
        """Rows inserted together (by `bulk_create`): their history rows, as `save` keeps."""
        for obj in objs:
            self.pending.setdefault(type(obj), ([], []))[0].append(self._row(obj))

    def placed_units(self) -> set[int]:
        """The units whose placements this write created, changed or deleted."""
        written = self.pending.get(UnitNode, ([], []))
        units = {node.unit_id for rows in written for node in rows}
        units.update(row.unit_id for row in self.deleted if row.instance_type is UnitNode)
        return units

    def delete(self, queryset) -> None:
        """Delete the rows of `queryset` in one statement, keeping a deletion row in history
        for each (what `?recorded=` before the deletion still shows)."""
        history = queryset.model.history.model
        rows = list(queryset.order_by("pk"))
        self.superseded.remember(rows)
        self.deleted += [
            history(
                history_date=self.moment,
                history_user=self.user,
                history_change_reason=self.reason,
                history_type="-",
                **{f.attname: getattr(row, f.attname) for f in history.tracked_fields},
            )
            for row in rows
        ]
        # Raw: the rows go together (placements with their sub-placements, which the
        # deferred foreign keys check at the commit), without a query per row.
        queryset._raw_delete(queryset.db)

    def save(self, obj):
        created = obj._state.adding
        obj.skip_history_when_saving = True  # simple-history's switch for this one save
        try:
            obj.save()
        finally:
            del obj.skip_history_when_saving
        self.pending.setdefault(type(obj), ([], []))[0 if created else 1].append(self._row(obj))

    def write(self):
        """Insert the history rows: creations, then updates, then deletions, so that a row
        created and taken back in one write (a plan checked, then left out) ends deleted."""
        self.superseded.settle(self)
        for model, (created, updated) in self.pending.items():
            for rows, update in ((created, False), (updated, True)):
                if rows:
                    model.history.bulk_history_create(rows, update=update)
        by_model = defaultdict(list)
        for row in self.deleted:
            by_model[type(row)].append(row)
        for history, rows in by_model.items():
            history.objects.bulk_create(rows)
        self.pending, self.deleted = {}, []


class _Writer:
    def __init__(
        self, reorganisation: Reorganisation, *, user, reason: str, deferral=None, history=None
    ):
        self.reorganisation = reorganisation
        self.date = reorganisation.date
        self.user = user
        self.reason = reason
        # Tasks whose owner handed them on in another role: someone must own them afterwards.
        self.ownership_handed_on: dict[int, Task] = {}
        # Units by slug, read once: the writer never changes a unit's own row once written.
        self.units: dict[str, Unit] = {}
        self.deferral = deferral
        self.nodes_placed = 0
        self.history = history or _History(user=user, reason=reason)
        # A replay applies recorded changes again: the rows behind each spec, by its id.
        self.replaying: dict[int, list[Change]] | None = None
        # A replay's creations insert their names and placements together (`flush`), not
        # one statement each; the units whose rows wait, so that a child flushes its parent.
        self.queueing = False
        self.queued: list = []
        self.queued_units: set[int] = set()
        # The node of each unit this reorganisation creates, by unit id. Such a node keeps
        # its period [date, open) throughout: a unit cannot move or end on its first day.
        self.created_nodes: dict[int, UnitNode] = {}
        self.responsibilities_written: list[Responsibility] = []

    # Writing rows -------------------------------------------------------------------

    def save(self, obj, *, exclude=(), validate_unique=True):
        # Related rows are instances this writer just read or wrote in the same transaction,
        # and the database checks foreign keys itself: skip a query per foreign key. Likewise
        # the check constraints: each model's clean() states them in words (the period, a
        # range's order, a date unless before the records), the database enforces them, and
        # validating them again costs three queries per row.
        self.validate(obj, exclude=exclude, validate_unique=validate_unique)
        self.history.save(obj)
        return obj

    def validate(self, obj, *, exclude=(), validate_unique=True):
        self.inherit(obj)
        if isinstance(obj, Responsibility):
            obj.within_unit_checked_later = True  # at the end of `apply`, all in one query
            self.responsibilities_written.append(obj)
        foreign_keys = [f.name for f in obj._meta.fields if f.many_to_one]
        obj.full_clean(
            exclude=[*exclude, *foreign_keys],
            validate_unique=validate_unique,
            validate_constraints=False,
        )

    def inherit(self, obj):
        """A name or responsibility written again by a replay keeps what archivists
        corrected on the one it replaces (see `projection.Superseded`)."""
        obj.inherited = (
            obj._state.adding
            and type(obj) in projection.KEPT
            and obj.opened_by_id is not None
            and self.history.superseded.inherit(obj)
        )

    def queue(self, obj):
        """Validate a new name or placement as `save` does, and insert it at the next
        `flush`. Only while the tree's numbering waits for the end (a replay)."""
        self.validate(obj, exclude=MPTT_FIELDS, validate_unique=False)
        self.queued.append(obj)
        self.queued_units.add(obj.unit_id)
        return obj

    def flush(self):
        by_model = defaultdict(list)
        for obj in self.queued:
            by_model[type(obj)].append(obj)
        for model, objs in by_model.items():
            if model is UnitNode:
                for node in objs:  # numbered once the replay ends (renumber_tree)
                    node.tree_id = node.lft = node.rght = node.level = 0
            model.objects.bulk_create(objs)
            self.history.created(objs)
        self.queued, self.queued_units = [], set()

    def save_node(self, node: UnitNode):
        if self.queueing and node.pk is None:
            return self.queue(node)
        if node.pk is None:
            self.nodes_placed += 1
            if self.nodes_placed == RENUMBER_ONCE_AFTER and self.deferral is not None:
                self.deferral.enter_context(numbering_deferred())
            if statistics_due(self.nodes_placed):
                refresh_statistics()  # each time the reorganisation has doubled its writes
        return self.save(node, exclude=MPTT_FIELDS)

    def cite(self, obj, cites: Sequence[Cite]):
        for c in cites:
            try:
                document = SourceDocument.objects.get(key=c.document)
            except SourceDocument.DoesNotExist:
                raise ValidationError(
                    _("Unknown source document “%(key)s”.") % {"key": c.document}
                ) from None
            self.save(
                Citation(
                    document=document,
                    heading=c.heading,
                    excerpt=c.excerpt,
                    role=c.role,
                    note=c.note,
                    content_object=obj,
                )
            )

    def apply(self, changes) -> None:
        """Apply the changes in their phases (see PHASES), then check that every task whose
        owner handed it on still has one."""
        methods = {
            Create: self.create,
            Recreate: self.recreate,
            Place: self.place,
            Rename: self.rename,
            Reclassify: self.reclassify,
            Move: self.move,
            TransferTasks: self.transfer_tasks,
            Merge: self.merge,
            Split: self.split,
            Dissolve: self.dissolve,
        }
        self.prefetch_units(changes)
        self.prefetch_recreated([c for c in changes if isinstance(c, Recreate)])
        in_phases = sorted(enumerate(changes), key=lambda ic: PHASES.index(type(ic[1])))
        for position, change in in_phases:
            try:
                # Undated: the units there were before the records (a revision shows their
                # creations as placements).
                if self.date is None and not isinstance(change, (Create, Recreate, Place)):
                    raise ValidationError(
                        _("Only creations can be recorded without a date (“%(title)s”).")
                        % {"title": self.reorganisation.title}
                    )
                if not isinstance(change, Recreate):
                    self.flush()  # later phases read the rows the creations wrote
                methods[type(change)](change)
            except ValidationError as error:
                # Which of the given changes was refused: a form shows it beside that row.
                error.change_position = position
                raise
        self.flush()
        if self.responsibilities_written:
            lie_within_units(self.responsibilities_written)
            self.responsibilities_written = []
        self.check_handed_on_ownership()

    def record_creation(self, unit, spec, parent, naming: dict) -> Change:
        # The parent and name, so that a replay places and names the unit from the row alone.
        return self.record(Change.Kind.CREATED, unit, spec, target=parent, **naming)

    def record(self, kind, unit, spec, **fields) -> Change:
        if self.replaying is not None:
            # The change is recorded already; only where a moved unit came from is read off
            # the structure, which a correction before it may have changed.
            change = self.replaying[id(spec)].pop(0)
            previous = fields.get("previous_parent")
            if "previous_parent" in fields and change.previous_parent_id != (
                previous.pk if previous else None
            ):
                change.previous_parent = previous
                self.save(change)
            return change
        change = self.save(
            Change(
                reorganisation=self.reorganisation, kind=kind, unit=unit, note=spec.note, **fields
            )
        )
        self.cite(change, spec.cite)
        return change

    # Looking things up ---------------------------------------------------------------

    def prefetch_units(self, changes):
        """Read every unit the changes name in one query instead of one per change."""
        self.units.update(Unit.objects.in_bulk(_named_slugs(changes), field_name="slug"))

    def unit(self, slug: str) -> Unit:
        if slug in self.units:
            return self.units[slug]
        try:
            unit = Unit.objects.get(slug=slug)
        except Unit.DoesNotExist:
            raise ValidationError(_("Unknown unit “%(slug)s”.") % {"slug": slug}) from None
        self.units[slug] = unit
        return unit

    def node_on_date(self, unit: Unit) -> UnitNode:
        node = unit.nodes.valid_on(self.date).first()
        if node is None:
            raise ValidationError(
                _("“%(unit)s” does not exist on %(date)s.")
                % {"unit": unit.slug, "date": format_date(self.date)}
            )
        return node

    def _refuse_same_day(self, node: UnitNode, what: str):
        if node.valid_from == self.date:
            raise ValidationError(
                _(
                    "“%(unit)s” already changed on %(date)s; %(what)s cannot take effect on the "
                    "same day as another change of its placement."
                )
                % {"unit": node.unit.slug, "date": format_date(self.date), "what": what}
            )

    # The changes ---------------------------------------------------------------------

    def create(self, spec: Create):
        # Every slug the changes name was prefetched: one that is not known yet is free.
        if spec.slug in self.units:
            raise ValidationError(
                _("A unit with the identifier “%(slug)s” already exists.") % {"slug": spec.slug}
            )
        parent = self.unit(spec.parent) if spec.parent else None
        unit = self.save(
            Unit(
                slug=spec.slug,
                kind=spec.kind,
                kind_inferred=spec.kind_inferred,
                target_group=spec.target_group or "",
                position=spec.position,
                description=spec.description,
                archival_type=spec.archival_type,
            ),
            validate_unique=False,  # the slug, its one unique field, was checked just above
        )
        self.units[unit.slug] = unit
        change = self.record_creation(unit, spec, parent, naming_of(spec))
        name = UnitName(unit=unit, valid_from=self.date, opened_by=change, **naming_of(spec))
        name.of_a_new_unit = True  # its only name: no query for a clash
        self.save(name)
        self.place_new(unit, parent, change)

    def place_new(self, unit: Unit, parent: Unit | None, change: Change):
        """Place a unit that has no placement under `parent` from the date on."""
        nodes = self.open_nodes(
            unit, parent, self.date, None, opened_by=change, closed_by=None, new_unit=True
        )
        if len(nodes) == 1 and nodes[0].valid_to is None:
            self.created_nodes[unit.pk] = nodes[0]

    def prefetch_recreated(self, specs: list[Recreate]):
        """What a replay's creations ask of each unit, in three queries instead of three per
        unit: which already have a place, which have any authorised name, and the names
        their records give them on the date."""
        ids = [self.unit(spec.unit).pk for spec in specs]
        self.placed = set(
            UnitNode.objects.filter(unit_id__in=ids).values_list("unit_id", flat=True)
        )
        names = UnitName.objects.authorised().filter(unit_id__in=ids)
        self.named = set(names.values_list("unit_id", flat=True))
        self.own_names = (
            {n.unit_id: n for n in names.filter(opened_by=None).valid_on(self.date)}
            if self.date and self.named
            else {}
        )

    def recreate(self, spec: Recreate):
        unit = self.unit(spec.unit)
        if unit.pk in self.placed:
            raise ValidationError(
                _("“%(unit)s” already has a place in the structure on %(date)s.")
                % {"unit": unit.slug, "date": self.date_display}
            )
        self.placed.add(unit.pk)
        parent = self.unit(spec.parent) if spec.parent else None
        if parent is not None and parent.pk in self.queued_units:
            self.flush()  # the child's placement needs its parent's row
        change = self.record_creation(unit, spec, parent, naming_of(spec))
        self.queueing = not UnitNode._mptt_updates_enabled
        # A draft placed by the change keeps its record's own name; a unit the change
        # created gets the name the change gave it.
        if unit.pk not in self.own_names:
            name = UnitName(unit=unit, valid_from=self.date, opened_by=change, **naming_of(spec))
            name.of_a_new_unit = unit.pk not in self.named
            self.queue(name) if self.queueing else self.save(name)
        try:
            self.place_new(unit, parent, change)
        finally:
            self.queueing = False

    @property
    def date_display(self) -> str:
        return format_date(self.date) if self.date else _("the start")

    def place(self, spec: Place):
        unit = self.unit(spec.unit)
        if unit.nodes.exists():
            raise ValidationError(
                _(
                    "“%(unit)s” already has a place in the structure: a new place is a move, "
                    "not a placement."
                )
                % {"unit": unit.slug}
            )
        parent = self.unit(spec.parent) if spec.parent else None
        names = unit.names.authorised()
        # Undated (before the records): the name its record gives it from its beginning.
        names = names.filter(valid_from=None) if self.date is None else names.valid_on(self.date)
        current = names.first()
        if current is None and not spec.name:
            raise ValidationError(
                _("“%(unit)s” has no authorised name on %(date)s: give it one.")
                % {"unit": unit.slug, "date": self.date_display}
            )
        if current is not None and spec.name and spec.name != current.name:
            raise ValidationError(
                _(
                    "“%(unit)s” is called “%(name)s” on %(date)s according to its record: leave "
                    "the name empty, or correct the record's name first."
                )
                % {"unit": unit.slug, "name": current.name, "date": self.date_display}
            )
        name = current or UnitName(unit=unit, valid_from=self.date, **naming_of(spec))
        change = self.record_creation(unit, spec, parent, naming_of(name))
        if current is None:
            name.opened_by = change
            self.save(name)
        self.open_nodes(unit, parent, self.date, None, opened_by=change, closed_by=None)

    def move(self, spec: Move):
        unit, parent = self.unit(spec.unit), self.unit(spec.to)
        node = self.node_on_date(unit)
        if node.parent_id and node.parent.unit_id == parent.pk:
            raise ValidationError(
                _("“%(unit)s” is already placed under “%(parent)s” on %(date)s.")
                % {"unit": unit.slug, "parent": parent.slug, "date": format_date(self.date)}
            )
        self._refuse_same_day(node, _("a move"))
        parent_node = self.node_on_date(parent)
        if unit.pk in parent_node.lineage_unit_ids():
            raise ValidationError(
                _(
                    "“%(unit)s” cannot be placed under “%(parent)s”, which lies inside its own "
                    "subtree."
                )
                % {"unit": unit.slug, "parent": parent.slug}
            )
        change = self.record(
            Change.Kind.MOVED,
            unit,
            spec,
            target=parent,
            previous_parent=node.parent.unit if node.parent_id else None,
        )
        self.replace_node(node, parent, change)

    def rename(self, spec: Rename):
        unit = self.unit(spec.unit)
        self.node_on_date(unit)
        current = unit.names.authorised().valid_on(self.date).first()
        if current and (current.name, current.short_name) == (spec.name, spec.short_name):
            raise ValidationError(
                _("“%(unit)s” is already called “%(name)s” on %(date)s.")
                % {"unit": unit.slug, "name": spec.name, "date": format_date(self.date)}
            )
        if current and current.valid_from == self.date:
            raise ValidationError(
                _("“%(unit)s” already got a new name on %(date)s.")
                % {"unit": unit.slug, "date": format_date(self.date)}
            )
        change = self.record(Change.Kind.RENAMED, unit, spec, **naming_of(spec))
        self.succeed(current, UnitName(unit=unit, **naming_of(spec)), change)

    def reclassify(self, spec: Reclassify):
        unit = self.unit(spec.unit)
        node = self.node_on_date(unit)
        created_today = unit.pk in self.created_nodes or (
            node.valid_from == self.date
            and node.opened_by_id is not None
            and node.opened_by.kind == Change.Kind.CREATED
        )
        if created_today:
            raise ValidationError(
                _(
                    "“%(unit)s” is created on %(date)s: give its kind and target group in its "
                    "creation, not as a reclassification the same day."
                )
                % {"unit": unit.slug, "date": format_date(self.date)}
            )
        current = unit.classifications.valid_on(self.date).first()
        was = (current.kind, current.target_group) if current else (unit.kind, unit.target_group)
        becomes = (
            was[0] if spec.kind is None else spec.kind,
            was[1] if spec.target_group is None else spec.target_group,
        )
        if becomes == was:
            raise ValidationError(
                _("“%(unit)s” already is that kind of unit, for that target group, on %(date)s.")
                % {"unit": unit.slug, "date": format_date(self.date)}
            )
        if current and current.valid_from == self.date:
            raise ValidationError(
                _("“%(unit)s” was already reclassified on %(date)s.")
                % {"unit": unit.slug, "date": format_date(self.date)}
            )
        change = self.record(
            Change.Kind.RECLASSIFIED,
            unit,
            spec,
            unit_kind=spec.kind or "",
            target_group=spec.target_group,
        )
        self.succeed(
            current,
            UnitClassification(unit=unit, kind=becomes[0], target_group=becomes[1]),
            change,
        )

    def succeed(self, current, successor, change: Change):
        """`successor` (a name, a classification) from the date in place of `current` (None:
        there is none), until whenever `current` would have ended."""
        successor.valid_from, successor.opened_by = self.date, change
        if current:
            successor.valid_to, successor.closed_by = current.valid_to, current.closed_by
            current.valid_to, current.closed_by = self.date, change
            self.save(current)
        self.save(successor)

    def merge(self, spec: Merge):
        into = self.unit(spec.into)
        into_node = self.node_on_date(into)
        if len(set(spec.units)) < 1 or spec.into in spec.units:
            raise ValidationError(_("A merge joins one or more other units into a unit."))
        for slug in spec.units:
            unit = self.unit(slug)
            node = self.node_on_date(unit)
            if unit.pk in into_node.lineage_unit_ids():
                raise ValidationError(
                    _("“%(unit)s” cannot merge into “%(into)s”, which lies inside it.")
                    % {"unit": unit.slug, "into": into.slug}
                )
            change = self.record(
                Change.Kind.MERGED, unit, spec, target=into, hands_on_tasks=spec.hands_on_tasks
            )
            for child in self.continuing_children(node):
                self.carry_child(child, into, change)
            if spec.hands_on_tasks:
                self.hand_on_tasks(unit, into, change)
            self.end_unit(unit, change)

    def hand_on_tasks(self, unit: Unit, into: Unit, change: Change):
        """Pass what `unit` holds on the date to `into`, in the same role (its posts stay
        with it: a post heads one unit). Where `into` already holds the task in that role,
        the merged unit's part simply ends."""
        held = list(
            Responsibility.objects.valid_on(self.date)
            .filter(unit=unit)
            .select_related("task")
            .order_by("task__name", "role", "id")
        )
        if not held:
            return
        kept = set(
            Responsibility.objects.valid_on(self.date)
            .filter(unit=into, task__in=[r.task_id for r in held])
            .values_list("task_id", "role")
        )
        for old in held:
            if old.valid_from == self.date:
                raise ValidationError(
                    _(
                        "“%(unit)s”'s responsibility for “%(task)s” begins on %(date)s, the "
                        "day it is merged."
                    )
                    % {"unit": unit.slug, "task": old.task.slug, "date": format_date(self.date)}
                )
            old.valid_to, old.closed_by = self.date, change
            self.save(old)
            if (old.task_id, old.role) in kept:
                continue
            # The sources name the merge, not where each task went: the registry's reading.
            self.hand_on(
                old,
                into,
                change,
                role=old.role,
                post=None,
                inferred=True,
                note=change.note
                or _("Handed on with the merge into “%(into)s”.") % {"into": into.slug},
            )

    def hand_on(self, old: Responsibility, unit: Unit, change: Change, **fields):
        """`old`'s task held by `unit` from the date, as certain as the reorganisation."""
        return self.save(
            Responsibility(
                task=old.task,
                unit=unit,
                valid_from=self.date,
                certainty=self.reorganisation.certainty,
                not_before=self.reorganisation.not_before,
                not_after=self.reorganisation.not_after,
                opened_by=change,
                **fields,
            )
        )

    def split(self, spec: Split):
        unit = self.unit(spec.unit)
        self.node_on_date(unit)
        if not spec.into:
            raise ValidationError(_("A split needs the units it results in."))
        changes = []
        for slug in spec.into:
            target = self.unit(slug)
            self.node_on_date(target)
            if target.pk == unit.pk:
                raise ValidationError(_("A unit cannot be split into itself."))
            changes.append(
                self.record(Change.Kind.SPLIT, unit, spec, target=target, ends=spec.ends)
            )
        if spec.ends:
            self.end_unit(unit, changes[0])

    def dissolve(self, spec: Dissolve):
        unit = self.unit(spec.unit)
        self.node_on_date(unit)
        change = self.record(Change.Kind.DISSOLVED, unit, spec)
        self.end_unit(unit, change)

    def transfer_tasks(self, spec: TransferTasks):
        from_unit = self.unit(spec.from_unit)
        to_unit = self.unit(spec.to_unit) if spec.to_unit else None
        if to_unit is not None and to_unit.pk == from_unit.pk:
            raise ValidationError(_("A unit cannot transfer tasks to itself."))
        if not spec.tasks:
            raise ValidationError(_("Name the tasks to transfer."))
        if spec.role is not None and spec.role not in Responsibility.Role.values:
            raise ValidationError(_("Unknown role “%(role)s”.") % {"role": spec.role})
        post = self.post(spec.post) if isinstance(spec.post, str) else spec.post
        tasks = {t.slug: t for t in Task.objects.filter(slug__in=spec.tasks)}
        unknown = [slug for slug in spec.tasks if slug not in tasks]
        if unknown:
            raise ValidationError(
                _("Unknown tasks: %(tasks)s.") % {"tasks": ", ".join(sorted(unknown))}
            )
        held = list(
            Responsibility.objects.valid_on(self.date)
            .filter(unit=from_unit, task__in=tasks.values())
            .select_related("task", "post")
            .order_by("task__name", "role", "id")
        )
        not_held = [slug for slug in spec.tasks if all(r.task.slug != slug for r in held)]
        if not_held:
            message = _("“%(unit)s” holds no responsibility for %(tasks)s on %(date)s.") % {
                "unit": from_unit.slug,
                "tasks": ", ".join(not_held),
                "date": format_date(self.date),
            }
            later = _held_later(from_unit, not_held, self.date)
            raise ValidationError(f"{message} {later}".strip())
        change = self.record(
            Change.Kind.TASKS_TRANSFERRED,
            from_unit,
            spec,
            target=to_unit,
            tasks=list(spec.tasks),
            role=spec.role or "",
            post=post if isinstance(post, Post) else None,
            keeps_post=spec.post is ...,
            inferred=spec.inferred,
        )
        for old in held:
            if old.valid_from == self.date or old.valid_to is not None:
                raise ValidationError(
                    _(
                        "“%(unit)s”'s responsibility for “%(task)s” has other recorded changes "
                        "on or after %(date)s; enter the reorganisations in date order."
                    )
                    % {
                        "unit": from_unit.slug,
                        "task": old.task.slug,
                        "date": format_date(self.date),
                    }
                )
            old.valid_to, old.closed_by = self.date, change
            self.save(old)
            if to_unit is None:
                if old.is_owner:  # ended on purpose: fine, unless others still hold the task
                    self.ownership_handed_on[old.task_id] = old.task
                continue
            new = self.hand_on(
                old,
                to_unit,
                change,
                role=spec.role or old.role,
                post=old.post if spec.post is ... else post,
                inferred=spec.inferred,
                note=spec.note,
            )
            if not new.inherited:  # else it keeps its predecessor's citations
                self.cite(new, spec.cite)
            if old.is_owner and not new.is_owner:
                self.ownership_handed_on[old.task_id] = old.task

    def post(self, slug: str) -> Post:
        try:
            return Post.objects.get(slug=slug)
        except Post.DoesNotExist:
            raise ValidationError(_("Unknown post “%(slug)s”.") % {"slug": slug}) from None

    def check_handed_on_ownership(self):
        """A task whose owner handed it on as something else must still have an owner."""
        if not self.ownership_handed_on:
            return
        owned = set(
            Responsibility.objects.owners()
            .valid_on(self.date)
            .filter(task__in=self.ownership_handed_on.values())
            .values_list("task_id", flat=True)
        )
        # A task nobody holds any more was ended on purpose; one still held needs an owner.
        held = set(
            Responsibility.objects.valid_on(self.date)
            .filter(task__in=self.ownership_handed_on.values())
            .values_list("task_id", flat=True)
        )
        ownerless = [
            t for pk, t in self.ownership_handed_on.items() if pk in held and pk not in owned
        ]
        if ownerless:
            raise ValidationError(
                _(
                    "After this reorganisation no unit would own %(tasks)s on %(date)s: give "
                    "each task an owner in the same reorganisation, or end it explicitly."
                )
                % {
                    "tasks": ", ".join(f"“{t.name}” ({t.slug})" for t in ownerless),
                    "date": format_date(self.date),
                }
            )

    # Structure -------------------------------------------------------------------------

    def open_nodes(self, unit, parent_unit, start, end, *, opened_by, closed_by, new_unit=False):
        """Place `unit` under `parent_unit` for [start, end), following the parent's
        placements; refuses if the parent does not exist for the whole period. `new_unit`: the
        unit was created by this reorganisation and has no placement yet."""
        if parent_unit is None:
            node = UnitNode(
                unit=unit,
                parent=None,
                valid_from=start,
                valid_to=end,
                position=unit.position,
                opened_by=opened_by,
                closed_by=closed_by,
            )
            node.of_a_new_unit = new_unit
            return [self.save_node(node)]
        if parent_unit.pk in self.created_nodes and not UnitNode._mptt_updates_enabled:
            # Created by this reorganisation: its one node, known without a query. Only while
            # the numbering waits for the end: MPTT's insertion reads the parent's numbers.
            node = self.created_nodes[parent_unit.pk]
            segments = [node] if periods_overlap(node.valid_from, None, start, end) else []
        else:
            segments = list(
                parent_unit.nodes.overlapping(start, end).order_by(
                    F("valid_from").asc(nulls_first=True)
                )
            )
        created, cursor, first = [], start, True
        for segment in segments:
            if _before(cursor, segment.valid_from):
                break  # a gap: the parent does not exist at `cursor`
            seg_end = segment.valid_to
            node_end = end if _end_le(end, seg_end) else seg_end
            node = UnitNode(
                unit=unit,
                parent=segment,
                valid_from=cursor,
                valid_to=node_end,
                position=unit.position,
                opened_by=opened_by if first else segment.opened_by,
                closed_by=closed_by if node_end == end else segment.closed_by,
            )
            node.of_a_new_unit = new_unit
            created.append(self.save_node(node))
            first, cursor = False, node_end
            if cursor == end:
                return created
        raise ValidationError(
            _(
                "“%(unit)s” would outlive its parent “%(parent)s”: the parent does not exist "
                "from %(date)s on. A child's period must lie within its parent's."
            )
            % {
                "unit": unit.slug,
                "parent": parent_unit.slug,
                "date": format_date(cursor) if cursor else _("the start"),
            }
        )

    def continuing_children(self, node: UnitNode) -> list[UnitNode]:
        """Child nodes still valid on or after the reorganisation's date."""
        return list(
            UnitNode.objects.filter(parent=node).overlapping(self.date, None).select_related("unit")
        )

    def replace_node(self, node: UnitNode, parent_unit: Unit, change: Change):
        """Close `node` on the reorganisation's date and continue its unit, with the subtree
        valid from then on, under `parent_unit`."""
        old_end, old_closed_by = node.valid_to, node.closed_by
        children = self.continuing_children(node)
        node.valid_to, node.closed_by = self.date, change
        self.save_node(node)
        self.open_nodes(
            node.unit, parent_unit, self.date, old_end, opened_by=change, closed_by=old_closed_by
        )
        for child in children:
            self.carry_child(child, node.unit, change)

    def carry_child(self, child: UnitNode, new_parent_unit: Unit, change: Change):
        """Continue a child node under `new_parent_unit`'s placements from the date on."""
        if child.valid_from is not None and child.valid_from >= self.date:
            # Recorded to begin after the date: it belongs wholly to a new placement.
            target = new_parent_unit.nodes.valid_on(child.valid_from).first()
            if target is None or not _end_le(child.valid_to, target.valid_to):
                raise ValidationError(
                    _(
                        "“%(unit)s” has later recorded changes that this reorganisation would "
                        "contradict; enter the reorganisations in date order."
                    )
                    % {"unit": child.unit.slug}
                )
            child.parent = target
            self.save_node(child)
            return
        self.replace_node(child, new_parent_unit, change)

    def end_unit(self, unit: Unit, change: Change):
        """End the unit on the date: its placement and its name stop; nothing may outlive it."""
        node = self.node_on_date(unit)
        self._refuse_same_day(node, _("its end"))
        later_name = unit.names.authorised().filter(valid_from__gt=self.date).exists()
        later_classification = unit.classifications.filter(valid_from__gt=self.date).exists()
        if node.valid_to is not None or later_name or later_classification:
            raise ValidationError(
                _("“%(unit)s” has recorded changes after %(date)s; it cannot end before them.")
                % {"unit": unit.slug, "date": format_date(self.date)}
            )
        remaining = [c.unit.slug for c in self.continuing_children(node)]
        if remaining:
            raise ValidationError(
                _(
                    "“%(unit)s” cannot end on %(date)s while its sub-units %(children)s still "
                    "exist: move or dissolve them in the same reorganisation."
                )
                % {
                    "unit": unit.slug,
                    "date": format_date(self.date),
                    "children": ", ".join(remaining),
                }
            )
        self._refuse_orphaned_tasks(unit)
        node.valid_to, node.closed_by = self.date, change
        self.save_node(node)
        for row in [
            *unit.names.authorised().valid_on(self.date),
            *unit.classifications.valid_on(self.date),
        ]:
            if row.valid_from == self.date:
                raise ValidationError(
                    _(
                        "“%(unit)s” gets a new name or kind on %(date)s; it cannot also end "
                        "that day."
                    )
                    % {"unit": unit.slug, "date": format_date(self.date)}
                )
            row.valid_to, row.closed_by = self.date, change
            self.save(row)

    def _refuse_orphaned_tasks(self, unit: Unit):
        """Nothing the unit is responsible for may be left behind when it ends: the same
        reorganisation must transfer or explicitly end each of its responsibilities."""
        left = list(
            Responsibility.objects.filter(unit=unit)
            .overlapping(self.date, None)
            .select_related("task")
            .order_by("task__name")
        )
        if left:
            tasks = dict.fromkeys(f"“{r.task.name}” ({r.task.slug})" for r in left)
            raise ValidationError(
                _(
                    "“%(unit)s” cannot end on %(date)s while it is still responsible for "
                    "%(tasks)s: transfer each task to another unit, or end it explicitly, in "
                    "the same reorganisation."
                )
                % {"unit": unit.slug, "date": format_date(self.date), "tasks": ", ".join(tasks)}
            )
