"""Two servers share one Redis page cache: a page built by one is served by the other, and an
archivist's edit through one is on the other's very next answer. The servers are real
(`manage.py runserver` on one SQLite file), and so is Redis (127.0.0.1:6379)."""

import re
import urllib.request

import pytest
import redis

from tests.http_browser import Browser
from tests.served import served_registry

pytestmark = pytest.mark.slow

REDIS_URL = "redis://127.0.0.1:6379/0"


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.headers["ETag"], response.read().decode()


@pytest.fixture
def two_servers(tmp_path):
    # Behind a load balancer every server has the same public address.
    with served_registry(
        tmp_path, REGISTRY_CACHE_URL=REDIS_URL, REGISTRY_BASE_URL="https://registry.example"
    ) as registry:
        yield [registry.web_server(), registry.web_server()], registry.password


def test_an_edit_through_one_server_is_served_by_the_other_on_the_next_request(two_servers):
    (a, b), password = two_servers
    client = redis.Redis.from_url(REDIS_URL)
    page = "/units/center-for-maal-og-rammer/"

    etag_a, body_a = fetch(a + page)
    key = f":1:page:{etag_a}"
    assert client.ttl(key) > 3000, "the first server stores the page in Redis"
    client.expire(key, 1000)  # had the second server built the page, it would set it anew
    etag_b, body_b = fetch(b + page)
    assert (etag_b, body_b) == (etag_a, body_a)
    assert client.ttl(key) <= 1000, "the second server served the first one's page"
    assert "4942" in body_b  # the unit's Starbas ID, before the edit

    archivist = Browser()
    archivist.submit(f"{a}/admin/login/", "login-form", username="arkivar", password=password)
    listing = archivist.get(f"{a}/admin/orgunits/unitidentifier/?q=4942")
    pk = re.search(r"/admin/orgunits/unitidentifier/(\d+)/change/", listing)[1]
    change = f"/admin/orgunits/unitidentifier/{pk}/change/"
    landed, _ = archivist.submit(
        a + change, "unitidentifier_form", value="4942-rettet", change_reason="Rettet ID"
    )
    assert "/change/" not in landed, "the edit was saved"

    etag_after, body_after = fetch(b + page)
    assert etag_after != etag_b
    assert "4942-rettet" in body_after
    client.delete(key, f":1:page:{etag_after}")
