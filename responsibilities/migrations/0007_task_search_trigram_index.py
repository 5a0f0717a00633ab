"""On PostgreSQL, a trigram index on what the task lookup searches, so that a search reads
the tasks that hold its words rather than every task (`search_text LIKE '%word%'`).

It lives outside the model state because SQLite has no trigram indexes. Going back drops
the index and leaves the extension, which something else may use.
"""

from django.db import migrations

INDEX = "task_search_text_trigrams"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON responsibilities_task USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("responsibilities", "0006_period_changes_named_alike"),
    ]

    operations = [migrations.RunPython(add_index, drop_index, elidable=False)]
