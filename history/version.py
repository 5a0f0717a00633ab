"""The registry's data version: it changes with every write, in the same transaction.

Every write to a registry record leaves a row in that model's history table (that is the
registry's own invariant), so the latest history row id of each history table, taken
together, changes exactly when the registry's data does — with no counter to bump and no
write that could forget to bump it. One query.
"""

from django.apps import apps
from django.db import connection


def historical_tables() -> list[str]:
    tables = []
    for app_label in ("orgunits", "history", "responsibilities"):
        for model in apps.get_app_config(app_label).get_models():
            if hasattr(model, "history") and model._meta.managed:
                tables.append(model.history.model._meta.db_table)
    return sorted(tables)


def data_version() -> str:
    tables = historical_tables()
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT MAX(history_id) FROM {quote(table)}" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return ".".join(str(row[0] or 0) for row in cursor.fetchall())
