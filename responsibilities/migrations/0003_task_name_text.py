from django.db import migrations, models


def fill_name_text(apps, schema_editor):
    """The same as Task.update_search_text, for the tasks already there."""
    from responsibilities.search import normalise

    Task = apps.get_model("responsibilities", "Task")
    tasks = list(Task.objects.only("name", "synonyms"))
    for task in tasks:
        synonyms = [s.strip() for s in task.synonyms.splitlines() if s.strip()]
        task.name_text = normalise(" ".join([task.name, *synonyms]))
    Task.objects.bulk_update(tasks, ["name_text"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("responsibilities", "0002_postgres_exclusion_constraints")]

    operations = [
        migrations.AddField(
            model_name="task",
            name="name_text",
            field=models.TextField(default="", editable=False),
        ),
        migrations.RunPython(fill_name_text, migrations.RunPython.noop),
    ]
