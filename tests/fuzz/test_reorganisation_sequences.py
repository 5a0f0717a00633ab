"""Arbitrary sequences of reorganisations, valid and invalid, in any date order: each one is
either applied with every invariant of the registry still holding, or refused whole with a
message, leaving the registry exactly as it was."""

import contextlib
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import event, given, note
from hypothesis import strategies as st

from history.changes import Create, Dissolve, Merge, Move, Rename, Split, TransferTasks
from history.models import Change, Reorganisation
from history.services import (
    apply_reorganisation,
    put_in_force,
    redate_reorganisation,
    withdraw_reorganisation,
)
from orgunits.integrity import structure_problems
from orgunits.models import (
    MPTT_FIELDS,
    Citation,
    Unit,
    UnitIdentifier,
    UnitName,
    UnitNode,
)
from responsibilities.lookup import orphaned_on
from responsibilities.models import Post, Responsibility, Task
from socialforvaltning.periods import Certainty

from .conftest import (
    examples,
    replay_differences_beside_the_generated_organisation,
    tree_numbers_problems_beside_the_generated_organisation,
)

pytestmark = pytest.mark.django_db

D0 = datetime.date(2000, 1, 1)
LATER = [
    datetime.date(2000, 6, 1),
    datetime.date(2001, 1, 1),
    datetime.date(2001, 6, 1),
    datetime.date(2002, 1, 1),
]
DATES = [datetime.date(1999, 12, 31), D0, *LATER]  # before the small tree, its first day, later
# Beside the units a step finds alive on its date: units a sequence may create, one that
# never exists, and the seed's top unit (open-ended, in another MPTT tree).
OTHER_UNITS = ["f-new", "f-new2", "f-ghost", "socialforvaltningen"]
TASKS = ["f-budget", "f-tilsyn", "f-ghost-task"]

some_date = st.sampled_from([*LATER, *LATER, *DATES])
# Names as a person types them (control characters cannot come through a form or XML),
# empty, or too long.
names = st.one_of(
    st.sampled_from(["Kontor X", "Enhed Y", "Kontor A"]),
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12),
    st.sampled_from(["", "x" * 301]),
)


@st.composite
def dating(draw) -> dict:
    """When a reorganisation took effect and how certain that is: mostly well formed."""
    date = draw(some_date)
    form = draw(st.sampled_from(["exact"] * 5 + ["approximate", "range", "anything"]))
    if form == "exact":
        return {"date": date}
    if form == "approximate":
        return {"date": date, "certainty": Certainty.APPROXIMATE}
    if form == "range":  # the structure switches on the latest possible date
        return {
            "date": date,
            "certainty": Certainty.RANGE,
            "not_before": draw(
                st.one_of(st.none(), st.sampled_from([d for d in DATES if d <= date]))
            ),
            "not_after": date,
        }
    return {
        "date": draw(st.one_of(st.none(), some_date)),
        "certainty": draw(st.sampled_from(Certainty.values)),
        "not_before": draw(st.one_of(st.none(), some_date)),
        "not_after": draw(st.one_of(st.none(), some_date)),
    }


def changes_on(date: datetime.date | None):
    """Changes to the registry as it stands: mostly of the small tree's units alive on the
    date and of the tasks they hold then, so that sequences get far enough to be
    interesting; otherwise of any unit or task, wrong in the ways an archivist could get it
    wrong. Repeats weight a choice."""
    alive = sorted(
        UnitNode.objects.valid_on(date or D0)
        .filter(unit__slug__startswith="f-")
        .values_list("unit__slug", flat=True)
    )
    unit = st.sampled_from([*alive, *alive, *alive, *OTHER_UNITS])
    held = Responsibility.objects.valid_on(date or D0).filter(task__slug__startswith="f-")
    held = sorted(held.values_list("task__slug", flat=True))
    tasks = st.lists(st.sampled_from([*held, *held, *TASKS]), max_size=2).map(tuple)
    return st.one_of(
        st.builds(
            Create,
            slug=st.sampled_from(["f-new", "f-new", "f-new2", "f-new2", "f-a"]),
            name=names,
            parent=st.one_of(unit, unit, st.none()),
            kind=st.sampled_from(["kontor", "enhed", "forvaltning", "not-a-kind"]),
        ),
        st.builds(Move, unit=unit, to=unit),
        st.builds(Rename, unit=unit, name=names, short_name=st.sampled_from(["", "FA"])),
        st.builds(
            Merge,
            units=st.lists(unit, min_size=1, max_size=2).map(tuple),
            into=unit,
            hands_on_tasks=st.booleans(),
        ),
        st.builds(
            Split,
            unit=unit,
            into=st.lists(unit, min_size=1, max_size=2).map(tuple),
            ends=st.booleans(),
        ),
        st.builds(Dissolve, unit=unit),
        st.builds(
            TransferTasks,
            from_unit=unit,
            to_unit=st.one_of(unit, unit, st.none()),
            tasks=tasks,
            role=st.sampled_from([None, None, "owner", "partner", "boss"]),
            post=st.sampled_from([..., ..., None, "f-b-chef", "f-ghost-post"]),
        ),
    )


