"""Every edit is kept with who made it and why, and the three known traps of
django-simple-history on an MPTT tree are closed."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from history.changes import Move, Rename
from history.models import Change, Reorganisation
from history.services import apply_reorganisation
from orgunits.models import Unit, UnitName, UnitNode
from orgunits.recorded import structure_as_recorded
from tests.conftest import LARGE_ON

from .conftest import D0, D1

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("superarkivar", password="x-test-only-x")


def test_a_reorganisation_leaves_history_rows_with_user_and_reason(tree, archivist):
    apply_reorganisation(
        title="A flytter",
        date=D1,
        user=archivist,
        reason="Ny beslutning fundet",
        changes=[Move(unit="t-a", to="t-b")],
    )
    for model in (Reorganisation, Change, UnitNode):
        row = model.history.order_by("-history_id").first()
        assert row.history_user == archivist
        assert row.history_change_reason == "Ny beslutning fundet"
    closed = UnitNode.objects.get(unit__slug="t-a", valid_to=D1)
    versions = list(closed.history.order_by("history_date"))
    assert [v.valid_to for v in versions] == [None, D1]


def test_every_seed_row_has_a_history_row_with_user_and_reason():
    for model in (Unit, UnitNode, UnitName, Reorganisation, Change):
        rows = model.history.exclude(history_change_reason="Testdata")
        assert rows.exists()
        assert not rows.filter(history_user__isnull=True).exists()
        assert not rows.filter(history_change_reason__isnull=True).exists()


def test_trap_1_mptt_fields_stay_out_of_history_so_the_first_save_works(tree):
    historical_fields = {f.name for f in UnitNode.history.model._meta.fields}
    assert not {"lft", "rght", "tree_id", "level"} & historical_fields
    node = UnitNode.objects.get(unit__slug="t-a")
    assert node.history.count() == 1
    assert node.history.get().history_type == "+"


def test_trap_2_a_revert_in_the_admin_to_another_placement_is_refused(
    tree, archivist, admin_user, client
):
    apply_reorganisation(
        title="A flytter",
        date=D1,
        user=archivist,
        reason="test",
        changes=[Move(unit="t-a", to="t-b")],
    )
    node = UnitNode.objects.get(unit__slug="t-a", valid_to=D1)
    first_version = node.history.order_by("history_date").first()
    tree_before = list(UnitNode.objects.values_list("pk", "parent_id", "lft", "rght", "valid_to"))
    client.force_login(admin_user)
    url = f"/admin/orgunits/unitnode/{node.pk}/history/{first_version.history_id}/"
    response = client.post(url, {"change_reason": "fortryd"}, follow=True)
    assert response.status_code == 200
    message = response.content.decode()
    assert "ville omskrive strukturen uden en dateret beslutning" in message
    # The fields are named as the form names them (found in a user trial: "date", "valid_to").
    refusal = message[message.index("Denne version adskiller sig") :][:300]
    assert "valid_to" not in refusal and "closed_by" not in refusal
    assert (
        list(UnitNode.objects.values_list("pk", "parent_id", "lft", "rght", "valid_to"))
        == tree_before
    )


def test_a_revert_of_a_descriptive_field_is_allowed_and_kept_with_its_reason(
    tree, admin_user, client
):
    unit = Unit.objects.get(slug="t-a")
    first = unit.history.get()
    unit.description = "Forkert beskrivelse"
    unit._change_reason = "test"
    unit.save()
    client.force_login(admin_user)
    url = f"/admin/orgunits/unit/{unit.pk}/history/{first.history_id}/"
    form = {
        "slug": "t-a",
        "kind": "kontor",
        "target_group": "",
        "position": 100,
        "description": "",
        "archival_type": "",
        "functions": "",
        "mandates": "",
        "internal_structure": "",
        "record_status": "draft",
        "detail_level": "partial",
        "maintenance_notes": "",
        "record_language": "dan",
        "change_reason": "Tilbage til det oprindelige",
        "names-TOTAL_FORMS": 0,
        "names-INITIAL_FORMS": 0,
        "identifiers-TOTAL_FORMS": 0,
        "identifiers-INITIAL_FORMS": 0,
        "orgunits-citation-content_type-object_id-TOTAL_FORMS": 0,
        "orgunits-citation-content_type-object_id-INITIAL_FORMS": 0,
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    unit.refresh_from_db()
    assert unit.description == ""
    latest = unit.history.order_by("-history_id").first()
    assert latest.history_user == admin_user
    assert latest.history_change_reason == "Tilbage til det oprindelige"


def test_trap_3_the_structure_as_recorded_costs_the_same_queries_at_any_size(tree, archivist):
    moment = timezone.now()
    apply_reorganisation(
        title="B omdøbes",
        date=D0 + datetime.timedelta(days=10),
        user=archivist,
        reason="test",
        changes=[Rename(unit="t-b", name="Kontor Beta")],
    )
    counts = []
    for date in (D1, LARGE_ON):
        with CaptureQueriesContext(connection) as queries:
            nodes = structure_as_recorded(date, timezone.now())
        counts.append(len(queries))
        assert len(nodes) > (1000 if date == LARGE_ON else 10)
    assert counts[0] == counts[1] <= 6
    # What the registry said before the rename: the old name.
    before = {n.unit.slug: n.unit.name_on(D1).name for n in structure_as_recorded(D1, moment)}
    after = {
        n.unit.slug: n.unit.name_on(D1).name for n in structure_as_recorded(D1, timezone.now())
    }
    assert before["t-b"] == "Kontor B"
    assert after["t-b"] == "Kontor Beta"


def test_trap_3_simple_history_as_of_would_cost_a_query_per_node():
    """Why the registry does not use `history.as_of()` for the tree (see orgunits/recorded.py)."""
    with CaptureQueriesContext(connection) as queries:
        versions = list(UnitNode.history.as_of(timezone.now()))
    assert len(queries) >= len(versions) > 100
