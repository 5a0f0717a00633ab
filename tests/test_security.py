"""Nobody in who does not belong, and nothing a user types runs in someone's browser."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from history.services import Create, apply_reorganisation

pytestmark = pytest.mark.django_db


def test_pages_send_the_security_headers(client):
    response = client.get("/", {"date": "2010-01-01"})
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_public_pages_have_no_inline_script(client):
    for path in ("/", "/units/", "/changes/", "/compare/", "/units/mr-born/"):
        html = client.get(path).content.decode()
        assert "<script>" not in html and "onclick=" not in html and "javascript:" not in html


def test_text_a_user_typed_is_escaped_everywhere_it_is_shown(client, archivist):
    evil = '<script>alert("x")</script>'
    apply_reorganisation(
        title=evil,
        date=datetime.date(2009, 3, 1),
        user=archivist,
        reason=evil,
        changes=[
            Create(
                slug="ondsindet",
                name=evil,
                short_name=evil,
                parent="mr-born",
                kind="enhed",
                description=evil,
            )
        ],
    )
    for path in (
        "/?date=2009-03-01",
        "/units/ondsindet/",
        "/changes/",
        "/units/?q=script",
        "/compare/?from=2009-02-28&to=2009-03-01",
    ):
        html = client.get(path).content.decode()
        assert evil not in html, path
        assert "&lt;script&gt;" in html, path


@override_settings(REGISTRY_PUBLIC=False)
def test_with_registry_public_false_every_page_needs_a_login(client, archivist):
    response = client.get("/units/mr-born/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/units/mr-born/")
    assert client.get("/healthz").status_code == 200
    client.force_login(archivist)
    assert client.get("/units/mr-born/").status_code == 200


def test_failed_admin_logins_are_throttled(client):
    get_user_model().objects.create_user("offer", password="rigtig-adgangskode-42")
    for _ in range(5):
        client.post("/admin/login/", {"username": "offer", "password": "forkert"})
    response = client.post(
        "/admin/login/", {"username": "offer", "password": "rigtig-adgangskode-42"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_needs_a_login(client):
    response = client.get("/admin/orgunits/unit/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_language_switch_only_returns_to_this_site(client):
    response = client.get("/language/en/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert client.get("/language/xx/").status_code == 404
