"""Caching that cannot lie: pages carry an ETag from the registry's data version; an unchanged
page answers 304, and any write is visible on the very next request."""

import datetime
import uuid

import pytest
import redis

from history.changes import Rename
from history.services import apply_reorganisation
from orgunits.models import Unit, UnitIdentifier, UnitName
from socialforvaltning.middleware import ConditionalGetMiddleware
from socialforvaltning.version import data_version
from tests.streamed import body

pytestmark = pytest.mark.django_db

PAGE = ("/", {"date": "2010-01-01"})
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(autouse=True, params=["per-process", "redis"])
def page_cache(request, settings):
    """Every test here runs with the per-process cache and with the real Redis (under a key
    prefix of its own, so that suites running side by side never meet)."""
    if request.param == "per-process":
        yield
        return
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "socialforvaltning.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    from django.core.cache import cache

    assert cache.health() == "ok", "Redis must run on 127.0.0.1:6379"
    yield
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def get(client, etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(*PAGE, **headers)


def test_an_unchanged_page_answers_304(client):
    first = get(client)
    assert first.status_code == 200
    again = get(client, first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_a_cached_page_costs_one_query_and_keeps_its_security_headers(
    client, django_assert_num_queries
):
    first = get(client)
    with django_assert_num_queries(1):  # the data version
        again = get(client)
    assert again.content == first.content
    for header in ("X-Frame-Options", "Content-Security-Policy", "Content-Language", "ETag"):
        assert again[header] == first[header]


def test_a_registry_made_private_no_longer_serves_its_cached_pages(client, settings):
    assert get(client).status_code == 200
    settings.REGISTRY_PUBLIC = False
    response = get(client)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_etag_differs_by_address_and_language(client):
    a = client.get("/", {"date": "2010-01-01"})["ETag"]
    b = client.get("/", {"date": "2011-01-01"})["ETag"]
    client.cookies["django_language"] = "en"
    c = client.get("/", {"date": "2010-01-01"})["ETag"]
    assert len({a, b, c}) == 3


def save_with_reason(obj):
    obj._change_reason = "test"
    obj.save()


WRITES = {
    "a reorganisation": lambda user: apply_reorganisation(
        title="MR Børn omdøbes",
        date=datetime.date(2009, 6, 1),
        user=user,
        reason="test",
        changes=[Rename(unit="mr-born", name="Børnekontoret")],
    ),
    "a correction of a name": lambda user: save_with_reason(
        UnitName.objects.get(unit__slug="mr-born", kind="authorised")
    ),
    "a corrected description": lambda user: save_with_reason(Unit.objects.get(slug="mr-born")),
    "a new identifier": lambda user: UnitIdentifier.objects.create(
        unit=Unit.objects.get(slug="mr-born"), scheme="starbas", value="99999"
    ),
}


@pytest.mark.parametrize("write", WRITES)
def test_any_write_changes_the_data_version_and_the_next_request_sees_it(client, archivist, write):
    first = get(client)
    version = data_version()
    WRITES[write](archivist)
    assert data_version() != version
    after = get(client, first["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]


def test_a_rename_is_visible_on_the_very_next_request(client, archivist):
    assert "Børnekontoret" not in get(client).content.decode()
    WRITES["a reorganisation"](archivist)
    assert "Børnekontoret" in get(client).content.decode()


def test_exports_carry_an_etag_too(client):
    response = client.get("/export/org.jsonld", {"date": "2010-01-01"})
    assert (
        client.get(
            "/export/org.jsonld", {"date": "2010-01-01"}, HTTP_IF_NONE_MATCH=response["ETag"]
        ).status_code
        == 304
    )


def test_every_history_table_bumps_the_data_version_through_the_database():
    """A trigger on each history table: no write path, however written, can forget it."""
    from django.db import connection

    from socialforvaltning.version import historical_tables

    for table in historical_tables():
        version = data_version()
        with connection.cursor() as cursor:
            # An insert that fails still fires nothing; so insert a copy of an existing row.
            cursor.execute(f'SELECT MAX(history_id) FROM "{table}"')
            (latest,) = cursor.fetchone()
            if latest is None:
                continue
            columns = [
                c.name
                for c in connection.introspection.get_table_description(cursor, table)
                if c.name != "history_id"
            ]
            names = ", ".join(f'"{c}"' for c in columns)
            cursor.execute(
                f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{table}" '
                "WHERE history_id = %s",
                [latest],
            )
        assert data_version() != version, table


@pytest.mark.postgres
def test_a_write_that_commits_after_a_later_one_still_changes_the_data_version(db):
    """Writer A takes a history id and waits; writer B takes a higher id and tries to commit.
    Had B committed first, the latest ids would not move when A commits, and a page cached in
    between would keep its ETag though A's write is there. The version must move."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("two concurrent writers need PostgreSQL")
    historical = UnitIdentifier.history.model

    def in_own_connection(work):
        def run():
            try:
                work()
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def write(value, wrote=None, wait_for=None):
        with transaction.atomic():
            historical.objects.create(
                id=0,
                unit_id=0,
                scheme="test",
                value=value,
                history_type="+",
                history_date=datetime.datetime.now(datetime.UTC),
                history_change_reason="test",
            )
            if wrote is not None:
                wrote.set()
            if wait_for is not None:
                wait_for.wait(10)

    a_wrote, a_may_commit = threading.Event(), threading.Event()
    a = in_own_connection(lambda: write("race-a", a_wrote, a_may_commit))
    try:
        assert a_wrote.wait(10)
        b = in_own_connection(lambda: write("race-b"))
        b.join(2)  # B queues behind A now; under the old scheme it had committed by here
        between = data_version()
        a_may_commit.set()
        a.join(10)
        b.join(10)
        assert data_version() != between
    finally:
        a_may_commit.set()
        a.join(10)
        in_own_connection(lambda: historical.objects.filter(scheme="test").delete()).join(10)


def test_a_page_cached_for_one_host_and_port_is_not_served_to_another(client):
    forged = client.get("/export/org.jsonld", HTTP_HOST="testserver:6666")
    assert "testserver:6666" in body(forged).decode()
    plain = client.get("/export/org.jsonld")
    assert plain.status_code == 200
    assert "testserver:6666" not in body(plain).decode()
    assert plain["ETag"] != forged["ETag"]


def test_a_host_that_is_not_allowed_is_refused_even_for_a_cached_page(client):
    assert get(client).status_code == 200  # now cached
    response = client.get(*PAGE, HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_a_parameter_no_page_reads_is_answered_but_never_fills_the_cache(client):
    """`?cachebust=N` made a new cache entry per request: memory without end."""
    from django.core.cache import cache

    for n in range(20):
        response = client.get("/", {"date": "2010-01-01", "cachebust": n})
        assert response.status_code == 200
        assert "ETag" not in response
    page = client.get("/", {"date": "2010-01-01"})
    assert cache.get(f"page:{page['ETag']}") is not None  # the page itself is cached
    if hasattr(cache, "held_bytes"):
        assert cache.held_bytes() < 2 * len(page.content) + 10_000  # that one page only


@pytest.mark.parametrize(
    "address",
    ["/export/org.jsonld?date=2013-06-01&dialect=x1", "/?q=bust1", "/changes/?category=x1"],
)
def test_a_parameter_only_another_page_reads_is_not_cached_either(client, address):
    """Found by the attacker: one list of parameters for every page let `?q=` bust the chart."""
    response = client.get(address)
    assert response.status_code == 200
    assert "ETag" not in response


def test_an_entry_that_is_not_a_page_is_a_miss_not_an_error(client):
    """Found by the attacker: junk under a page's key (a shared Redis) gave a 500."""
    from django.core.cache import cache

    etag = client.get(*PAGE)["ETag"]
    for junk in (12345, "a string", {"a": 1}):
        cache.set(f"page:{etag}", junk)
        response = client.get(*PAGE)
        assert response.status_code == 200
        assert "Mål og Rammer" in response.content.decode()


def test_a_page_of_today_is_not_served_from_yesterdays_cache(rf):
    # `/` shows the organisation "today": the day it was cached must not answer the next day.
    request = rf.get("/")
    one_day = ConditionalGetMiddleware.etag("1.1", request, "http://x", datetime.date(2026, 12, 3))
    next_day = ConditionalGetMiddleware.etag("1.1", request, "http://x", datetime.date(2026, 12, 4))
    assert one_day != next_day
