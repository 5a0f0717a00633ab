"""The writer's changes of units and their placements: creations, placements, moves, names,
classifications, merges, splits and dissolutions, and how each opens, closes and carries
placements (`UnitNode`) along the parent's.

Mixed into `history.writer.Writer`: these write with its `save`, `save_node` and `record`, look
units up with its `unit`, and leave what a merged or ended unit held to `TaskTransfers`
(history/writer_tasks.py).
"""

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from orgunits.models import Unit, UnitClassification, UnitName, UnitNode
from socialforvaltning.lib.dates import format_date
from socialforvaltning.periods import periods_overlap

from .changes import (
    Create,
    Dissolve,
    Merge,
    Move,
    Place,
    Reclassify,
    Recreate,
    Rename,
    Split,
    naming_of,
)
from .models import Change


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


class StructuralChanges:
    """The writer's changes of units and placements (see the module)."""

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

    # Placements ----------------------------------------------------------------------

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
        self.refuse_orphaned_tasks(unit)
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
