"""A task has one owner at a time, and a responsibility lies within its unit's existence:
model validation says so in words; PostgreSQL also refuses a second owner by itself."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from orgunits.models import Unit
from responsibilities.models import Post, Responsibility, Task

from .conftest import D0, D1, D2

pytestmark = pytest.mark.django_db


def messages(responsibility: Responsibility) -> str:
    """Why validation refuses `responsibility`, in English."""
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            responsibility.full_clean()
        return " ".join(str(m) for m in excinfo.value.messages)


def test_a_second_owner_at_the_same_time_is_rejected_with_a_clear_message(offices):
    second = Responsibility(
        task=Task.objects.get(slug="r-budget"),
        unit=Unit.objects.get(slug="r-b"),
        role="owner",
        valid_from=D1,
    )
    assert messages(second) == (
        "“Testbudget” already has an owner in the period from Jan. 1, 2000: “r-a”. A task has one "
        "owner at a time; end or transfer that responsibility first."
    )


def test_owners_one_after_the_other_are_fine(offices):
    Responsibility.objects.filter(task__slug="r-budget").update(valid_to=D1)
    Responsibility(
        task=Task.objects.get(slug="r-budget"),
        unit=Unit.objects.get(slug="r-b"),
        valid_from=D1,
    ).full_clean()


def test_many_partners_at_once_are_fine(offices):
    Responsibility(
        task=Task.objects.get(slug="r-tilsyn"),
        unit=Unit.objects.get(slug="r-root"),
        role="partner",
        valid_from=D1,
    ).full_clean()


@pytest.mark.postgres
def test_the_database_rejects_a_second_owner_at_the_same_time(offices):
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's")
    with pytest.raises(IntegrityError), transaction.atomic():
        Responsibility.objects.create(
            task=Task.objects.get(slug="r-budget"),
            unit=Unit.objects.get(slug="r-b"),
            role="owner",
            valid_from=D1,
            valid_to=D2,
        )


@pytest.mark.postgres
def test_the_database_lets_a_partner_overlap_the_owner(offices):
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's")
    Responsibility.objects.create(
        task=Task.objects.get(slug="r-budget"),
        unit=Unit.objects.get(slug="r-b"),
        role="partner",
        valid_from=D1,
    )


def test_a_responsibility_before_its_unit_existed_is_rejected(offices):
    early = Responsibility(
        task=Task.objects.get(slug="r-budget"),
        unit=Unit.objects.get(slug="r-b"),
        role="partner",
        valid_from=D0.replace(year=1999),
    )
    assert "“r-b” does not exist for the whole period" in messages(early)


def test_a_responsibility_of_a_unit_that_ended_is_rejected(offices):
    # Socialcenter København exists only from 1 June 2010.
    late = Responsibility(
        task=Task.objects.get(slug="r-budget"),
        unit=Unit.objects.get(slug="socialcenter-koebenhavn"),
        role="partner",
        valid_from=D1,
    )
    assert "a responsibility lies within its unit's existence" in messages(late)


def test_a_responsibility_of_a_unit_that_ended_after_it_is_rejected():
    # MR Udsatte ended on 1 March 2011.
    lasting = Responsibility(
        task=Task.objects.get(slug="budgetansvar-udsatte"),
        unit=Unit.objects.get(slug="mr-udsatte"),
        role="partner",
        valid_from=D2.replace(year=2010),
    )
    assert "“mr-udsatte” does not exist for the whole period" in messages(lasting)


def test_a_post_of_another_unit_is_rejected(offices):
    post = Post.objects.create(
        slug="r-chef-b", unit=Unit.objects.get(slug="r-b"), kind="kontorchef", title="Chef B"
    )
    wrong = Responsibility.objects.get(task__slug="r-budget")
    wrong.post = post
    assert "The post “Chef B” belongs to “r-b”, not to “r-a”." in messages(wrong)


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"certainty": "unknown", "valid_from": D1}, "A date of unknown certainty is left empty."),
        ({"certainty": "exact", "valid_from": None}, "Give the date the responsibility began."),
        ({"certainty": "range", "valid_from": D1}, "A range needs at least one of its bounds."),
        (
            {"certainty": "range", "valid_from": D2, "not_before": D0, "not_after": D1},
            "The date must lie within its range.",
        ),
        (
            {"certainty": "exact", "valid_from": D1, "not_after": D2},
            "Bounds are given only for a date within a range.",
        ),
        ({"valid_from": D2, "valid_to": D1}, "The start date must lie before the end date."),
    ],
    ids=[
        "unknown-with-date",
        "exact-without-date",
        "range-unbounded",
        "outside",
        "bounds",
        "order",
    ],
)
def test_the_start_is_exactly_as_certain_as_it_says(offices, fields, problem):
    responsibility = Responsibility.objects.get(task__slug="r-budget")
    for name, value in fields.items():
        setattr(responsibility, name, value)
    assert problem in messages(responsibility)
