"""The structure on a date *as the registry recorded it* at an earlier moment.

Valid time says when a change took effect; record time (django-simple-history) says when
the registry learned of it. This reads the history tables directly, a fixed number of
queries whatever the size of the tree. (`UnitNode.history.as_of()` would cost a query per
node: the MPTT fields are kept out of history, and simple-history fetches excluded fields
row by row from the live table.)
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery

from orgunits.models import Unit, UnitName, UnitNode


@dataclass
class RecordedNode:
    node_id: int
    parent_id: int | None
    unit_id: int
    slug: str
    kind: str
    name: str
    short_name: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    position: int
    level: int = 0
    children: list["RecordedNode"] = field(default_factory=list)


def _latest_versions(model, recorded_at):
    """Each row's latest historical version at `recorded_at`, leaving out deleted rows."""
    history = model.history.model
    latest = (
        history.objects.filter(id=OuterRef("id"), history_date__lte=recorded_at)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return history.objects.filter(history_id=Subquery(latest)).exclude(history_type="-")


def _valid_on(qs, date):
    return qs.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=date),
        Q(valid_to__isnull=True) | Q(valid_to__gt=date),
    )


def structure_as_recorded(date: datetime.date, recorded_at: datetime.datetime):
    """The nodes valid on `date` as recorded at `recorded_at`, in tree order (3 queries)."""
    nodes = list(
        _valid_on(_latest_versions(UnitNode, recorded_at), date).values(
            "id", "parent_id", "unit_id", "valid_from", "valid_to", "position"
        )
    )
    names = {
        row["unit_id"]: row
        for row in _valid_on(
            _latest_versions(UnitName, recorded_at).filter(kind=UnitName.Kind.AUTHORISED), date
        ).values("unit_id", "name", "short_name")
    }
    units = {
        row["id"]: row for row in _latest_versions(Unit, recorded_at).values("id", "slug", "kind")
    }
    by_id = {}
    for row in nodes:
        unit = units.get(row["unit_id"], {"slug": "", "kind": ""})
        name = names.get(row["unit_id"], {"name": unit["slug"], "short_name": ""})
        by_id[row["id"]] = RecordedNode(
            node_id=row["id"],
            parent_id=row["parent_id"],
            unit_id=row["unit_id"],
            slug=unit["slug"],
            kind=unit["kind"],
            name=name["name"],
            short_name=name["short_name"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            position=row["position"],
        )
    roots = []
    for node in by_id.values():
        parent = by_id.get(node.parent_id)
        (parent.children if parent else roots).append(node)
    ordered = []

    def walk(siblings, level):
        # The same sibling order as the live tree's MPTT insertion order.
        for node in sorted(siblings, key=lambda n: (n.position, n.unit_id)):
            node.level = level
            ordered.append(node)
            walk(node.children, level + 1)

    walk(roots, 0)
    return ordered
