"""What applying each kind of change does to the structure over time."""

import datetime

import pytest

from history.changes import Create, Dissolve, Merge, Move, Rename, Split
from history.models import Change
from history.services import apply_reorganisation
from orgunits.models import Unit, UnitNode

from .conftest import D0, D1, D2

pytestmark = pytest.mark.django_db


def parent_on(slug, date):
    node = Unit.objects.get(slug=slug).node_on(date)
    if node is None:
        return None
    return node.parent.unit.slug if node.parent_id else "(rod)"


def tree_slugs(date):
    return [n.unit.slug for n in UnitNode.objects.tree_on(date) if n.unit.slug.startswith("t-")]


def assert_tree_intact():
    """The stored MPTT numbers equal what a fresh rebuild computes."""
    stored = list(UnitNode.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    UnitNode.objects.rebuild()
    rebuilt = list(UnitNode.objects.order_by("pk").values_list("pk", "lft", "rght", "level"))
    assert stored == rebuilt


def test_a_move_takes_the_subtree_along_from_its_date(tree, archivist):
    apply_reorganisation(
        title="A flytter",
        date=D1,
        user=archivist,
        reason="test",
        changes=[Move(unit="t-a", to="t-b")],
    )
    assert parent_on("t-a", D0) == "t-root"
    assert parent_on("t-a", D1) == "t-b"
    assert parent_on("t-a1", D1) == "t-a"
    assert parent_on("t-a1x", D1) == "t-a1"
    assert tree_slugs(D0) == ["t-root", "t-a", "t-a1", "t-a1x", "t-b"]
    assert tree_slugs(D1) == ["t-root", "t-b", "t-a", "t-a1", "t-a1x"]
    move = Change.objects.get(kind="moved", unit__slug="t-a")
    assert move.previous_parent.slug == "t-root"
    assert move.target.slug == "t-b"
    assert_tree_intact()


def test_a_move_entered_out_of_order_keeps_later_changes(tree, archivist):
    apply_reorganisation(
        title="A1 flytter til B",
        date=D2,
        user=archivist,
        reason="test",
        changes=[Move(unit="t-a1", to="t-b")],
    )
    # Found later: A had moved under B already a year before.
    apply_reorganisation(
        title="A flytter",
        date=D1,
        user=archivist,
        reason="test",
        changes=[Move(unit="t-a", to="t-b")],
    )
    assert parent_on("t-a1", D0) == "t-a"
    assert parent_on("t-a1", D1) == "t-a"
    assert parent_on("t-a", D1) == "t-b"
    assert parent_on("t-a1", D2) == "t-b"
    assert parent_on("t-a1x", D2) == "t-a1"
    assert_tree_intact()


def test_a_rename_changes_the_name_from_its_date_only(tree, archivist):
    apply_reorganisation(
        title="B omdøbes",
        date=D1,
        user=archivist,
        reason="test",
        changes=[Rename(unit="t-b", name="Kontor Beta", short_name="Beta")],
    )
    unit = Unit.objects.get(slug="t-b")
    assert unit.name_on(D0).name == "Kontor B"
    assert unit.name_on(D1).name == "Kontor Beta"
    assert unit.name_on(D1).short_name == "Beta"


def test_a_merge_ends_the_merged_units_and_moves_their_children(tree, archivist):
    apply_reorganisation(
        title="A og B lægges sammen",
        date=D1,
        user=archivist,
        reason="test",
        changes=[
            Create(slug="t-ab", name="Kontor AB", parent="t-root", kind="kontor"),
            Merge(units=["t-a", "t-b"], into="t-ab"),
        ],
    )
    assert parent_on("t-a", D1) is None and parent_on("t-b", D1) is None
    assert parent_on("t-a1", D1) == "t-ab"
    assert tree_slugs(D1) == ["t-root", "t-ab", "t-a1", "t-a1x"]
    assert Unit.objects.get(slug="t-a").name_on(D1) is None
    merged = Change.objects.filter(kind="merged", target__slug="t-ab")
    assert sorted(c.unit.slug for c in merged) == ["t-a", "t-b"]
    assert_tree_intact()


def test_a_split_ends_the_unit_and_records_its_successors(tree, archivist):
    apply_reorganisation(
        title="B deles",
        date=D1,
        user=archivist,
        reason="test",
        changes=[
            Create(slug="t-b1", name="Kontor B1", parent="t-root", kind="kontor"),
            Create(slug="t-b2", name="Kontor B2", parent="t-root", kind="kontor"),
            Split(unit="t-b", into=["t-b1", "t-b2"]),
        ],
    )
    assert parent_on("t-b", D1) is None
    successors = Change.objects.filter(kind="split", unit__slug="t-b")
    assert sorted(c.target.slug for c in successors) == ["t-b1", "t-b2"]


def test_a_dissolved_unit_is_gone_from_its_date_and_there_before(tree, archivist):
    apply_reorganisation(
        title="B nedlægges", date=D1, user=archivist, reason="test", changes=[Dissolve(unit="t-b")]
    )
    assert "t-b" in tree_slugs(D0)
    assert "t-b" not in tree_slugs(D1)
    unit = Unit.objects.get(slug="t-b")
    assert (unit.valid_from, unit.valid_to) == (D0, D1)


def test_a_reorganisation_of_uncertain_date_marks_the_placement_uncertain(tree, archivist):
    apply_reorganisation(
        title="A1 overgår på et tidspunkt til B",
        date=D2,
        certainty="range",
        not_before=D1,
        not_after=D2,
        user=archivist,
        reason="test",
        changes=[Move(unit="t-a1", to="t-b")],
    )
    unit = Unit.objects.get(slug="t-a1")
    in_between = datetime.date(2001, 6, 1)
    assert unit.node_on(in_between).uncertain_on(in_between)
    assert not unit.node_on(D0).uncertain_on(D0)
    # By the range's latest date the move had certainly taken effect.
    assert not unit.node_on(D2).uncertain_on(D2)
    assert unit.node_on(D2).parent.unit.slug == "t-b"


def test_a_unit_cannot_end_before_a_later_recorded_rename_and_the_refusal_names_it(archivist):
    import datetime as dt

    from django.core.exceptions import ValidationError as Refused

    from history.changes import Dissolve, Rename, TransferTasks
    from history.services import apply_reorganisation

    apply_reorganisation(
        title="Trykkeriet omdøbes",
        date=dt.date(2015, 1, 1),
        changes=[Rename(unit="trykkeriet", name="Trykkeriet og kopicentret")],
        reason="test",
        user=archivist,
    )
    with pytest.raises(Refused, match="Trykkeriet omdøbes") as refusal:
        apply_reorganisation(
            title="Trykkeriet nedlægges",
            date=dt.date(2014, 1, 1),
            changes=[
                TransferTasks(from_unit="trykkeriet", to_unit=None, tasks=["trykkeriopgaver"]),
                Dissolve(unit="trykkeriet"),
            ],
            reason="test",
            user=archivist,
        )
    assert "1. januar 2015" in refusal.value.messages[0]
    # Nothing of the refused dissolution is left: the unit still exists, renamed in 2015.
    from orgunits.models import Unit

    unit = Unit.objects.get(slug="trykkeriet")
    assert unit.node_on(dt.date(2014, 6, 1)) is not None
    assert unit.name_on(dt.date(2015, 6, 1)).name == "Trykkeriet og kopicentret"


def test_a_reorganisations_key_spells_the_danish_letters_out_as_the_seed_does(tree, archivist):
    reorganisation = apply_reorganisation(
        title="Kontorer på Østerbro lægges sammen",
        date=D2,
        changes=[Rename(unit="t-b", name="Kontor Ø")],
        reason="test",
        user=archivist,
    )
    assert reorganisation.key == "2002-01-01-kontorer-paa-oesterbro-laegges-sammen"
