"""The registry's data version: it changes with every write, in the same transaction.

Every write to a registry record leaves a row in that model's history table (the registry's
own invariant), and a trigger on every history table bumps a counter in the same transaction
(migration history/0006). So no write can forget to bump it, and, unlike the latest history
ids, it cannot stand still while the data changes: the counter's row lock orders the bumps by
commit. One single-row query.
"""

from django.apps import apps
from django.db import connection

TABLE = "registry_data_version"


def historical_tables() -> list[str]:
    tables = []
    for app_label in ("orgunits", "history", "responsibilities"):
        for model in apps.get_app_config(app_label).get_models():
            if hasattr(model, "history") and model._meta.managed:
                tables.append(model.history.model._meta.db_table)
    return sorted(tables)


def data_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT epoch, counter FROM {TABLE} WHERE id = 1")
        epoch, counter = cursor.fetchone()
    return f"{epoch}.{counter}"