@pytest.fixture
def small_tree(archivist):
    """A small organisation from 2000, beside the seed and the generated one, whose offices
    hold tasks (one of them shared) and a post:

    f-root ─┬─ f-a ── f-a1
            ├─ f-b
            └─ f-c
    """
    apply_reorganisation(
        title="Lille testorganisation",
        date=D0,
        user=archivist,
        reason="Testopbygning",
        changes=[
            Create(slug="f-root", name="Testforvaltning", parent=None, kind="forvaltning"),
            Create(slug="f-a", name="Kontor A", parent="f-root", kind="kontor"),
            Create(slug="f-a1", name="Enhed A1", parent="f-a", kind="enhed"),
            Create(slug="f-b", name="Kontor B", parent="f-root", kind="kontor"),
            Create(slug="f-c", name="Kontor C", parent="f-root", kind="kontor"),
        ],
    )
    units = {u.slug: u for u in Unit.objects.filter(slug__startswith="f-")}
    Post.objects.create(slug="f-b-chef", unit=units["f-b"], kind="kontorchef", title="Chef B")
    budget = Task.objects.create(slug="f-budget", name="Testbudget", category="oekonomi")
    tilsyn = Task.objects.create(slug="f-tilsyn", name="Testtilsyn", category="tilsyn")
    for task, holder, role in (
        (budget, "f-a", "owner"),
        (tilsyn, "f-b", "owner"),
        (tilsyn, "f-c", "partner"),
    ):
        responsibility = Responsibility(task=task, unit=units[holder], role=role, valid_from=D0)
        responsibility.full_clean()
        responsibility._change_reason = "Testopbygning"
        responsibility.save()


SNAPSHOT_MODELS = (
    Unit,
    UnitNode,
    UnitName,
    UnitIdentifier,
    Reorganisation,
    Change,
    Citation,
    Responsibility,
    Task,
    Post,
)


def snapshot() -> dict:
    """Everything a refused reorganisation could have left behind: the number of rows and of
    history rows of every registry model (every save writes a history row), and every field
    of the rows a reorganisation updates, MPTT numbers included (MPTT renumbers by update,
    without history)."""
    state = {m.__name__: m.objects.count() for m in SNAPSHOT_MODELS}
    state.update({f"history:{m.__name__}": m.history.count() for m in SNAPSHOT_MODELS})
    for model in (UnitNode, UnitName, Responsibility):
        state[f"rows:{model.__name__}"] = list(model.objects.order_by("pk").values_list())
    return state


def validation_problems() -> list[str]:
    """Model validation of every row the sequences can write: periods, one placement and one
    authorised name at a time, a child within its parent, no cycles, a responsibility within
    its unit's existence and one owner at a time."""
    problems = []
    rows = [
        *UnitNode.objects.filter(unit__slug__startswith="f-"),
        *UnitName.objects.filter(unit__slug__startswith="f-"),
        *Responsibility.objects.filter(task__slug__startswith="f-"),
        *Reorganisation.objects.filter(title__startswith="Fuzz "),
    ]
    for row in rows:
        try:
            row.full_clean(exclude=MPTT_FIELDS if isinstance(row, UnitNode) else None)
        except ValidationError as e:
            problems.append(f"{row!r}: {e.messages}")
    return problems


def orphaned_task_problems() -> list[str]:
    return [
        f"{task.slug} has no owner on {date}"
        for date in DATES
        for task in orphaned_on(date)
        if task.slug.startswith("f-")
    ]


def invariant_problems() -> list[str]:
    return (
        tree_numbers_problems_beside_the_generated_organisation()
        + structure_problems()
        + validation_problems()
        + orphaned_task_problems()
    )


