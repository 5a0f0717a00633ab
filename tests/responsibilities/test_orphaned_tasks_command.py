"""`manage.py orphaned_tasks --date D`: the tasks no unit owns on D, for the archivists."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from history.models import Reorganisation
from orgunits.models import Unit
from responsibilities.models import Responsibility, Task

pytestmark = pytest.mark.django_db


def orphaned_tasks(date: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("orphaned_tasks", "--date", date, stdout=out)
    except SystemExit as exit:
        return exit.code, out.getvalue()
    return 0, out.getvalue()


def test_no_task_is_orphaned_on_any_date_of_the_seed_reorganisations():
    dates = sorted(
        Reorganisation.objects.exclude(key="syntetisk-organisation")
        .filter(date__isnull=False)
        .values_list("date", flat=True)
    )
    assert len(dates) == 9
    for date in [*dates, datetime.date(2008, 5, 31), datetime.date(2012, 1, 1)]:
        status, output = orphaned_tasks(date.isoformat())
        assert status == 0, output


def test_a_task_whose_owner_stopped_without_handing_it_on_is_reported_with_status_1():
    task = Task.objects.create(slug="glemt-opgave", name="Glemt opgave", category="drift")
    Responsibility.objects.create(
        task=task,
        unit=Unit.objects.get(slug="mr-born"),
        valid_from=datetime.date(2009, 1, 1),
        valid_to=datetime.date(2009, 6, 1),
    )
    assert orphaned_tasks("2009-03-01")[0] == 0
    status, output = orphaned_tasks("2010-01-01")
    assert status == 1
    assert "Glemt opgave (glemt-opgave)" in output


def test_a_task_shared_by_partners_but_owned_by_no_one_is_reported():
    task = Task.objects.create(slug="uden-ejer", name="Opgave uden ejer", category="drift")
    Responsibility.objects.create(
        task=task,
        unit=Unit.objects.get(slug="du-born"),
        role="partner",
        valid_from=datetime.date(2009, 1, 1),
    )
    status, output = orphaned_tasks("2009-06-01")
    assert status == 1
    assert "uden-ejer" in output
    assert orphaned_tasks("2008-12-31")[0] == 0


def test_a_malformed_date_is_refused_with_a_message():
    with pytest.raises(CommandError, match="2010-02-30"):
        call_command("orphaned_tasks", "--date", "2010-02-30")
