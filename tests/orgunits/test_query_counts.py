"""The structure on a date costs the same number of SQL queries at any size of tree."""

import datetime

import pytest

from orgunits.models import UnitNode
from tests.conftest import LARGE_ON, LARGE_UNITS
from tests.streamed import body

SEED_DATE = datetime.date(2010, 6, 1)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("date", [SEED_DATE, LARGE_ON], ids=["seed", "large"])
def test_the_tree_on_a_date_is_read_in_constant_queries(date, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        nodes = list(UnitNode.objects.tree_on(date))
        rows = [
            (n.level, n.unit.slug, n.unit.name_on(date).name, n.uncertain_on(date)) for n in nodes
        ]
    assert len(rows) >= (LARGE_UNITS if date == LARGE_ON else 25)


@pytest.mark.parametrize("date", [SEED_DATE, LARGE_ON], ids=["seed", "large"])
def test_the_jsonld_export_costs_constant_queries(client, date, django_assert_max_num_queries):
    # The data version, the tree, its names and identifiers, the placements' first nodes, the
    # reorganisations, their changes, the involved units' periods, and the changes the
    # sources disagree about.
    with django_assert_max_num_queries(11):
        response = client.get("/export/org.jsonld", {"date": date.isoformat()})
        content = body(response)  # streamed: it reads the database as it is written
    assert response.status_code == 200
    assert content.count(b"org:OrganizationalUnit") >= (LARGE_UNITS if date == LARGE_ON else 25)
