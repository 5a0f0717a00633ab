"""The data version as a counter the database bumps itself.

Every write to a registry record leaves a history row; a trigger on each history table bumps
one counter in the same transaction. Unlike the latest history ids, the counter cannot stand
still while the data changes: a transaction that took a lower id but commits later still bumps
it, and the row lock orders the bumps by commit. The random epoch tells databases apart, so a
cache shared between a registry and a restored copy cannot mix their pages.

Not a Django model on purpose: dumpdata/loaddata leave it alone (a restored registry counts its
own writes), and pg_dump/pg_restore carry it with the data it describes.
"""

from django.db import migrations

TABLE = "registry_data_version"


def history_tables(apps):
    return sorted(
        model._meta.db_table
        for app_label in ("orgunits", "history", "responsibilities")
        for model in apps.get_app_config(app_label).get_models()
        if model.__name__.startswith("Historical")
    )


def create(apps, schema_editor):
    tables = history_tables(apps)
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        run(
            f"CREATE TABLE {TABLE} (id integer PRIMARY KEY CHECK (id = 1), "
            "epoch text NOT NULL, counter bigint NOT NULL)"
        )
        run(f"INSERT INTO {TABLE} VALUES (1, md5(random()::text || clock_timestamp()::text), 0)")
        run(
            "CREATE FUNCTION registry_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN UPDATE {TABLE} SET counter = counter + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        for table in tables:
            run(
                f'CREATE TRIGGER bump_data_version AFTER INSERT ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION registry_bump_data_version()"
            )
    else:
        run(
            f"CREATE TABLE {TABLE} (id integer PRIMARY KEY CHECK (id = 1), "
            "epoch text NOT NULL, counter integer NOT NULL)"
        )
        run(f"INSERT INTO {TABLE} VALUES (1, lower(hex(randomblob(8))), 0)")
        for table in tables:
            run(
                f'CREATE TRIGGER "{table}_bump_data_version" AFTER INSERT ON "{table}" '
                f"BEGIN UPDATE {TABLE} SET counter = counter + 1 WHERE id = 1; END"
            )


def drop(apps, schema_editor):
    run = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for table in history_tables(apps):
            run(f'DROP TRIGGER bump_data_version ON "{table}"')
        run("DROP FUNCTION registry_bump_data_version()")
    else:
        for table in history_tables(apps):
            run(f'DROP TRIGGER "{table}_bump_data_version"')
    run(f"DROP TABLE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0005_groups"),
        ("orgunits", "0003_isaar_description_and_control"),
        ("responsibilities", "0002_postgres_exclusion_constraints"),
    ]

    operations = [migrations.RunPython(create, drop)]
