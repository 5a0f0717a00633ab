from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_changes(apps, schema_editor):
    """Every reorganisation's count, in one UPDATE; not a history entry (not in its history)."""
    Reorganisation = apps.get_model("history", "Reorganisation")
    Change = apps.get_model("history", "Change")
    counted = (
        Change.objects.filter(reorganisation=OuterRef("pk"))
        .order_by()
        .values("reorganisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Reorganisation.objects.update(change_count=Coalesce(Subquery(counted), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0010_jobs_waiting_under_their_new_addresses"),
    ]

    operations = [
        migrations.AddField(
            model_name="reorganisation",
            name="change_count",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="changes"),
        ),
        migrations.RunPython(count_changes, migrations.RunPython.noop, elidable=True),
    ]
