"""Periods without an owner, as `check_registry` reports them: found between any two dates,
not only on the dates of reorganisations, and on every day the same as `orphaned_on` says."""

import datetime

import pytest

from history.changes import TransferTasks
from history.services import apply_reorganisation
from orgunits.models import Unit
from responsibilities.lookup import orphaned_on, orphaned_periods
from responsibilities.models import Responsibility, Task

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)


def task(slug: str) -> Task:
    return Task.objects.create(slug=slug, name=slug, category="drift")


def hold(task: Task, unit: str, start, end=None, role="owner") -> Responsibility:
    return Responsibility.objects.create(
        task=task, unit=Unit.objects.get(slug=unit), role=role, valid_from=start, valid_to=end
    )


def periods_of(task: Task) -> list[tuple]:
    found = [(p.valid_from, p.valid_to) for p in orphaned_periods() if p.task == task]
    days = {
        day + shift
        for r in task.responsibilities.all()
        for day in (r.valid_from, r.valid_to)
        if day is not None
        for shift in (-DAY, 0 * DAY, DAY)
    }
    for day in sorted(days):
        in_a_period = any((a is None or a <= day) and (b is None or day < b) for a, b in found)
        assert in_a_period == (task in orphaned_on(day)), day
    return found


def test_a_gap_between_owners_is_found_though_no_reorganisation_falls_in_it():
    gap = task("hul-mellem-ejere")
    hold(gap, "mr-born", D(2009, 1, 1), D(2009, 3, 15))
    hold(gap, "du-born", D(2009, 4, 20))
    assert periods_of(gap) == [(D(2009, 3, 15), D(2009, 4, 20))]


def test_an_owner_that_stops_without_handing_on_leaves_the_task_ownerless_from_then_on():
    forgotten = task("glemt")
    hold(forgotten, "mr-born", D(2009, 1, 1), D(2009, 6, 1))
    assert periods_of(forgotten) == [(D(2009, 6, 1), None)]


def test_partners_without_an_owner_are_a_period_until_an_owner_comes():
    shared = task("delt")
    hold(shared, "du-born", D(2009, 1, 1), role="partner")
    hold(shared, "mr-born", D(2009, 9, 1))
    assert periods_of(shared) == [(D(2009, 1, 1), D(2009, 9, 1))]


def test_a_task_handed_to_no_one_on_purpose_is_no_problem(archivist):
    ended = task("nedlagt-opgave")
    hold(ended, "mr-born", D(2009, 1, 1))
    apply_reorganisation(
        title="Opgaven nedlægges",
        date=D(2009, 6, 1),
        user=archivist,
        reason="test",
        changes=[TransferTasks(from_unit="mr-born", to_unit=None, tasks=["nedlagt-opgave"])],
    )
    assert periods_of(ended) == []


def test_the_seed_registry_has_no_ownerless_period():
    assert orphaned_periods() == []
