"""Nobody in who does not belong, and nothing a user types runs in someone's browser."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from history.changes import Create
from history.services import apply_reorganisation

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


@pytest.fixture
def guarded_client(db):
    """A logged-in archivist whose browser does not send Django's CSRF token."""
    from django.test import Client

    user = get_user_model().objects.create_superuser("csrf-offer", password="x-test-only-x")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_every_admin_form_refuses_a_post_without_its_csrf_token(guarded_client):
    from orgunits.models import Unit, UnitIdentifier

    unit = Unit.objects.get(slug="mr-born")
    before = (Unit.history.count(), UnitIdentifier.objects.count())
    posts = {
        f"/admin/orgunits/unit/{unit.pk}/change/": {"description": "x", "change_reason": "x"},
        "/admin/history/reorganisation/apply/": {"title": "x", "_apply": "1"},
        "/admin/orgunits/unit/import-eac-cpf/": {"reason": "x"},
        "/admin/orgunits/unitidentifier/add/": {"unit": unit.pk, "scheme": "asta7"},
        f"/admin/orgunits/unit/{unit.pk}/history/{unit.history.first().history_id}/": {},
        "/admin/logout/": {},
    }
    for url, data in posts.items():
        assert guarded_client.post(url, data).status_code == 403, url
    assert (Unit.history.count(), UnitIdentifier.objects.count()) == before


def test_a_name_from_an_imported_eac_cpf_record_is_escaped(client, archivist):
    from lxml import etree

    from history.loaders.eaccpf.write import import_files
    from orgunits.exports.eaccpf.schemas import NS_2

    evil = '<script>alert("eac")</script>'
    root = etree.fromstring(client.get("/units/trykkeriet/eac-cpf-2.xml").content)
    root.find(f"{{{NS_2}}}control/{{{NS_2}}}recordId").text = "ondsindet-import"
    for part in root.iterfind(f".//{{{NS_2}}}nameEntry/{{{NS_2}}}part"):
        part.text = evil
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    import_files([("ondsindet.xml", content)], user=archivist, reason="Prøveimport")
    for path in ("/units/ondsindet-import/", "/units/?q=script", "/?date=2012-01-01"):
        html = client.get(path).content.decode()
        assert evil not in html, path
        assert "&lt;script&gt;" in html, path


@pytest.mark.slow
def test_production_settings_pass_the_deploy_checks_without_a_warning(tmp_path):
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
