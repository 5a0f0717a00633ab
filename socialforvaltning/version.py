"""The registry's data version: it changes with every write, in the same transaction.

Every write to a registry record leaves a row in that model's history table (the registry's
own invariant), and a trigger on every history table bumps a counter in the same transaction
(migration history/0006). So no write can forget to bump it, and, unlike the latest history
ids, it cannot stand still while the data changes: the counter's row lock orders the bumps by
commit. One single-row query.
"""

from django.apps import apps
from django.db import Error, connection

TABLE = "registry_data_version"


def recorded_models() -> dict:
    """The registry's records that keep a history, by their label (`app.model`): every write
    to one leaves a history row, which bumps the data version and is in the change feed."""
    found = {}
    for app_label in ("orgunits", "history", "responsibilities"):
        for model in apps.get_app_config(app_label).get_models():
            if hasattr(model, "history") and model._meta.managed:
                found[model._meta.label_lower] = model
    return found


def historical_tables() -> list[str]:
    return sorted(model.history.model._meta.db_table for model in recorded_models().values())


def _read() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT epoch, counter FROM {TABLE} WHERE id = 1")
        epoch, counter = cursor.fetchone()
    return f"{epoch}.{counter}"


def data_version() -> str:
    """The version, in one round trip to the database.

    It is the first query of every public request, so it stands in for the connection's
    health check (CONN_HEALTH_CHECKS), which would cost a `SELECT 1` of its own before it: a
    cached page then costs one round trip, not two. Like that check, it closes a persistent
    connection that has died (the server restarted, the connection was ended) and asks once
    more on a new one, so the first visitor after a restart gets a page, not an error."""
    check = (
        connection.connection is not None
        and connection.health_check_enabled
        and not connection.health_check_done
        and not connection.in_atomic_block
    )
    if not check:
        return _read()
    connection.health_check_done = True  # this query is the check
    try:
        return _read()
    except Error:
        if connection.is_usable():  # the query failed, not the connection: say so
            raise
        connection.close()
        return _read()


def start_new_epoch() -> None:
    """After a restore: the restored data may be older than pages already cached or held by
    browsers under versions of this database's epoch, and its counter, rewound with it, would
    give those versions again to other data. A new epoch makes every earlier version stale."""
    import secrets

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET epoch = %s, counter = 0 WHERE id = 1", [secrets.token_hex(8)]
        )


def bump_data_version_on(*tables):
    """A migration's operation: the trigger that bumps the data version on each of `tables`
    (migration 0006). A new history table needs its own, and SQLite drops a table's triggers
    when it rebuilds the table to add a column."""

    def create(apps, schema_editor):
        for table in tables:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(
                    f'CREATE OR REPLACE TRIGGER bump_data_version AFTER INSERT ON "{table}" '
                    "FOR EACH STATEMENT EXECUTE FUNCTION registry_bump_data_version()"
                )
            else:
                schema_editor.execute(
                    f'CREATE TRIGGER IF NOT EXISTS "{table}_bump_data_version" AFTER INSERT ON '
                    f'"{table}" BEGIN UPDATE {TABLE} SET counter = counter + 1 WHERE id = 1; END'
                )

    return create
