"""`manage.py generate_org`: a synthetic administration written through the reorganisation
function, valid by construction and the same for the same seed. Small sizes keep it quick;
the 10,000-unit run is timed by hand."""

import datetime
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation

from history.changes import Create, Move
from history.loaders.generator import generate_organisation, organisation_digest
from history.models import Change, Reorganisation
from history.numbering import RENUMBER_ONCE_AFTER
from history.services import apply_reorganisation
from orgunits.integrity import registry_problems, tree_numbers_problems
from orgunits.models import Unit, UnitNode
from responsibilities.lookup import orphaned_tasks_problems
from responsibilities.models import Responsibility, Task

pytestmark = pytest.mark.django_db

START = datetime.date(2012, 1, 1)


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_org", stdout=out, **options)
    return out.getvalue()


def digest_of_a_rolled_back_run(**options) -> str:
    with transaction.atomic():
        digest = generate_organisation(**options).digest
        transaction.set_rollback(True)
    return digest


def test_it_generates_n_units_with_every_kind_of_change_and_three_tasks_each():
    out = generate(units=150, years=3, seed=1)

    units = list(Unit.objects.filter(slug__startswith="gen-"))
    assert len(units) == 150
    assert "150" in out
    assert organisation_digest("gen") in out

    kinds = set(
        Change.objects.filter(reorganisation__key__startswith="gen-").values_list("kind", flat=True)
    )
    assert kinds == set(Change.Kind.values)
    dates = sorted(
        Reorganisation.objects.filter(key__startswith="gen-").values_list("date", flat=True)
    )
    assert dates[0] == START and dates[1] > START and dates[-1] < datetime.date(2015, 1, 1)

    tasks_per_unit = Counter(
        slug.rsplit("-opgave-", 1)[0]
        for slug in Task.objects.filter(slug__startswith="gen-").values_list("slug", flat=True)
    )
    assert tasks_per_unit == {unit.slug: 3 for unit in units}

    depth = 1 + max(
        UnitNode.objects.filter(unit__slug__startswith="gen-").values_list("level", flat=True)
    )
    assert 6 <= depth <= 8

    # Units that ended handed their tasks on: each task has one owner that still exists.
    end = datetime.date(2015, 1, 1)
    owners = Responsibility.objects.owners().valid_on(end).filter(task__slug__startswith="gen-")
    assert sorted(owners.values_list("task__slug", flat=True)) == sorted(
        f"{unit}-opgave-{k}" for unit in tasks_per_unit for k in (1, 2, 3)
    )
    existing = set(
        UnitNode.objects.valid_on(end)
        .filter(unit__slug__startswith="gen-")
        .values_list("unit_id", flat=True)
    )
    assert set(owners.values_list("unit_id", flat=True)) <= existing


def test_the_generated_organisation_passes_every_check_of_the_registry():
    generate(units=150, years=3, seed=2)

    assert registry_problems() + orphaned_tasks_problems() == []


def test_the_same_seed_gives_the_same_organisation_and_another_seed_another():
    first = digest_of_a_rolled_back_run(units=40, years=2, seed=7)
    again = digest_of_a_rolled_back_run(units=40, years=2, seed=7)
    other = digest_of_a_rolled_back_run(units=40, years=2, seed=8)

    assert first == again
    assert other != first


def test_the_organisation_lives_beside_the_registry_and_not_in_it():
    before = Unit.objects.count()
    generate(units=40, years=1, seed=3, prefix="alt", start="2030-05-01")

    assert Unit.objects.exclude(slug__startswith="alt-").count() == before
    assert Unit.objects.filter(slug__startswith="alt-").count() == 40
    assert Unit.objects.get(slug="alt-forvaltning").node_on(datetime.date(2030, 5, 1))


@pytest.mark.parametrize(
    "options, message",
    [
        ({"units": 5}, "between 20 and 100000"),
        ({"units": 50, "years": -1}, "between 0 and 50"),
        ({"units": 50, "start": "2012-02-30"}, "2012-02-30 is not a date"),
        ({"units": 50, "start": "2195-01-01"}, "past 2200"),
        ({"units": 50, "prefix": "Gen-x"}, "lower-case letters or digits"),
        ({"units": 50, "prefix": "syn"}, "“syn-”"),  # the tests' synthetic organisation
    ],
)
def test_bad_arguments_are_refused_with_a_message_and_nothing_written(options, message):
    units = Unit.objects.count()

    with translation.override("en"), pytest.raises(CommandError, match=message):
        generate(**options)
    assert Unit.objects.count() == units


def test_a_missing_or_malformed_number_of_units_is_a_command_error():
    with pytest.raises(CommandError):
        call_command("generate_org")
    with pytest.raises(CommandError, match="invalid int"):
        call_command("generate_org", "--units", "many")


def test_a_second_run_with_the_same_prefix_is_refused():
    generate(units=30, years=0, seed=1)

    with translation.override("en"), pytest.raises(CommandError, match="“gen-”"):
        generate(units=30, years=0, seed=1)


def test_a_large_reorganisation_numbers_the_tree_as_a_rebuild_would(archivist):
    """Past RENUMBER_ONCE_AFTER new nodes the tree is numbered once, at the end; before it,
    and in a small reorganisation afterwards, MPTT numbers each insert as it goes."""
    creates = [Create(slug="big-root", name="Stor", parent=None, kind="forvaltning")]
    creates += [
        Create(slug=f"big-{i}", name=f"Enhed {i}", parent="big-root", kind="kontor")
        for i in range(RENUMBER_ONCE_AFTER + 5)
    ]
    creates.append(Create(slug="big-under-seed", name="Under", parent="mr-born", kind="enhed"))
    apply_reorganisation(title="Stor", date=START, changes=creates, user=archivist, reason="Test")
    assert tree_numbers_problems() == []

    apply_reorganisation(
        title="Lille",
        date=datetime.date(2013, 1, 1),
        changes=[Move(unit="big-3", to="big-4")],
        user=archivist,
        reason="Flytning",
    )
    assert tree_numbers_problems() == []

    # Every row written has its history, with who and why, in the order it was written.
    moved = UnitNode.objects.get(unit__slug="big-3", valid_to=datetime.date(2013, 1, 1))
    assert [
        (h.history_type, h.valid_to, h.history_user, h.history_change_reason)
        for h in moved.history.order_by("history_date", "history_id")
    ] == [
        ("+", None, archivist, "Test"),
        ("~", datetime.date(2013, 1, 1), archivist, "Flytning"),
    ]
    assert Unit.history.filter(slug__startswith="big-", history_user=archivist).count() == len(
        creates
    )
