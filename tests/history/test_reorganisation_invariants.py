"""Each invariant of the time model: a write that breaks it is refused with a clear Danish
message, and nothing of it is left behind."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from history.changes import Create, Dissolve, Merge, Move, Rename
from history.models import Change, Reorganisation
from history.services import apply_reorganisation
from orgunits.models import Unit, UnitIdentifier, UnitName, UnitNode

from .conftest import D1, D2

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything a refused write could have left behind."""
    from orgunits.models import Citation

    models = [Unit, UnitNode, UnitName, UnitIdentifier, Reorganisation, Change, Citation]
    counts = {m.__name__: m.objects.count() for m in models}
    counts.update({f"history:{m.__name__}": m.history.count() for m in models})
    counts["tree"] = list(UnitNode.objects.values_list("pk", "lft", "rght", "valid_to"))
    return counts


def refused(archivist, **kwargs) -> str:
    """Apply a reorganisation that must be refused; return its Danish message."""
    kwargs.setdefault("title", "Afvist ændring")
    kwargs.setdefault("date", D1)
    before = snapshot()
    with translation.override("da"), pytest.raises(ValidationError) as excinfo:
        apply_reorganisation(user=archivist, reason="test", **kwargs)
    assert snapshot() == before, "a refused reorganisation left something behind"
    return " ".join(excinfo.value.messages)


def test_it_rejects_an_inverted_date_range(tree, archivist):
    message = refused(
        archivist,
        certainty="range",
        not_before=D2,
        not_after=D1,
        changes=[Move(unit="t-b", to="t-a")],
    )
    assert "«Ikke før» må ikke ligge efter «ikke efter»." in message


def test_it_rejects_an_inverted_period_on_a_placement(tree):
    node = UnitNode.objects.get(unit__slug="t-b")
    node.valid_from, node.valid_to = D2, D1
    with translation.override("da"), pytest.raises(ValidationError) as excinfo:
        node.full_clean(exclude=["lft", "rght", "tree_id", "level"])
    assert "Startdatoen skal ligge før slutdatoen." in excinfo.value.messages


def test_the_database_rejects_an_inverted_period(tree):
    node = UnitNode.objects.get(unit__slug="t-b")
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitNode.objects.filter(pk=node.pk).update(valid_from=D2, valid_to=D1)


def test_it_rejects_a_unit_placed_inside_its_own_subtree(tree, archivist):
    message = refused(archivist, changes=[Move(unit="t-a", to="t-a1")])
    assert "«t-a» kan ikke placeres under «t-a1», som ligger i dens eget undertræ." in message


def test_it_rejects_a_unit_placed_under_itself(tree, archivist):
    message = refused(archivist, changes=[Move(unit="t-a", to="t-a")])
    assert "eget undertræ" in message


def test_it_rejects_a_child_outliving_its_parent(tree, archivist):
    message = refused(archivist, changes=[Dissolve(unit="t-a")])
    assert "«t-a» kan ikke ophøre" in message
    assert "underenheder t-a1 stadig findes" in message


def test_it_rejects_a_unit_created_under_a_parent_that_has_ended(tree, archivist):
    apply_reorganisation(
        title="B ophører", date=D1, user=archivist, reason="test", changes=[Dissolve(unit="t-b")]
    )
    message = refused(
        archivist,
        date=D2,
        changes=[Create(slug="t-b1", name="Enhed B1", parent="t-b", kind="enhed")],
    )
    assert "«t-b» findes ikke" in message or "ville overleve" in message


def test_it_rejects_a_second_placement_at_the_same_date(tree):
    unit = Unit.objects.get(slug="t-b")
    root = UnitNode.objects.get(unit__slug="t-root")
    with translation.override("da"), pytest.raises(ValidationError) as excinfo:
        UnitNode(unit=unit, parent=root, valid_from=D1).full_clean(
            exclude=["lft", "rght", "tree_id", "level"]
        )
    assert "har allerede en placering i perioden" in " ".join(excinfo.value.messages)


@pytest.mark.postgres
def test_the_database_rejects_overlapping_placements(tree):
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's")
    unit = Unit.objects.get(slug="t-b")
    root = UnitNode.objects.get(unit__slug="t-root")
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitNode.objects.insert_node(
            UnitNode(unit=unit, valid_from=D1), root, "last-child", save=True
        )


def test_it_rejects_overlapping_names(tree):
    unit = Unit.objects.get(slug="t-b")
    with translation.override("da"), pytest.raises(ValidationError) as excinfo:
        UnitName(unit=unit, name="Kontor B2", valid_from=D1).full_clean()
    assert "Enheden har allerede det autoriserede navn «Kontor B»" in " ".join(
        excinfo.value.messages
    )


@pytest.mark.postgres
def test_the_database_rejects_overlapping_names(tree):
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's")
    unit = Unit.objects.get(slug="t-b")
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitName.objects.create(unit=unit, name="Kontor B2", valid_from=D1)


def test_it_rejects_a_duplicate_identifier_in_the_same_scheme(tree):
    a, b = Unit.objects.get(slug="t-a"), Unit.objects.get(slug="t-b")
    UnitIdentifier.objects.create(unit=a, scheme="starbas", value="99999")
    with translation.override("da"), pytest.raises(ValidationError) as excinfo:
        UnitIdentifier(unit=b, scheme="starbas", value="99999").full_clean()
    assert "Starbas ID 99999 identificerer allerede enheden «t-a»." in " ".join(
        excinfo.value.messages
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitIdentifier.objects.create(unit=b, scheme="starbas", value="99999")


def test_the_same_value_is_allowed_in_another_scheme(tree):
    a, b = Unit.objects.get(slug="t-a"), Unit.objects.get(slug="t-b")
    UnitIdentifier.objects.create(unit=a, scheme="starbas", value="123")
    UnitIdentifier(unit=b, scheme="asta7", value="123").full_clean()


def test_a_reorganisation_that_fails_halfway_leaves_nothing(tree, archivist):
    message = refused(
        archivist,
        changes=[
            Create(slug="t-c", name="Kontor C", parent="t-root", kind="kontor"),
            Rename(unit="t-b", name="Kontor B (nyt navn)"),
            Move(unit="t-a", to="t-a1"),
        ],
    )
    assert "eget undertræ" in message
    assert not Unit.objects.filter(slug="t-c").exists()
    assert Unit.objects.get(slug="t-b").name_on(D2).name == "Kontor B"


def test_it_rejects_an_unknown_unit(tree, archivist):
    message = refused(archivist, changes=[Move(unit="findes-ikke", to="t-a")])
    assert "Ukendt enhed «findes-ikke»." in message


def test_it_rejects_a_merge_into_a_unit_inside_the_merged_one(tree, archivist):
    message = refused(archivist, changes=[Merge(units=["t-a"], into="t-a1")])
    assert "«t-a» kan ikke lægges sammen med «t-a1»" in message


def test_it_requires_a_reason(tree, archivist):
    with translation.override("da"), pytest.raises(ValidationError) as excinfo:
        apply_reorganisation(
            title="Uden grund",
            date=D1,
            user=archivist,
            reason=" ",
            changes=[Rename(unit="t-b", name="X")],
        )
    assert "begrundelse" in " ".join(excinfo.value.messages)
