"""The archivists' list of units: the structure's tree on a date, indented by level, filtered
and searched, at the same cost in queries whatever the size of the registry."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import LARGE_ON

pytestmark = pytest.mark.django_db

URL = reverse("admin:orgunits_unit_changelist")
ROW = re.compile(r'<span class="tree-(level-\d|unplaced)">([^<]*)</span>')


def rows(response):
    return [(kind, name) for kind, name in ROW.findall(response.content.decode())]


def test_the_units_are_listed_in_tree_order_indented_by_level(client, staff_archivist):
    client.force_login(staff_archivist)
    listed = rows(client.get(URL, {"on": "2011-03-01"}))
    names = [name for _, name in listed]
    assert listed[0] == ("level-0", "Socialforvaltningen")
    centre = names.index("Center for Mål og Rammer")
    assert listed[centre][0] == "level-2"
    # The centre's offices follow it, one level deeper, MR Voksne among them.
    assert listed[centre + 1] == ("level-3", "Mål- og Rammekontoret for Børn og familier")
    assert ("level-3", "Mål- og Rammekontoret for Voksne") in listed[centre + 1 : centre + 6]


def test_the_date_filter_shows_only_units_that_existed_that_day(client, staff_archivist):
    client.force_login(staff_archivist)
    before_merge = [name for _, name in rows(client.get(URL, {"on": "2011-02-28"}))]
    after_merge = [name for _, name in rows(client.get(URL, {"on": "2011-03-01"}))]
    assert "Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig" in before_merge
    assert "Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig" not in after_merge
    assert "Mål- og Rammekontoret for Voksne" in after_merge
    assert "Mål- og Rammekontoret for Voksne" not in before_merge


def test_without_a_date_units_outside_todays_structure_come_last_unindented(
    client, staff_archivist
):
    client.force_login(staff_archivist)
    listed = rows(client.get(URL))
    kinds = [kind for kind, _ in listed]
    first_unplaced = kinds.index("unplaced")
    assert all(kind == "unplaced" for kind in kinds[first_unplaced:])
    assert ("unplaced", "Projektkontoret") in listed  # ended in 2008


def test_the_list_can_be_searched_by_any_name_or_identifier(client, staff_archivist):
    client.force_login(staff_archivist)
    by_identifier = [name for _, name in rows(client.get(URL, {"q": "4942"}))]
    assert by_identifier == ["Center for Mål og Rammer"]
    by_short_name = [name for _, name in rows(client.get(URL, {"q": "MR Voksne"}))]
    assert "Mål- og Rammekontoret for Voksne" in by_short_name


def test_the_list_can_be_filtered_by_kind_and_target_group(client, staff_archivist):
    client.force_login(staff_archivist)
    listed = [
        name
        for _, name in rows(
            client.get(URL, {"on": "2010-01-01", "kind": "kontor", "target_group": "born"})
        )
    ]
    assert listed
    assert all("Børn" in name for name in listed), listed


def test_the_list_can_be_filtered_to_the_units_with_no_target_group(client, staff_archivist):
    client.force_login(staff_archivist)
    listed = [
        name for _, name in rows(client.get(URL, {"on": "2010-01-01", "target_group": "none"}))
    ]
    assert "Socialforvaltningen" in listed
    assert not [name for name in listed if "Børn" in name]


def test_a_malformed_date_is_explained_and_dropped(client, staff_archivist):
    client.force_login(staff_archivist)
    response = client.get(URL, {"on": "2011-02-30", "kind": "kontor"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == f"{URL}?kind=kontor"
    messages = [str(m) for m in response.context["messages"]]
    assert any("2011-02-30" in m for m in messages), messages


def test_the_list_offers_no_drag_and_drop_reordering(client, staff_archivist):
    client.force_login(staff_archivist)
    html = client.get(URL).content.decode()
    assert "draggable" not in html
    assert "mptt" not in html.lower()
    assert "sortable" not in html  # column sorting would break the tree's indentation


def test_the_list_costs_the_same_queries_at_seed_size_and_with_a_thousand_more_units(
    client, staff_archivist
):
    client.force_login(staff_archivist)
    client.get(URL)  # sessions, content types and the like are warm from here on

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, params).status_code == 200
        return len(queries)

    small = count({"on": "2011-03-01"})
    large = count({"on": LARGE_ON.isoformat()})
    assert rows(client.get(URL, {"on": LARGE_ON.isoformat(), "p": 3}))  # it is really there
    assert small == large
    assert large <= 15
