"""On PostgreSQL, let the database itself refuse two owners of a task at the same time.

Model validation says the same in words on every database; this constraint holds even
against a write that bypasses it. It lives outside the model state because SQLite has no
exclusion constraints.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINTS = [
    (
        "responsibilities_responsibility",
        "responsibility_one_owner_at_a_time",
        "EXCLUDE USING gist (task_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&) "
        "WHERE (role = 'owner')",
    ),
]


def add_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, definition in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def drop_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _definition in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("responsibilities", "0001_initial"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraints, drop_constraints, elidable=False),
    ]
