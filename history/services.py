"""Applying a reorganisation: the one path that writes structure.

The seed loader, the admin and the tests all call `apply_reorganisation`; the corrections
(`withdraw_reorganisation`, `put_in_force`, `redate_reorganisation`, `revise_reorganisation`,
`replay_structure`) edit what is recorded and replay the structure from a date. Each runs in
one transaction, serialised against other structural writers, validates every row it writes
(`full_clean`), records each write in history with the user and the reason, and either
applies every change or none.

This module opens those transactions and says what a correction can affect
(`correction_scope`); the writes themselves are the writer's (history/writer.py).
"""

import dataclasses
import datetime
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orgunits.models import Citation, Unit
from responsibilities.models import Responsibility, lies_within, placements_of
from socialforvaltning.lib.dates import format_date
from socialforvaltning.lib.text import danish_slug
from socialforvaltning.locks import lock_structure
from socialforvaltning.periods import Certainty, format_period

from . import projection
from .changes import (
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
)
from .models import Change, Reorganisation
from .writer import Run, cites_of, named_slugs, recorded_changes


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
        reorganisation.count_changes()
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
        for reorganisation in Reorganisation.objects.miscounted():  # derived, like the rest
            reorganisation.count_changes()
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
        current.count_changes()
        if not current.in_force:
            # Taken out again: what its new changes wrote, units they created included.
            run.replay_from(since, correction_scope(current, since))
        _refuse_stranded_responsibilities(since, run.history.placed_units())
    return current


def _keeping_citations(reorganisation: Reorganisation, changes) -> list:
    """The revised changes, each citing what the recorded change of the same kind and unit
    cited (the source of a move still supports the move once its parent is corrected), unless
    it cites sources of its own."""
    specs, behind = recorded_changes([reorganisation])[reorganisation.pk]
    cited: dict[tuple, list[Cite]] = {}
    for spec in specs:
        # A merge's or split's rows cite the same passages: each once.
        cites = dict.fromkeys(cites_of(c for row in behind[id(spec)] for c in row.citations.all()))
        cited.setdefault(_kind_and_unit(spec), list(cites))
    return [
        change
        if change.cite or not cited.get(_kind_and_unit(change))
        else dataclasses.replace(change, cite=tuple(cited.pop(_kind_and_unit(change))))
        for change in changes
    ]


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
def _writing(*, reason: str, user) -> Iterator[Run]:
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
        run = Run(user=user, reason=reason, deferral=deferral)
        yield run
        run.history.write()


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
    units = Unit.objects.in_bulk(named_slugs(specs), field_name="slug")
    moving = set()
    for spec in specs:
        if isinstance(spec, Move):
            moving.add(spec.unit)
        elif isinstance(spec, Merge):
            moving.update(spec.units)
    return {u.pk for u in units.values()}, {units[s].pk for s in moving if s in units}


def recorded_specs(reorganisation: Reorganisation) -> list:
    """A recorded reorganisation's changes as the specs that apply them again."""
    return recorded_changes([reorganisation])[reorganisation.pk][0]


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
