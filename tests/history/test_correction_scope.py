"""A correction replays what it can affect, not the whole registry: the reorganisations from
its date on that name a unit it touches, or move a unit with such a unit below it. What it
leaves alone is exactly what a replay of everything would write again."""

import datetime

import pytest

from history.changes import Create, Move, Recreate, Rename
from history.preview import preview_correction
from history.projection import replay_differences
from history.services import apply_reorganisation, revise_reorganisation, withdraw_reorganisation
from orgunits.models import UnitName, UnitNode

from .conftest import D1, D2, D3

pytestmark = pytest.mark.django_db

D4 = datetime.date(2004, 1, 1)


def apply(archivist, date, *changes):
    return apply_reorganisation(
        title=f"Test {date}", date=date, changes=list(changes), reason="Test", user=archivist
    )


def parent_on(slug, date) -> str | None:
    node = UnitNode.objects.valid_on(date).select_related("parent__unit").get(unit__slug=slug)
    return node.parent.unit.slug if node.parent else None


def lineage_on(slug, date) -> list[str]:
    chain = []
    while slug is not None:
        chain.append(slug)
        slug = parent_on(slug, date)
    return chain


def test_a_correction_leaves_a_later_change_of_an_unrelated_unit_alone(tree, archivist):
    renamed_x = apply(archivist, D1, Rename(unit="t-a1x", name="Gruppe X"))
    apply(archivist, D2, Rename(unit="t-b", name="Kontor B2"))
    b_names = UnitName.history.filter(unit__slug="t-b").count()

    preview = preview_correction(withdraw_reorganisation, renamed_x, reason="Fejl")
    withdraw_reorganisation(renamed_x, reason="Fejl", user=archivist)

    assert preview.replayed == []  # nothing later names t-a1x or moves what lies above it
    assert UnitName.history.filter(unit__slug="t-b").count() == b_names
    assert replay_differences() == []


def test_withdrawing_a_move_keeps_the_subtree_out_of_its_old_destinations_later_move(
    tree, archivist
):
    moved = apply(archivist, D1, Move(unit="t-a1", to="t-b"))
    apply(archivist, D2, Create(slug="t-c", name="Kontor C", parent="t-root", kind="kontor"))
    apply(archivist, D3, Move(unit="t-b", to="t-c"))
    assert lineage_on("t-a1x", D3) == ["t-a1x", "t-a1", "t-b", "t-c", "t-root"]

    withdraw_reorganisation(moved, reason="Flytningen er tastet fejlagtigt", user=archivist)

    assert lineage_on("t-a1x", D3) == ["t-a1x", "t-a1", "t-a", "t-root"]
    assert parent_on("t-b", D3) == "t-c"
    assert replay_differences() == []


def test_a_revised_parent_is_carried_by_its_new_ancestors_later_move(tree, archivist):
    apply(archivist, D1, Create(slug="t-b1", name="Enhed B1", parent="t-b", kind="enhed"))
    created = apply(archivist, D2, Create(slug="t-n", name="Ny", parent="t-a1", kind="enhed"))
    apply(archivist, D3, Move(unit="t-b", to="t-a"))

    revise_reorganisation(
        created,
        changes=[Recreate(unit="t-n", parent="t-b1", name="Ny")],
        reason="Den ny enhed hørte under B1",
        user=archivist,
    )

    assert lineage_on("t-n", D2) == ["t-n", "t-b1", "t-b", "t-root"]
    assert lineage_on("t-n", D4) == ["t-n", "t-b1", "t-b", "t-a", "t-root"]
    assert replay_differences() == []


def test_a_move_entered_before_a_later_move_of_what_lay_above_it_is_replayed_after_it(
    tree, archivist
):
    apply(archivist, D1, Create(slug="t-c", name="Kontor C", parent="t-root", kind="kontor"))
    apply(archivist, D3, Move(unit="t-a", to="t-c"))  # names nothing the next one names

    apply(archivist, D2, Move(unit="t-a1x", to="t-b"))  # found later, entered out of order

    assert lineage_on("t-a1x", D4) == ["t-a1x", "t-b", "t-root"]
    assert lineage_on("t-a1", D4) == ["t-a1", "t-a", "t-c", "t-root"]
    assert replay_differences() == []
