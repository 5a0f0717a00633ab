"""The one-owner constraint may wait for the end of a write that asks it to.

A correction takes the projection back before it replays it: for a moment, an owner that a
later transfer closed is open again beside the owner the sources give from that transfer's
date. The writer defers the check to the end of its write (`SET CONSTRAINTS … DEFERRED`)
and then checks, still inside its transaction; every other write is checked at once, as
before (INITIALLY IMMEDIATE)."""

from django.db import migrations

TABLE = "responsibilities_responsibility"
NAME = "responsibility_one_owner_at_a_time"
DEFINITION = (
    "EXCLUDE USING gist (task_id WITH =, daterange(valid_from, valid_to, '[)') WITH &&) "
    "WHERE (role = 'owner')"
)


def deferrable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {NAME}")
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {NAME} {DEFINITION} DEFERRABLE INITIALLY IMMEDIATE"
    )


def not_deferrable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {NAME}")
    schema_editor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {NAME} {DEFINITION}")


class Migration(migrations.Migration):
    dependencies = [
        ("responsibilities", "0003_task_name_text"),
    ]

    operations = [migrations.RunPython(deferrable, not_deferrable, elidable=False)]