@examples(20)
@given(data=st.data())
def test_each_reorganisation_keeps_every_invariant_or_is_refused_whole(small_tree, archivist, data):
    with transaction.atomic():  # a savepoint: each example starts from the small tree
        for step in range(data.draw(st.integers(1, 4), label="steps")):
            when = data.draw(dating(), label=f"dating {step}")
            changes = data.draw(
                st.lists(changes_on(when.get("date")), min_size=1, max_size=3),
                label=f"changes {step}",
            )
            before = snapshot()
            try:
                apply_reorganisation(
                    title=f"Fuzz {step}", changes=changes, reason="Fuzz", user=archivist, **when
                )
            except ValidationError as refusal:
                event("refused")
                note(f"step {step} refused: {refusal.messages}")
                assert refusal.messages and all(str(m).strip() for m in refusal.messages)
                assert snapshot() == before, "a refused reorganisation left something behind"
            else:
                event(f"applied with {len(changes)} changes")
                note(f"step {step} applied")
                assert invariant_problems() == []
                # Entered out of order, it replayed what it could affect; a replay agrees.
                assert replay_differences_beside_the_generated_organisation() == []
        transaction.set_rollback(True)


@examples(12)
@given(data=st.data())
def test_each_correction_leaves_the_structure_its_reorganisations_make_or_is_refused_whole(
    small_tree, archivist, data
):
    """Withdrawals, reinstatements and re-datings of any of the reorganisations, in any
    order: each either leaves every invariant holding and the stored structure equal to a
    fresh replay, or is refused whole with a message."""
    with transaction.atomic():
        for title, date, changes in (  # a history to correct, then some of the fuzzer's own
            ("Fuzz omdøbning", LATER[0], [Rename(unit="f-a", name="Kontor A2")]),
            ("Fuzz flytning", LATER[1], [Move(unit="f-a1", to="f-b")]),
            (
                "Fuzz oprettelse",
                LATER[2],
                [Create(slug="f-d", name="D", parent="f-c", kind="enhed")],
            ),
            ("Fuzz sammenlægning", LATER[3], [Merge(units=["f-d"], into="f-c")]),
        ):
            apply_reorganisation(
                title=title, date=date, changes=changes, reason="Fuzz", user=archivist
            )
        for step in range(data.draw(st.integers(0, 2), label="reorganisations")):
            when = data.draw(dating(), label=f"dating {step}")
            changes = data.draw(
                st.lists(changes_on(when.get("date")), min_size=1, max_size=3),
                label=f"changes {step}",
            )
            with contextlib.suppress(ValidationError):
                apply_reorganisation(
                    title=f"Fuzz {step}", changes=changes, reason="Fuzz", user=archivist, **when
                )
        ours = Reorganisation.objects.filter(title__in=["Lille testorganisation"]) | (
            Reorganisation.objects.filter(title__startswith="Fuzz ")
        )
        for step in range(data.draw(st.integers(1, 4), label="corrections")):
            target = data.draw(st.sampled_from(list(ours.order_by("pk"))), label=f"which {step}")
            action = data.draw(st.sampled_from(["withdraw", "in_force", "redate"]), label="how")
            before = snapshot()
            try:
                if action == "withdraw":
                    withdraw_reorganisation(target, reason="Fuzz", user=archivist)
                elif action == "in_force":
                    put_in_force(target, reason="Fuzz", user=archivist)
                else:
                    when = data.draw(
                        st.one_of(st.fixed_dictionaries({"date": some_date}), dating())
                    )
                    redate_reorganisation(target, reason="Fuzz", user=archivist, **when)
            except ValidationError as refusal:
                event(f"{action} refused")
                note(f"{action} of {target.title} refused: {refusal.messages}")
                assert refusal.messages and all(str(m).strip() for m in refusal.messages)
                assert snapshot() == before, "a refused correction left something behind"
            else:
                event(f"{action} applied")
                note(f"{action} of {target.title} applied")
                assert invariant_problems() == []
                assert replay_differences_beside_the_generated_organisation() == []
        transaction.set_rollback(True)


# Found by fuzzing ----------------------------------------------------------------------------


def test_a_shared_task_never_loses_its_owner_by_a_transfer_to_nobody(small_tree, archivist):
    """f-b owns f-tilsyn and f-c shares it: ending f-b's ownership on purpose must be refused
    (or come with an owner), else the registry's own check finds a task without an owner."""
    with contextlib.suppress(ValidationError):  # a refusal is one right answer
        apply_reorganisation(
            title="Fuzz: tilsynet ophører hos B",
            date=datetime.date(2000, 6, 1),
            changes=[TransferTasks(from_unit="f-b", to_unit=None, tasks=("f-tilsyn",))],
            reason="Fuzz",
            user=archivist,
        )
    assert orphaned_task_problems() == []
