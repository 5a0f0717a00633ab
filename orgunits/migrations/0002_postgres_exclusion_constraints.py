"""On PostgreSQL, let the database itself refuse overlapping periods of the same unit.

Model validation says the same in words on every database; these constraints hold even
against a write that bypasses it. They live outside the model state because SQLite has no
exclusion constraints.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CONSTRAINTS = [
    (
        "orgunits_unitnode",
        "unitnode_one_placement_at_a_time",
        "EXCLUDE USING gist (unit_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&)",
    ),
    (
        "orgunits_unitname",
        "unitname_one_authorised_name_at_a_time",
        "EXCLUDE USING gist (unit_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&) "
        "WHERE (kind = 'authorised')",
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
        ("orgunits", "0001_initial"),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(add_constraints, drop_constraints, elidable=False),
    ]
