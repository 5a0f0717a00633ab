"""A lookup costs the same number of queries whatever the number of tasks and units: the
seed registry (113 tasks) and the synthetic organisation beside it (3,000 tasks, 1,000 units),
and whether a word is found as written or through its stem."""

import datetime

import pytest
from django.urls import reverse

from responsibilities.lookup import orphaned_on, owner_changes
from responsibilities.models import Task
from responsibilities.views import SHOWN
from tests.conftest import LARGE_FROM, LARGE_ON, LARGE_UNITS, TASKS_PER_UNIT

pytestmark = pytest.mark.django_db

SEED_DATE = datetime.date(2010, 6, 1)
# The registry's data version (the page cache's key), a page of tasks (found by words: those
# held on the date, then those not held where fewer than the lookup orders are held, in
# order, then the page's tasks; a category: those held by name, then those not held where
# the page goes on past them, and the count of all),
# their holders, the holders' citations, and the holders' places on the date (their
# placements, these with their ancestors, their names), and how far the record reaches.
LOOKUP_QUERIES = 10

SIZES = [
    ({"q": "tilsyn", "date": SEED_DATE.isoformat()}, 8),
    ({"category": "oekonomi", "date": SEED_DATE.isoformat()}, 25),
    ({"q": "syntetisk", "date": LARGE_ON.isoformat()}, LARGE_UNITS * TASKS_PER_UNIT),
    ({"category": "oekonomi", "date": LARGE_ON.isoformat()}, 300),
    # Found only through the stem ("visitation", "syntetisk").
    ({"q": "visitationen", "date": SEED_DATE.isoformat()}, 2),
    ({"q": "syntetiske", "date": LARGE_ON.isoformat()}, LARGE_UNITS * TASKS_PER_UNIT),
]


def test_the_large_registry_has_at_least_a_thousand_tasks():
    assert Task.objects.filter(slug__startswith="syn-").count() >= 1_000


@pytest.mark.parametrize(
    "params, at_least",
    SIZES,
    ids=["seed", "seed-category", "large", "large-category", "seed-stem", "large-stem"],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["html", "json"])
def test_a_lookup_costs_constant_queries(
    client, django_assert_max_num_queries, params, at_least, as_json
):
    if as_json:
        params = {**params, "format": "json"}
    with django_assert_max_num_queries(LOOKUP_QUERIES):
        response = client.get(reverse("responsibilities:lookup"), params)
    assert response.status_code == 200
    if as_json:
        assert len(response.json()) >= at_least
    else:
        # A page shows the first hundred matches and says how many there are.
        assert response.content.count(b'class="answer"') >= min(at_least, SHOWN)


@pytest.mark.parametrize("date", [SEED_DATE, LARGE_ON], ids=["seed", "large"])
def test_a_lookup_without_a_match_costs_constant_queries(
    client, django_assert_max_num_queries, date
):
    # The data version, the search (the tasks held on the date, then those not), all names
    # and synonyms for the suggestions, and how far the record reaches.
    with django_assert_max_num_queries(5):
        response = client.get(
            reverse("responsibilities:lookup"), {"q": "opholdsteder", "date": date}
        )
    assert b"opholdssteder" in response.content


@pytest.mark.parametrize(
    "first, second, at_least",
    [
        (datetime.date(2011, 2, 28), datetime.date(2011, 3, 1), 17),
        (datetime.date(2099, 12, 31), LARGE_FROM, LARGE_UNITS * TASKS_PER_UNIT),
    ],
    ids=["seed", "large"],
)
def test_owner_changes_cost_constant_queries(
    django_assert_max_num_queries, first, second, at_least
):
    with django_assert_max_num_queries(2):
        changes = owner_changes(first, second)
        names = [
            (c.task.name, c.before and c.before.name_at(first), c.after and c.after.name_at(second))
            for c in changes
        ]
    assert len(names) >= at_least


@pytest.mark.parametrize("date", [SEED_DATE, LARGE_ON], ids=["seed", "large"])
def test_finding_orphaned_tasks_costs_one_query(django_assert_max_num_queries, date):
    with django_assert_max_num_queries(1):
        assert orphaned_on(date) == []
