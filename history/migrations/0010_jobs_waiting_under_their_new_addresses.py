"""The background queue names each waiting job by its task's import path; the EAC-CPF tasks
moved (the import to history's loaders, the zip to orgunits' exports). Jobs queued before an
upgrade would otherwise fail in the new worker with an import error and never run."""

from django.db import migrations

MOVED = {
    "orgunits.eaccpf.jobs.run_import": "history.loaders.eaccpf.jobs.run_import",
    "orgunits.eaccpf.jobs.build_zip": "orgunits.exports.eaccpf.jobs.build_zip",
}


def follow(apps, schema_editor, moves=MOVED):
    tasks = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in moves.items():
        tasks.objects.filter(task_path=old).update(task_path=new)


def go_back(apps, schema_editor):
    follow(apps, schema_editor, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0009_registry_readings"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(follow, go_back)]
