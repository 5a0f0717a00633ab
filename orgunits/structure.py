"""The structure valid on a date, read once and walked in memory.

Every page that shows the organisation on a date builds one `Structure` from
`UnitNode.objects.tree_on(date)`: a fixed number of queries whatever the size of the tree,
and the tree itself (children, paths from the top) without further queries.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext

from socialforvaltning.asof import AsOf

from .models import Kind, UnitNode, classification_labels, placement_of_each, placements_on
from .recorded import structure_as_recorded

# Kinds drawn beside their parent's box (staff) or inside it (posts) rather than below it.
STAFF_KINDS = {Kind.SEKRETARIAT}
POST_KINDS = {Kind.POST}


@dataclass
class ChartNode:
    node: UnitNode
    name: str
    short_name: str
    uncertain: bool
    posts: list["ChartNode"] = field(default_factory=list)
    staff: list["ChartNode"] = field(default_factory=list)
    children: list["ChartNode"] = field(default_factory=list)
    folded: int = 0  # children valid on the date but not drawn (folded below the depth limit)
    kind: str = ""
    target_group: str = ""
    kind_label: str = ""
    target_group_label: str = ""
    readings: list = field(default_factory=list)  # what of the box is the registry's reading
    disputed: bool = False  # the sources disagree about its start, end or placement here
    marks: list = field(default_factory=list)  # what the date's reorganisations did to it
    found: bool = False  # it matches the chart's search
    holds_found: bool = False  # a unit below it matches the chart's search

    @property
    def unit(self):
        return self.node.unit

    @property
    def level(self) -> int:
        return self.node.level

    @property
    def uncertainty(self) -> str:
        """The placement's uncertain ends in words, for the box's dashed edge."""
        start, end = self.node.start_dating, self.node.end_dating
        placed, until = gettext("placed here"), gettext("placed here until")
        parts = [f"{placed} {start}"] if not start.is_exact else []
        if end is not None and not end.is_exact:
            parts.append(f"{until} {end}")
        return "; ".join(parts)


class Structure:
    def __init__(self, date: datetime.date, nodes=None, *, recorded=None):
        self.date = date
        self.recorded = recorded  # the moment of record time it was read as of, if not now
        self.nodes = list(UnitNode.objects.tree_on(date) if nodes is None else nodes)
        self.by_id = {n.pk: n for n in self.nodes}
        self.by_unit = {n.unit_id: n for n in self.nodes}
        self.by_slug = {n.unit.slug: n for n in self.nodes}
        self.children = defaultdict(list)
        for node in self.nodes:
            self.children[node.parent_id].append(node)

    @classmethod
    def as_of(cls, as_of: AsOf, nodes=None) -> "Structure":
        """The structure on `as_of.date` as the registry says it now (`nodes`: a query of the
        nodes valid on the date, by default `tree_on`), or as it had recorded it at
        `as_of.recorded` (the whole tree, from history). Every page and export that shows
        either reads it here."""
        if as_of.recorded is None:
            return cls(as_of.date, nodes)
        recorded = structure_as_recorded(as_of.date, as_of.recorded)
        return cls(as_of.date, recorded, recorded=as_of.recorded)

    @cached_property
    def placements(self) -> dict:
        """The placement each node belongs to, by node id (one query). As recorded, each row
        is its own placement: today's runs of nodes are not theirs."""
        found = placements_on(self.date) if self.recorded is None else {}
        return placement_of_each(self.nodes, found)

    @classmethod
    def around(cls, date: datetime.date, unit_ids) -> "Structure":
        """The part of the structure on `date` that shows what changed for `unit_ids`: their
        placements, the placements above them and those right below them. Four queries, and
        rows in proportion to that part, whatever the size of the registry."""
        touched = UnitNode.objects.valid_on(date).filter(unit_id__in=list(unit_ids))
        above = [pk for pk, _unit in touched.lineage()]
        nodes = UnitNode.objects.tree_on(date).filter(
            Q(pk__in=above) | Q(parent__in=touched.values("pk"))
        )
        return cls(date, nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def roots(self) -> list[UnitNode]:
        return self.children[None]

    def name(self, node: UnitNode) -> str:
        name = node.unit.name_on(self.date)
        return name.name if name else node.unit.slug

    def short_name(self, node: UnitNode) -> str:
        name = node.unit.name_on(self.date)
        return (name.short_name or name.name) if name else node.unit.slug

    @staticmethod
    def classification(node: UnitNode) -> tuple[str, str]:
        """(kind, target group) of the node's unit on the date: read with the tree
        (`tree_on`), or else, for a structure as recorded, its record's."""
        if hasattr(node, "kind_on"):
            return node.kind_on, node.target_group_on
        return node.unit.kind, node.unit.target_group

    @staticmethod
    def own_kind(node: UnitNode) -> bool:
        """Whether the node's unit is on the date the kind its record gives it (no
        reclassification in force)."""
        return getattr(node, "reclassified_on", None) is None

    def labels(self, node: UnitNode) -> tuple[str, str]:
        """What a person reads for the unit's kind and target group on the date."""
        return classification_labels(*self.classification(node))

    def path(self, node: UnitNode) -> list[UnitNode]:
        """The node and its ancestors on the date, from the top."""
        path = [node]
        while path[-1].parent_id is not None:
            path.append(self.by_id[path[-1].parent_id])
        return path[::-1]

    def place(self, unit_id: int) -> tuple[UnitNode | None, list, list]:
        """Where the unit sits: (its node, the nodes above it from the top, those right below
        it), or (None, [], []) where it is not in the structure."""
        node = self.by_unit.get(unit_id)
        if node is None:
            return None, [], []
        return node, self.path(node)[:-1], self.children[node.pk]

    def parent_unit(self, node: UnitNode):
        return self.by_id[node.parent_id].unit if node.parent_id else None

    def chart(
        self, *, root=None, folded=None, disputes=None, changes=None, found=()
    ) -> list[ChartNode]:
        """The organigram from `root` (or the top) over the nodes read; `folded` gives, per
        node id, how many children on the date were left unread below the depth limit;
        `disputes` (history.models.Disputes), where the sources disagree; `changes`
        (history.models.ChangesOn), what the date's reorganisations did; `found`, the ids
        of the units the chart's search matched."""
        self.folded = folded or {}
        self.disputes = disputes
        self.changes = changes
        self.found = set(found)
        return [self._chart_node(n) for n in ([root] if root else self.roots())]

    def _chart_node(self, node: UnitNode) -> ChartNode:
        kind, target_group = self.classification(node)
        kind_label, target_group_label = self.labels(node)
        item = ChartNode(
            node=node,
            name=self.name(node),
            short_name=self.short_name(node),
            uncertain=node.uncertain_on(self.date),
            disputed=self.disputes is not None and self.disputes.of_node(node),
            folded=self.folded.get(node.pk, 0),
            kind=kind,
            target_group=target_group,
            kind_label=kind_label,
            target_group_label=target_group_label,
            readings=[
                str(r.label)
                for r in node.unit.readings(node.unit.name_on(self.date), self.own_kind(node))
            ],
            marks=self.changes.of_node(node) if self.changes else [],
            found=node.unit_id in self.found,
        )
        for child in self.children[node.pk]:
            drawn = self._chart_node(child)
            item.holds_found = item.holds_found or drawn.found or drawn.holds_found
            if drawn.kind in POST_KINDS:
                item.posts.append(drawn)
            elif drawn.kind in STAFF_KINDS:
                item.staff.append(drawn)
            else:
                item.children.append(drawn)
        return item


# An organigram draws at most this many units: deeper levels fold until it fits (one level
# below the top is always drawn). A chart people can read, and work bounded whatever N is.
CHART_BUDGET = 100


def levels_within(per_level: dict, top: int, depth: int, budget: int) -> int:
    """How many levels below `top` to draw, at most `depth`, from the count of units on each
    level: fewer once more than `budget` units would be drawn (one level always)."""
    drawn, levels = per_level.get(top, 0), 0
    while levels < depth:
        drawn += per_level.get(top + levels + 1, 0)
        if levels >= 1 and drawn > budget:
            break
        levels += 1
    return levels


def fold(structure: Structure, root: UnitNode | None, depth: int, budget=CHART_BUDGET):
    """`chart_window` for a structure already read (as recorded at a moment, from history):
    the same folding, in memory. Returns (structure, root, folded counts, levels drawn)."""
    level, frontier = {}, [root] if root else structure.roots()
    while frontier:  # breadth first: each node's depth below the top drawn
        for node in frontier:
            level[node.pk] = level.get(node.parent_id, -1) + 1 if node is not root else 0
        frontier = [c for node in frontier for c in structure.children[node.pk]]
    levels = levels_within(Counter(level.values()), 0, depth, budget)
    # The branch's ancestors stay too, for its path from the top (they are not drawn).
    above = {n.pk for n in structure.path(root)[:-1]} if root else set()
    kept = [n for n in structure.nodes if level.get(n.pk, depth + 1) <= levels or n.pk in above]
    folded = Counter(n.parent_id for n in structure.nodes if level.get(n.pk) == levels + 1)
    return Structure(structure.date, kept), root, dict(folded), levels


def units_per_level(below, top: int, depth: int, budget: int) -> dict:
    """How many of the nodes `below` lie on each level from `top` down `depth` levels, each
    counted up to `budget` + 1 only: `levels_within` asks no more than whether a sum exceeds
    the budget, and a level counted to its end is every unit of the registry on it. On
    PostgreSQL one query of at most that many rows a level, each part stopping at its end
    (the level index); SQLite cannot limit the parts of a union, and counts each level."""
    if not connection.features.supports_slicing_ordering_in_compound:
        counted = below.filter(level__gte=top, level__lte=top + depth).order_by()
        return dict(counted.values("level").annotate(n=Count("id")).values_list("level", "n"))
    parts = [
        below.filter(level=level).order_by().values_list("level", flat=True)[: budget + 1]
        for level in range(top, top + depth + 1)
    ]
    return Counter(parts[0].union(*parts[1:], all=True))


def chart_window(
    date: datetime.date, *, root_slug: str | None = None, depth: int = 5, budget=CHART_BUDGET
):
    """What an organigram needs: the nodes down to `depth` levels below `root_slug` (or the
    top), fewer if more than `budget` units would be drawn, and how many children each
    deepest drawn node has folded away. A fixed number of queries whatever the size of the
    tree, and work bounded by what is drawn.

    Returns (structure, root node or None, folded counts, levels drawn); the structure is
    None when `root_slug` names no unit existing on the date."""
    base = UnitNode.objects.tree_on(date)
    below = UnitNode.objects.valid_on(date)
    root = None
    if root_slug:
        root = base.filter(unit__slug=root_slug).first()
        if root is None:
            return None, None, {}, depth
        inside = Q(tree_id=root.tree_id, lft__gte=root.lft, rght__lte=root.rght)
        base, below = base.filter(inside), below.filter(inside)
    top = root.level if root else 0
    levels = levels_within(units_per_level(below, top, depth, budget), top, depth, budget)
    limit = top + levels
    structure = Structure(date, nodes=base.filter(level__lte=limit))
    folded = dict(
        below.filter(level=limit + 1)
        .order_by()
        .values("parent_id")
        .annotate(n=Count("id"))
        .values_list("parent_id", "n")
    )
    return structure, (structure.by_id[root.pk] if root else None), folded, levels
