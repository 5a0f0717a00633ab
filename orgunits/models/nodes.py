"""Where a unit sat: its placements (`UnitNode`, the MPTT tree) and the runs of them that
surfaces show (`Placement`)."""

import dataclasses
import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet
from simple_history.models import HistoricalRecords

from socialforvaltning.periods import (
    Dated,
    Period,
    PeriodQuerySet,
    period_constraint,
    period_within,
)

from .names import UnitName, classified_on

# Fields MPTT maintains by bulk updates. They must stay out of history: simple-history
# copies fields at save time, and MPTT fills them in only while inserting (see the README).
MPTT_FIELDS = ["lft", "rght", "tree_id", "level"]


class UnitNodeQuerySet(TreeQuerySet, PeriodQuerySet):
    def lineage(self) -> list[tuple[int, int]]:
        """(id, unit id) of these nodes and of all their ancestors, following the parent
        links in one recursive query (never stale, unlike the MPTT numbers of an instance
        read before a tree write, and without a condition per node)."""
        sql, params = self._lineage_sql("id, unit_id")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _lineage_sql(self, columns: str) -> tuple[str, tuple]:
        """The recursive query of `lineage`, selecting `columns` of the nodes it finds.

        Each step looks its parents up by primary key. The join says so as a range of one
        value: PostgreSQL guesses ten times the rows at every step, and for an equality it
        would then hash the whole table of placements to find a few dozen parents."""
        sql, params = self.order_by().values("id").query.sql_with_params()
        table = connection.ops.quote_name(self.model._meta.db_table)
        return (
            f"""
            WITH RECURSIVE up (id, unit_id, parent_id) AS (
                SELECT id, unit_id, parent_id FROM {table} WHERE id IN ({sql})
                UNION
                SELECT n.id, n.unit_id, n.parent_id FROM {table} n
                JOIN up ON n.id >= up.parent_id AND n.id <= up.parent_id
            )
            SELECT {columns} FROM up
            """,
            params,
        )

    def tree_on(self, date: datetime.date):
        """The structure valid on `date`, in tree order, with what a page needs to show it
        (each unit's kind and target group on the date as `kind_on`, `target_group_on`)."""
        return (
            classified_on(self.valid_on(date), date, path="unit__")
            .with_datings()
            .select_related("unit")
            .prefetch_related(
                Prefetch(
                    "unit__names",
                    queryset=UnitName.objects.authorised().valid_on(date),
                    to_attr="names_on_date",
                )
            )
            .order_by("tree_id", "lft")
        )


@dataclasses.dataclass(frozen=True)
class Placement(Dated):
    """A unit's unbroken time under one parent unit: one node, or several in a row where the
    tree replaced the unit's node because its parent's node was replaced (the parent moved and
    took the unit with it), which is no move of the unit. Surfaces show placements, not nodes.
    """

    nodes: tuple

    @property
    def first(self) -> "UnitNode":
        return self.nodes[0]

    @property
    def last(self) -> "UnitNode":
        return self.nodes[-1]

    parent = property(lambda self: self.first.parent)
    parent_id = property(lambda self: self.first.parent_id)
    valid_from = property(lambda self: self.first.valid_from)
    valid_to = property(lambda self: self.last.valid_to)
    opened_by_id = property(lambda self: self.first.opened_by_id)
    opened_by = property(lambda self: self.first.opened_by)
    closed_by_id = property(lambda self: self.last.closed_by_id)
    closed_by = property(lambda self: self.last.closed_by)
    start_dating = property(lambda self: self.first.start_dating)
    end_dating = property(lambda self: self.last.end_dating)


def _parent_unit_id(node):
    if hasattr(node, "parent_unit_id"):
        return node.parent_unit_id
    return node.parent.unit_id if node.parent_id else None


def placements_of(nodes) -> list[Placement]:
    """`nodes` (of one unit or many, with their parents' units or a `parent_unit_id`) as
    placements, in order of unit and start."""
    runs = []
    for node in sorted(nodes, key=lambda n: (n.unit_id, n.valid_from or datetime.date.min)):
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.unit_id == node.unit_id
            and last.valid_to is not None
            and last.valid_to == node.valid_from
            and _parent_unit_id(last) == _parent_unit_id(node)
        ):
            runs[-1].append(node)
        else:
            runs.append([node])
    return [Placement(tuple(run)) for run in runs]


def placements_of_units(unit_ids) -> dict:
    """The placement each node of the units `unit_ids` (ids, or a query of them) belongs to,
    by node id: where a page or an export says since when, and until when, a unit sat where
    it sits (one query)."""
    every = (
        UnitNode.objects.filter(unit_id__in=unit_ids)
        .with_datings()
        .annotate(parent_unit_id=F("parent__unit_id"))
    )
    return {node.pk: placement for placement in placements_of(every) for node in placement.nodes}


def placement_of_each(nodes, placements: dict) -> dict:
    """The placement of each of `nodes` by node id, from `placements` (read by a query of
    its own). A node that a write committed between the two reads replaced or closed is its
    own placement: the reads see different moments."""
    return {node.pk: placements.get(node.pk) or Placement((node,)) for node in nodes}


