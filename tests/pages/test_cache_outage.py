"""A page cache that goes away costs time, not pages: with Redis unreachable every page is
built uncached, the outage is logged once, and /healthz says so while answering 200."""

import logging

import pytest

pytestmark = pytest.mark.django_db

NOBODY_LISTENS = "redis://127.0.0.1:1/0"  # port 1: the connection is refused at once


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "socialforvaltning.cache.ResilientRedisCache",
            "LOCATION": NOBODY_LISTENS,
        }
    }


def test_with_redis_down_pages_are_built_uncached_and_the_outage_logged_once(
    client, redis_down, caplog
):
    from django.core.cache import cache

    cache.RETRY_AFTER_SECONDS = 0  # ask Redis on every request, to see it logged only once
    with caplog.at_level(logging.ERROR, logger="registry.cache"):
        pages = [client.get("/", {"date": f"{year}-01-01"}) for year in (2009, 2010, 2011)]
        pages.append(client.get("/units/", {"date": "2010-01-01"}))
    assert [page.status_code for page in pages] == [200] * 4
    assert "Mål og Rammer" in pages[0].content.decode()
    outages = [r for r in caplog.records if "page cache unavailable" in r.getMessage()]
    assert len(outages) == 1


def test_healthz_reports_the_cache_down_but_the_registry_up(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["cache"] == "unavailable"


def test_healthz_reports_a_redis_cache_that_answers(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "socialforvaltning.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        }
    }
    assert client.get("/healthz").json()["cache"] == "ok"


def test_the_per_process_cache_is_bounded_by_bytes_dropping_the_least_recently_used(settings):
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "socialforvaltning.cache.BoundedLocMemCache",
            "LOCATION": "bounded-test",
            "OPTIONS": {"MAX_BYTES": 100_000},
        }
    }
    cache.clear()
    for n in range(40):
        cache.set(f"page-{n}", b"x" * 10_000)
        cache.get("page-0")  # kept in use: it stays
    assert cache.held_bytes() <= 100_000
    assert cache.get("page-0") is not None
    assert cache.get("page-1") is None
    assert cache.get("page-39") is not None
    cache.set("export", b"x" * 30_000)  # over a quarter of the budget: not kept at all
    assert cache.get("export") is None


def test_an_entry_redis_cannot_unpickle_is_a_miss_and_not_an_outage(client, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "socialforvaltning.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": "test-unpickle",
        }
    }
    import redis

    etag = client.get("/", {"date": "2010-01-01"})["ETag"]
    raw = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    key = f"test-unpickle:1:page:{etag}"
    try:
        for junk in (b"(", b"I12a\n.", b"\x80\x05junk"):
            raw.set(key, junk)
            with caplog.at_level(logging.ERROR, logger="registry.cache"):
                assert client.get("/", {"date": "2010-01-01"}).status_code == 200
            assert not [r for r in caplog.records if "unavailable" in r.getMessage()]
    finally:
        raw.delete(key)
