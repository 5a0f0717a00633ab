"""What a large structural write leaves to its end: the tree's numbering, the planner's
statistics and, during a replay, PostgreSQL's one-owner check.

Large writes stay the same writes, validated row by row, but avoid costs that grow with their
size:

- django-mptt renumbers `lft`/`rght` of the rest of the tree on every insert, so placing
  thousands of nodes one by one is quadratic (and slow on PostgreSQL, where each renumbering
  rewrites index entries of half the tree). A reorganisation that places `RENUMBER_ONCE_AFTER`
  nodes switches that off (`numbering_deferred`) and numbers the tree once, from the parent
  links, before it commits (`renumber_tree`); `deferred_tree_numbering()` does the same for a
  batch of reorganisations (the generator of synthetic organisations). Nothing in the writer
  reads the MPTT numbers while writing: lineage and children are followed by parent links.
- PostgreSQL's planner is told how the tables grew (`refresh_statistics`) as a large
  reorganisation doubles its writes, or it plans the per-row checks as scans.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from orgunits.models import Unit, UnitName, UnitNode
from responsibilities.models import Responsibility
from socialforvaltning.locks import lock_structure

# From this many new placements in one reorganisation on, numbering the tree once at the end
# costs less than MPTT's renumbering of the rest of the tree on every insert.
RENUMBER_ONCE_AFTER = 25
# From this many new placements on, the planner's statistics are refreshed as they double.
REFRESH_STATISTICS_FROM = 256


@contextmanager
def deferred_tree_numbering() -> Iterator[None]:
    """Apply several reorganisations as one transaction and number the tree once, at the end.

    For bulk writers such as the generator of synthetic organisations: inside the block each
    `apply_reorganisation` validates and records as always but leaves `lft`/`rght` alone.
    """
    with transaction.atomic():
        lock_structure()
        with numbering_deferred():
            yield


@contextmanager
def numbering_deferred() -> Iterator[None]:
    """Write nodes without MPTT's renumbering; rebuild the numbers from the parent links when
    the block ends without an error (an error rolls the transaction back anyway). Inside an
    outer deferral this is a no-op: the outermost block numbers once."""
    if not UnitNode._mptt_updates_enabled:
        yield
        return
    with UnitNode.objects.disable_mptt_updates():
        yield
    renumber_tree()


@contextmanager
def one_owner_checked_at_the_end() -> Iterator[None]:
    """Taking the projection back reopens, for a moment, an owner a later transfer closed,
    beside the owner the sources give from that transfer's date; the replay closes it again.
    PostgreSQL's one-owner constraint (responsibilities 0004) waits until then and checks
    when the block ends, still inside the transaction. The model's validation checks each
    write on any database as before."""
    statement = "SET CONSTRAINTS responsibility_one_owner_at_a_time {}"
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(statement.format("DEFERRED"))
    yield
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(statement.format("IMMEDIATE"))  # checks what was deferred, now


def renumber_tree() -> int:
    """Number the whole forest from its parent links (`UnitNode.objects.numbers_from_parents`)
    and write only the nodes whose numbers change; returns how many. Whatever numbers were
    written while MPTT's updates were off are overwritten, whichever tree they claimed.

    django-mptt's rebuild loads every node with its parent as model instances and rewrites
    every row through one CASE expression per row and field, which takes seconds from a few
    thousand nodes on; this reads tuples and updates with one prepared statement."""
    numbers, stored = UnitNode.objects.numbers_from_parents()
    changed = [(*numbers[pk], pk) for pk in sorted(numbers) if numbers[pk] != stored[pk]]
    if changed:
        table = connection.ops.quote_name(UnitNode._meta.db_table)
        columns = [
            connection.ops.quote_name(UnitNode._meta.get_field(name).column)
            for name in ("tree_id", "lft", "rght", "level", "id")
        ]
        assignments = ", ".join(f"{column} = %s" for column in columns[:4])
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {columns[4]} = %s", changed)
    return len(changed)


def statistics_due(placed: int) -> bool:
    """Whether a write that has placed `placed` new nodes should refresh the planner's
    statistics: from `REFRESH_STATISTICS_FROM` on, each time it has doubled its writes."""
    return placed >= REFRESH_STATISTICS_FROM and placed & (placed - 1) == 0


def refresh_statistics(*, every_table: bool = False) -> None:
    """Let PostgreSQL's planner see how big the structure tables (or `every_table`) have grown
    in this transaction (ANALYZE counts the transaction's own rows). Without it, a table it
    last measured as a few dozen rows is planned as one: the per-row checks then walk the
    whole table in tree order instead of looking the unit up, and a large write turns
    quadratic; and the exports read 100,000 changes row by row (an index probe each) instead
    of in one hash join."""
    if connection.vendor != "postgresql":
        return  # SQLite's planner uses the indexes without statistics
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (Unit, UnitName, UnitNode, Responsibility)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if every_table else f"ANALYZE {tables}")