def placements_on(date: datetime.date) -> dict:
    """The placement each node valid on `date` belongs to, by node id (one query)."""
    return placements_of_units(UnitNode.objects.valid_on(date).values("unit_id"))


class UnitNodeManager(TreeManager.from_queryset(UnitNodeQuerySet)):
    def numbers_from_parents(self) -> tuple[dict, dict]:
        """What every node's (tree_id, lft, rght, level) should be, computed from the parent
        links as `rebuild()` numbers them (trees and siblings in `order_insertion_by` order:
        position, then unit), and what is stored, by pk. Unlike `rebuild()`, siblings equal
        in both (a unit placed twice under one node) go in the order they were written, not
        in whatever order the database returns them: the writer's numbering
        (`history.numbering.renumber_tree`) and the integrity check both use this."""
        rows = self.values_list(
            "pk", "parent_id", "position", "unit_id", "tree_id", "lft", "rght", "level"
        )
        children = defaultdict(list)
        stored = {}
        for pk, parent_id, position, unit_id, *stored_numbers in rows:
            children[parent_id].append((position, unit_id, pk))
            stored[pk] = tuple(stored_numbers)
        for siblings in children.values():
            siblings.sort()
        numbers = {}

        def number(pk, left, level, tree_id):
            right = left + 1
            for position_unit_pk in children.get(pk, ()):
                right = number(position_unit_pk[-1], right, level + 1, tree_id)
            numbers[pk] = (tree_id, left, right, level)
            return right + 1

        for tree_id, position_unit_pk in enumerate(children[None], start=1):
            number(position_unit_pk[-1], 1, 0, tree_id)
        return numbers, stored


class UnitNode(MPTTModel, Period):
    """A unit during one placement: its parent is fixed for the node's whole period."""

    unit = models.ForeignKey(
        "Unit", on_delete=models.PROTECT, related_name="nodes", verbose_name=_("unit")
    )
    parent = TreeForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    history = HistoricalRecords(excluded_fields=MPTT_FIELDS)

    objects = UnitNodeManager()

    class MPTTMeta:
        # unit_id breaks ties so that insertion and a rebuild agree on sibling order.
        order_insertion_by = ["position", "unit_id"]

    class Meta:
        constraints = [period_constraint("unitnode_period_valid")]
        # The chart reads the structure on a date level by level, down to what it draws.
        indexes = [models.Index(fields=["level"], name="unitnode_level")]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")

    def __str__(self) -> str:
        return f"{self.unit.slug} [{self.period_display}]"

    # Set by the reorganisation writer on the placements it gives a unit it has just created
    # (consecutive, under its parent's successive placements): the unit has no other
    # placement to overlap, and no subtree that its parent could lie in.
    of_a_new_unit = False

    def neighbourhood_on(self, date: datetime.date) -> tuple[list, list]:
        """(the placements above this one, from the top; those right below it), as valid on
        `date`, read with `tree_on` in one tree read (a placement's parents are placements
        valid over its whole period). The ones above are found through the parent links
        (`lineage`), each by its key: by the tree's numbers they were a range over every
        placement to their left."""
        above = [pk for pk, _unit in UnitNode.objects.filter(pk=self.parent_id).lineage()]
        nodes = list(UnitNode.objects.tree_on(date).filter(Q(pk__in=above) | Q(parent=self)))
        return (
            [n for n in nodes if n.level < self.level],
            [n for n in nodes if n.parent_id == self.pk],
        )

    def clean(self):
        super().clean()
        if not self.unit_id:
            return
        clash = (
            None
            if self.of_a_new_unit
            else UnitNode.objects.filter(unit_id=self.unit_id)
            .exclude(pk=self.pk)
            .overlapping(self.valid_from, self.valid_to)
            .first()
        )
        if clash:
            raise ValidationError(
                _(
                    "“%(unit)s” already has a placement in the period %(period)s; "
                    "a unit has one placement at any date."
                )
                % {"unit": self.unit.slug, "period": clash.period_display}
            )
        if self.parent_id is None:
            return
        parent = self.parent
        if not period_within(self.valid_from, self.valid_to, parent.valid_from, parent.valid_to):
            raise ValidationError(
                _(
                    "“%(unit)s” (%(period)s) would outlive its parent “%(parent)s” "
                    "(%(parent_period)s): a child's period must lie within its parent's."
                )
                % {
                    "unit": self.unit.slug,
                    "period": self.period_display,
                    "parent": parent.unit.slug,
                    "parent_period": parent.period_display,
                }
            )
        if not self.of_a_new_unit and self.unit_id in parent.lineage_unit_ids():
            raise ValidationError(
                _(
                    "“%(unit)s” cannot be placed under “%(parent)s”, which lies inside "
                    "its own subtree."
                )
                % {"unit": self.unit.slug, "parent": parent.unit.slug}
            )

    def lineage_unit_ids(self) -> set[int]:
        """The units of this node and of all its ancestors, by following parent pointers
        (never stale, unlike the MPTT numbers of an instance loaded before a tree write), in
        one recursive query however deep the node is."""
        if self.parent_id is None:
            return {self.unit_id}
        above = UnitNode.objects.filter(pk=self.parent_id).lineage()
        return {self.unit_id, *(unit_id for _, unit_id in above)}
