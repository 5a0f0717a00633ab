"""The structure lock: structural writers queue behind each other; corrections share it.

django-mptt renumbers `lft`/`rght` across a tree on every structural write and does no locking
of its own. On PostgreSQL a transaction-scoped advisory lock serialises the writers of
structure (exclusive) and keeps corrections (shared) from interleaving with them while still
running beside each other. SQLite lets one writer at a time in anyway.
"""

from django.db import connection

# Any constant works; it names "the structure" to PostgreSQL's advisory lock table.
STRUCTURE_LOCK_KEY = 0x5F0F_2008


def lock_structure(*, shared: bool = False) -> None:
    """Take the structure lock until the current transaction ends."""
    if connection.vendor == "postgresql":
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s)", [STRUCTURE_LOCK_KEY])
