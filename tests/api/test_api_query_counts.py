"""Every API page costs a fixed number of SQL queries, whatever the size of the registry:
pinned at the seed size and on the same operations over ≥ 1,000 generated units."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from history.models import Reorganisation
from socialforvaltning.version import recorded_models

pytestmark = pytest.mark.django_db

SEED, LARGE = "2010-06-01", "2100-06-01"


def now() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M:%S")


OPERATIONS = {
    "structure": (
        lambda: ("structure", {"date": SEED}),
        lambda: ("structure", {"date": LARGE, "page": 3}),
    ),
    "structure as recorded": (
        lambda: ("structure", {"date": SEED, "recorded": now()}),
        lambda: ("structure", {"date": LARGE, "recorded": now(), "page": 3}),
    ),
    "unit": (
        lambda: ("units/mr-handicap-og-psykiatri", {"date": SEED}),
        lambda: ("units/syn-root", {"date": LARGE}),
    ),
    "reorganisations": (
        lambda: ("reorganisations", {"date": SEED}),
        lambda: ("reorganisations", {}),
    ),
    "reorganisation": (
        lambda: (f"reorganisations/{Reorganisation.objects.get(key='r2011-03-01').pk}", {}),
        lambda: (
            f"reorganisations/{Reorganisation.objects.get(key='syntetisk-organisation').pk}",
            {"page": 2},
        ),
    ),
    "tasks": (
        lambda: ("tasks", {"q": "visitation", "date": SEED, "page_size": 1, "page": 2}),
        lambda: ("tasks", {"q": "syntetisk", "date": LARGE, "page": 2}),
    ),
    "every task": (
        lambda: ("tasks", {"date": SEED}),
        lambda: ("tasks", {"date": LARGE, "page": 3}),
    ),
    "task": (
        lambda: ("tasks/visitation-handicap", {"date": SEED}),
        lambda: ("tasks/syn-1-opgave-0", {"date": LARGE}),
    ),
    "change feed": (
        lambda: ("changes", {}),
        lambda: ("changes", {"since": "2000-01-01"}),
    ),
}


def count(client, path, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{path}", params)
    assert response.status_code == 200, response.content[:300]
    return len(queries.captured_queries), response.json()


@pytest.mark.parametrize("name", OPERATIONS)
def test_an_api_page_costs_the_same_queries_at_the_seed_size_and_at_1000_units(client, name):
    seed, large = OPERATIONS[name]
    count(client, *seed())  # the first request reads the content types once
    seed_queries, _ = count(client, *seed())
    large_queries, answer = count(client, *large())
    # A seed unit's predecessors and sources cost their queries; a generated one may have none.
    assert large_queries <= seed_queries, (seed_queries, large_queries)
    # SQLite cannot order and limit a union's parts: the feed reads each record's on its own.
    per_record = name == "change feed" and connection.vendor == "sqlite"
    assert seed_queries <= 16 + (len(recorded_models()) if per_record else 0)
    if "count" in answer and "page" in answer:
        assert answer["count"] >= 1000 or name in ("reorganisations", "tasks")
