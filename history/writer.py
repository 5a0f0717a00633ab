"""The writer of structure: it applies a reorganisation's changes row by row (units, their
placements, the names and kinds changes give, the responsibilities they hand on).

`history.services` opens the transaction (under the structure lock, with a reason) and works
through a `Run`, what the writes of one transaction share. The `Run` makes a `Writer` for each
reorganisation it applies: a new one, a revised one, or each one a correction replays from its
recorded changes (`recorded_changes`). The `Writer` validates every row it writes
(`full_clean`) and records it in history; it applies a reorganisation's changes in their
phases (`history.changes.PHASES`): the changes of units and their placements
(`StructuralChanges`, history/writer_structure.py) and the transfers of tasks
(`TaskTransfers`, history/writer_tasks.py).

Large writes stay the same writes, validated row by row, but avoid costs that grow with their
size. History rows are written per model at the end of the transaction (`HistoryRows`), not
one insert per save; the tree's numbering and the planner's statistics wait for the end too
(history/numbering.py).
"""

import copy
import datetime
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from orgunits.models import MPTT_FIELDS, Citation, SourceDocument, Unit, UnitNode
from responsibilities.models import Responsibility, Task, lie_within_units

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
from .writer_structure import StructuralChanges
from .writer_tasks import TaskTransfers


class Run:
    """What the writes of one transaction share: who and why, the deferral of the tree's
    numbering, and the history rows to insert at its end."""

    def __init__(self, *, user, reason: str, deferral: ExitStack):
        self.user, self.reason, self.deferral = user, reason, deferral
        self.history = HistoryRows(user=user, reason=reason)

    def writer(self, reorganisation: Reorganisation) -> "Writer":
        return Writer(
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
        recorded = recorded_changes(reorganisations)
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


def recorded_changes(reorganisations) -> dict[int, tuple[list, dict]]:
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
                cite=cites_of(row.citations.all()),
            )
        add(spec, [row])
        i += 1
    return specs, behind


def _same_spec(first: Change, row: Change) -> bool:
    """Whether `row` belongs to the same merge (the resulting unit) or split (the unit split)
    as `first`."""
    if row.kind != first.kind:
        return False
    if first.kind == Change.Kind.MERGED:
        return (row.target_id, row.hands_on_tasks) == (first.target_id, first.hands_on_tasks)
    return (row.unit_id, row.ends) == (first.unit_id, first.ends)


def cites_of(citations) -> tuple[Cite, ...]:
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


def named_slugs(changes) -> set[str]:
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


class HistoryRows:
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


class Writer(StructuralChanges, TaskTransfers):
    """Applies one reorganisation's changes (`apply`), writing and recording each row."""

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
        self.history = history or HistoryRows(user=user, reason=reason)
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
        self.units.update(Unit.objects.in_bulk(named_slugs(changes), field_name="slug"))

    def unit(self, slug: str) -> Unit:
        if slug in self.units:
            return self.units[slug]
        try:
            unit = Unit.objects.get(slug=slug)
        except Unit.DoesNotExist:
            raise ValidationError(_("Unknown unit “%(slug)s”.") % {"slug": slug}) from None
        self.units[slug] = unit
        return unit
