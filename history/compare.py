"""What changed between two dates: the two structures side by side, and the dated changes
in between. A fixed number of queries whatever the size of the tree."""

import datetime
from dataclasses import dataclass, field

from orgunits.models import UnitNode
from orgunits.structure import Structure
from responsibilities.lookup import owner_changes

from .models import Change, Reorganisation


@dataclass
class Comparison:
    first: Structure
    second: Structure
    created: list = field(default_factory=list)  # (node on the second date, name)
    ended: list = field(default_factory=list)  # (node on the first date, name)
    renamed: list = field(default_factory=list)  # (node, old name, new name)
    moved: list = field(default_factory=list)  # (node, name, old parent, new parent)
    merged: list = field(default_factory=list)  # Change
    split: list = field(default_factory=list)  # Change
    reorganisations: list = field(default_factory=list)
    owners: list = field(default_factory=list)  # (task, owner on first, owner on second)

    @property
    def nothing_changed(self) -> bool:
        return not any(
            (
                self.created,
                self.ended,
                self.renamed,
                self.moved,
                self.merged,
                self.split,
                self.owners,
            )
        )


def compare_structures(first: datetime.date, second: datetime.date) -> Comparison:
    a, b = Structure(first), Structure(second)
    result = Comparison(first=a, second=b)
    for unit_id, node in b.by_unit.items():
        before = a.by_unit.get(unit_id)
        if before is None:
            result.created.append((node, b.name(node)))
            continue
        old_name, new_name = a.name(before), b.name(node)
        if old_name != new_name:
            result.renamed.append((node, old_name, new_name))
        old_parent, new_parent = a.parent_unit(before), b.parent_unit(node)
        if (old_parent and old_parent.pk) != (new_parent and new_parent.pk):
            result.moved.append(
                (
                    node,
                    new_name,
                    a.name(a.by_unit[old_parent.pk]) if old_parent else "",
                    b.name(b.by_unit[new_parent.pk]) if new_parent else "",
                )
            )
    gone = {unit_id: n for unit_id, n in a.by_unit.items() if unit_id not in b.by_unit}
    # Each ended unit with its last placement, whose end is the unit's: the placement on the
    # first date may have ended earlier by a move, less certainly dated than the end itself.
    # (The ended units chosen in SQL: a list of thousands would outgrow SQLite's parameters.)
    ended = UnitNode.objects.valid_on(first).exclude(
        unit_id__in=UnitNode.objects.valid_on(second).values("unit_id")
    )
    last = {}
    for node in (
        UnitNode.objects.filter(
            unit_id__in=ended.values("unit_id"), valid_to__gt=first, valid_to__lte=second
        )
        .with_datings()
        .select_related("unit")
        .order_by("valid_to")
    ):
        last[node.unit_id] = node
    result.ended = [(last.get(unit_id, n), a.name(n)) for unit_id, n in gone.items()]
    result.reorganisations = list(
        Reorganisation.objects.in_force().dated_between(first, second).chronological()
    )
    structural = (
        Change.objects.in_force()
        .filter(
            reorganisation__date__gt=first,
            reorganisation__date__lte=second,
            kind__in=[Change.Kind.MERGED, Change.Kind.SPLIT],
        )
        .select_related("reorganisation", "unit", "target")
        .prefetch_related("unit__names", "target__names")
    )
    for change in structural:
        (result.merged if change.kind == Change.Kind.MERGED else result.split).append(change)
    result.owners = owner_changes(first, second)
    return result
