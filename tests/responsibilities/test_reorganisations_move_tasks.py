"""A reorganisation that ends a unit must hand on or end each task the unit holds; the
`TransferTasks` change does so, and a reorganisation that would orphan a task is refused
with nothing written."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from history.changes import Cite, Create, Dissolve, Merge, TransferTasks
from history.models import Change, Reorganisation
from history.services import apply_reorganisation
from orgunits.models import Citation, Unit, UnitName, UnitNode
from responsibilities.lookup import orphaned_on
from responsibilities.models import Post, Responsibility, Task

from .conftest import D0, D1, owner_on

pytestmark = pytest.mark.django_db

MODELS = [Unit, UnitNode, UnitName, Reorganisation, Change, Citation, Task, Post, Responsibility]


def snapshot():
    """Everything a refused reorganisation could have left behind."""
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts.update({f"history:{m.__name__}": m.history.count() for m in MODELS})
    counts["periods"] = list(
        Responsibility.objects.order_by("pk").values_list("pk", "valid_from", "valid_to")
    )
    counts["tree"] = list(UnitNode.objects.values_list("pk", "lft", "rght", "valid_to"))
    return counts


def refused(user, changes, date=D1) -> str:
    """Apply a reorganisation that must be refused; return its message."""
    before = snapshot()
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        apply_reorganisation(title="Afvist", date=date, user=user, reason="test", changes=changes)
    assert snapshot() == before, "a refused reorganisation left something behind"
    return " ".join(excinfo.value.messages)


def test_dissolving_a_unit_that_still_holds_tasks_is_refused_and_nothing_is_written(offices):
    message = refused(offices, [Dissolve(unit="r-a")])
    assert "“r-a” cannot end on" in message
    assert "“Testbudget” (r-budget)" in message
    assert "“Testtilsyn” (r-tilsyn)" in message
    assert owner_on("r-budget", D1) == "r-a"


def test_a_merge_told_not_to_hand_on_tasks_that_leaves_one_behind_is_refused(offices):
    message = refused(
        offices,
        [
            Merge(units=["r-a"], into="r-b", hands_on_tasks=False),
            TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["r-budget"]),
        ],
    )
    assert "“r-a” cannot end" in message
    assert "r-tilsyn" in message and "r-budget" not in message


def test_a_partner_is_orphaned_too_when_its_unit_ends(offices):
    message = refused(
        offices,
        [
            Dissolve(unit="r-b"),
        ],
    )
    assert "“r-b” cannot end" in message and "r-tilsyn" in message


def test_a_dissolution_that_transfers_its_tasks_moves_the_owner_on_its_date(offices):
    apply_reorganisation(
        title="A nedlægges, B overtager",
        date=D1,
        user=offices,
        reason="Ny beslutning fundet",
        changes=[
            Dissolve(unit="r-a"),
            TransferTasks(
                from_unit="r-a",
                to_unit="r-b",
                tasks=["r-budget", "r-tilsyn"],
                note="B overtager",
                cite=[
                    Cite(
                        "plan",
                        "Baggrund",
                        "Omorganiseringen forventes gennemført 1. september 2008.",
                    )
                ],
            ),
        ],
    )
    assert (owner_on("r-budget", D0), owner_on("r-budget", D1)) == ("r-a", "r-b")
    change = Change.objects.get(kind=Change.Kind.TASKS_TRANSFERRED, unit__slug="r-a")
    assert change.target.slug == "r-b"
    assert change.citations.count() == 1
    new = Responsibility.objects.get(task__slug="r-budget", unit__slug="r-b")
    assert (new.valid_from, new.valid_to, new.opened_by) == (D1, None, change)
    assert (new.note, new.certainty) == ("B overtager", "exact")
    assert new.citations.get().excerpt.startswith("Omorganiseringen")
    old = Responsibility.objects.get(task__slug="r-budget", unit__slug="r-a")
    assert (old.valid_to, old.closed_by) == (D1, change)
    for record in (new.history.first(), old.history.first(), change.history.first()):
        assert record.history_user == offices
        assert record.history_change_reason == "Ny beslutning fundet"
    # B was already a partner in the supervision and now also owns it.
    assert set(
        Responsibility.objects.valid_on(D1)
        .filter(task__slug="r-tilsyn")
        .values_list("unit__slug", "role")
    ) == {("r-b", "owner"), ("r-b", "partner")}


def test_a_merge_can_hand_the_tasks_to_the_unit_it_creates(offices):
    apply_reorganisation(
        title="A og B lægges sammen til AB",
        date=D1,
        user=offices,
        reason="test",
        changes=[
            Merge(units=["r-a", "r-b"], into="r-ab"),
            TransferTasks(from_unit="r-b", to_unit="r-ab", tasks=["r-tilsyn"]),
            TransferTasks(from_unit="r-a", to_unit="r-ab", tasks=["r-budget", "r-tilsyn"]),
            Create(slug="r-ab", name="Kontor AB", parent="r-root", kind="kontor"),
        ],
    )
    assert owner_on("r-tilsyn", D1) == owner_on("r-budget", D1) == "r-ab"
    assert orphaned_on(D1) == []


def test_ending_a_task_explicitly_lets_its_unit_end_without_an_orphan(offices):
    apply_reorganisation(
        title="A nedlægges, budgettet bortfalder",
        date=D1,
        user=offices,
        reason="test",
        changes=[
            Dissolve(unit="r-a"),
            TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["r-tilsyn"]),
            TransferTasks(from_unit="r-a", to_unit=None, tasks=["r-budget"]),
        ],
    )
    assert owner_on("r-budget", D1) is None
    assert orphaned_on(D1) == []
    ended = Change.objects.get(kind=Change.Kind.TASKS_TRANSFERRED, unit__slug="r-a", target=None)
    assert ended.closed_responsibility_set.get().task.slug == "r-budget"


def test_handing_on_ownership_as_a_mere_partnership_is_refused(offices):
    message = refused(
        offices,
        [TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["r-budget"], role="partner")],
    )
    assert "no unit would own “Testbudget” (r-budget)" in message


def test_tasks_cannot_go_to_a_unit_that_ends_the_same_day(offices):
    message = refused(
        offices,
        [
            Dissolve(unit="r-a"),
            Dissolve(unit="r-b"),
            TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["r-budget", "r-tilsyn"]),
        ],
    )
    assert "“r-b” cannot end" in message


def test_a_transfer_of_a_task_the_unit_does_not_hold_is_refused(offices):
    message = refused(offices, [TransferTasks(from_unit="r-b", to_unit="r-a", tasks=["r-budget"])])
    assert "“r-b” holds no responsibility for r-budget" in message


def test_a_transfer_of_an_unknown_task_is_refused(offices):
    message = refused(offices, [TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["nej"])])
    assert "Unknown tasks: nej." in message


def test_the_post_goes_along_unless_the_transfer_clears_or_replaces_it(offices):
    chief_a = Post.objects.create(
        slug="r-chef-a", unit=Unit.objects.get(slug="r-a"), kind="kontorchef", title="Chef A"
    )
    chief_b = Post.objects.create(
        slug="r-chef-b", unit=Unit.objects.get(slug="r-b"), kind="kontorchef", title="Chef B"
    )
    Responsibility.objects.filter(task__slug="r-budget").update(post=chief_a)
    # Kept, the post of A would hold a task of B: refused.
    message = refused(offices, [TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["r-budget"])])
    assert "The post “Chef A” belongs to “r-a”, not to “r-b”." in message
    apply_reorganisation(
        title="B overtager budgettet",
        date=D1,
        user=offices,
        reason="test",
        changes=[
            TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["r-budget"], post="r-chef-b")
        ],
    )
    assert Responsibility.objects.get(task__slug="r-budget", unit__slug="r-b").post == chief_b


def test_a_transfer_on_an_uncertain_date_makes_the_new_start_uncertain(offices):
    apply_reorganisation(
        title="B overtager på et tidspunkt budgettet",
        date=D1,
        certainty="range",
        not_before=D0.replace(month=6),
        not_after=D1,
        user=offices,
        reason="test",
        changes=[TransferTasks(from_unit="r-a", to_unit="r-b", tasks=["r-budget"])],
    )
    new = Responsibility.objects.get(task__slug="r-budget", unit__slug="r-b")
    assert (new.certainty, new.not_before, new.not_after) == ("range", D0.replace(month=6), D1)
    with translation.override("en"):
        assert new.since_display == "some time between June 1, 2000 and Jan. 1, 2001"
