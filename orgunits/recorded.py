"""The structure on a date *as the registry recorded it* at an earlier moment.

Valid time says when a change took effect; record time (django-simple-history) says when
the registry learned of it. This reads the history tables directly, a fixed number of
queries whatever the size of the tree. (`UnitNode.history.as_of()` would cost a query per
node: the MPTT fields are kept out of history, and simple-history fetches excluded fields
row by row from the live table.)

The result is made of ordinary, unsaved `UnitNode`, `Unit`, `UnitName` and `UnitIdentifier`
instances carrying the recorded values, so every page and export that shows a structure can
show a recorded one unchanged.
"""

import datetime
from collections import defaultdict

from django.db.models import OuterRef, Q, Subquery

from history.models import Change
from orgunits.models import Unit, UnitClassification, UnitIdentifier, UnitName, UnitNode
from socialforvaltning.periods import valid_on_q


def latest_versions(model, recorded_at):
    """Each row's latest historical version at `recorded_at`, leaving out deleted rows. Of
    versions written at the same moment (one write stamps all its rows alike) the last
    written counts, which simple-history's `as_of` does not decide."""
    history = model.history.model
    latest = (
        history.objects.filter(id=OuterRef("id"), history_date__lte=recorded_at)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return history.objects.filter(history_id=Subquery(latest)).exclude(history_type="-")


def first_recorded() -> datetime.datetime | None:
    """When the registry recorded its first placement: before it, it knew no structure."""
    return UnitNode.history.order_by("history_date").values_list("history_date", flat=True).first()


def structure_as_recorded(date: datetime.date, recorded_at: datetime.datetime) -> list[UnitNode]:
    """The nodes valid on `date` as recorded at `recorded_at`, in tree order (6 queries),
    each with what its unit was on the date as recorded (`kind_on`, `target_group_on`)."""
    recorded_nodes = latest_versions(UnitNode, recorded_at).filter(valid_on_q(date))
    node_rows = list(
        recorded_nodes.values(
            "id",
            "parent_id",
            "unit_id",
            "valid_from",
            "valid_to",
            "position",
            "opened_by_id",
            "closed_by_id",
        )
    )
    names = defaultdict(list)
    for row in (
        latest_versions(UnitName, recorded_at)
        .filter(valid_on_q(date), kind=UnitName.Kind.AUTHORISED)
        .values("id", "unit_id", "name", "short_name", "valid_from", "valid_to")
    ):
        names[row.pop("unit_id")].append(UnitName(**row))
    identifiers = defaultdict(list)
    for row in latest_versions(UnitIdentifier, recorded_at).values(
        "id", "unit_id", "scheme", "value"
    ):
        identifiers[row["unit_id"]].append(UnitIdentifier(**row))
    # A unit not reclassified by the date is what its record says (from its beginning).
    classified = {
        row["unit_id"]: (row["kind"], row["target_group"])
        for row in latest_versions(UnitClassification, recorded_at)
        .filter(valid_on_q(date))
        .values("unit_id", "kind", "target_group")
    }
    units = {}
    for row in latest_versions(Unit, recorded_at).values(
        "id", "slug", "kind", "target_group", "position", "description", "archival_type"
    ):
        unit = Unit(**row)
        unit.names_on_date = names.get(unit.pk, [])
        unit._prefetched_objects_cache = {"identifiers": identifiers.get(unit.pk, [])}
        units[unit.pk] = unit
    # One query, however many nodes (in_bulk would batch its parameters on SQLite).
    changes = {
        change.pk: change
        for change in Change.objects.select_related("reorganisation").filter(
            Q(pk__in=recorded_nodes.values("opened_by_id"))
            | Q(pk__in=recorded_nodes.values("closed_by_id"))
        )
    }

    nodes = {}
    for row in node_rows:
        node = UnitNode(**row)
        node.unit = units.get(row["unit_id"]) or Unit(id=row["unit_id"], slug=str(row["unit_id"]))
        node.kind_on, node.target_group_on = classified.get(
            node.unit_id, (node.unit.kind, node.unit.target_group)
        )
        node.opened_by = changes.get(row["opened_by_id"])
        node.closed_by = changes.get(row["closed_by_id"])
        nodes[node.pk] = node
    children = defaultdict(list)
    for node in nodes.values():
        children[node.parent_id if node.parent_id in nodes else None].append(node)
    ordered = []

    def walk(siblings, level):
        # The same sibling order as the live tree's MPTT insertion order.
        for node in sorted(siblings, key=lambda n: (n.position, n.unit_id)):
            node.level = level
            if level == 0:
                node.parent_id = None
            ordered.append(node)
            walk(children[node.pk], level + 1)

    walk(children[None], 0)
    return ordered
