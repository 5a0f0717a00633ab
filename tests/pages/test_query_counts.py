"""Every page costs a fixed number of SQL queries, whatever the size of the tree: measured
on the seed registry and on the same pages showing ≥ 1,000 generated units."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from history.models import Reorganisation
from tests.streamed import body

pytestmark = pytest.mark.django_db

SEED, LARGE = "2010-06-01", "2100-06-01"


def synthetic_reorganisation_id():
    return Reorganisation.objects.get(key="syntetisk-organisation").pk


def seed_reorganisation_id():
    return Reorganisation.objects.get(key="r2011-03-01").pk


PAGES = {
    "chart": (lambda: ("/", {"date": SEED}), lambda: ("/", {"date": LARGE})),
    "unit page": (
        lambda: ("/units/mr-handicap-og-psykiatri/", {"date": SEED}),
        lambda: ("/units/syn-root/", {"date": LARGE}),
    ),
    "unit list": (
        lambda: ("/units/", {"date": SEED}),
        lambda: ("/units/", {"date": LARGE}),
    ),
    "unit list, a later page": (
        lambda: ("/units/", {"date": SEED, "page": 2}),
        lambda: ("/units/", {"date": LARGE, "page": 5}),
    ),
    "unit list of one kind": (
        lambda: ("/units/", {"date": SEED, "kind": "kontor"}),
        lambda: ("/units/", {"date": LARGE, "kind": "kontor", "page": 2}),
    ),
    "timeline": (lambda: ("/changes/", {}), lambda: ("/changes/", {})),
    "reorganisation": (
        lambda: (f"/changes/{seed_reorganisation_id()}/", {}),
        lambda: (f"/changes/{synthetic_reorganisation_id()}/", {}),
    ),
    "comparison": (
        lambda: ("/compare/", {"from": "2008-08-31", "to": "2011-03-01"}),
        lambda: ("/compare/", {"from": "2011-03-01", "to": LARGE}),
    ),
    "csv": (
        lambda: ("/export/units.csv", {"date": SEED}),
        lambda: ("/export/units.csv", {"date": LARGE}),
    ),
    "csv for Danish Excel": (
        lambda: ("/export/units.csv", {"date": SEED, "dialect": "excel-da"}),
        lambda: ("/export/units.csv", {"date": LARGE, "dialect": "excel-da"}),
    ),
    "json-ld": (
        lambda: ("/export/org.jsonld", {"date": SEED}),
        lambda: ("/export/org.jsonld", {"date": LARGE}),
    ),
}
# No page needs more, at any size. The unit page needs the most: 26 at the seed, one of them
# the recursive query that finds what lies above the unit by its parent links (by the tree's
# numbers, that was a scan over every placement to its left).
BUDGET = 26


def count(client, path, params):
    cache.clear()  # measure the full render, not the cached page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
        content = body(response)  # a streamed export reads the database as it is written
    assert response.status_code == 200, content[:500]
    return len(queries), content


@pytest.mark.parametrize("page", PAGES)
def test_the_page_costs_the_same_queries_at_seed_size_and_at_1000_units(
    client, page, django_assert_max_num_queries
):
    seed, large = PAGES[page]
    seed_queries, _ = count(client, *seed())
    with django_assert_max_num_queries(BUDGET):
        large_queries, content = count(client, *large())
    assert large_queries <= seed_queries <= BUDGET
    if page == "chart":  # folded to at most CHART_BUDGET units, the synthetic tree's top
        assert b"syn-root" in content and b"root=syn-1" in content
    elif page.startswith("unit list"):  # one page of the large tree's units: fifty rows
        assert content.count(b"<tr>") == 1 + 50
    elif page == "reorganisation":  # a page of its 1,000 changes, a hundred at a time
        assert b"Side 1 af 10" in content and content.count(b'href="/units/syn-') >= 100
    elif page != "unit page":  # which shows one unit
        assert len(content) > 50_000  # the large page really shows the large tree
