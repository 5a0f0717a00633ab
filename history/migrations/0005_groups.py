"""The two groups the registry's people work in.

Arkivar: edit registry data and apply dated reorganisations (no deleting: a unit with
history is ended by a dissolution, never deleted). Læser: read the admin.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REGISTRY_APPS = ("orgunits", "history", "responsibilities")
EDITABLE = {
    "orgunits": ("unit", "unitname", "unitidentifier", "citation", "sourcedocument"),
    "responsibilities": ("task", "responsibility", "post"),
    "history": ("reorganisation",),
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now (the stub app
    # configs of a migration need models_module set for that).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    registry = Permission.objects.filter(content_type__app_label__in=REGISTRY_APPS)
    reader, _ = Group.objects.get_or_create(name="Læser")
    reader.permissions.set(registry.filter(codename__startswith="view_"))
    archivist, _ = Group.objects.get_or_create(name="Arkivar")
    editable = [
        perm for perm in registry
        if perm.codename.startswith("view_")
        or perm.codename == "apply_reorganisation"
        or any(
            perm.content_type.app_label == app and perm.codename in
            {f"{verb}_{model}" for model in models for verb in ("add", "change")}
            for app, models in EDITABLE.items()
        )
    ]
    archivist.permissions.set(editable)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Læser", "Arkivar"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0004_apply_permission"),
        ("orgunits", "0003_isaar_description_and_control"),
        ("responsibilities", "0002_postgres_exclusion_constraints"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
