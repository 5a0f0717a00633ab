"""The registry's own error pages, in Danish by default, each saying what to do next; HEAD
answered wherever GET is; and no address turns into a 500."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_address_the_registry_does_not_have_says_so_in_danish(client):
    response = client.get("/ingen-side-her/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Registret har ingen side på denne adresse." in html
    assert "Resolver404" not in html


def test_a_unit_that_does_not_exist_keeps_the_views_own_message(client):
    response = client.get("/units/findes-ikke/")
    assert response.status_code == 404
    assert "findes-ikke" in response.content.decode()


def test_an_expired_form_is_explained_in_danish_not_djangos_english_page():
    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Formularen var udløbet" in html
    assert "CSRF verification failed" not in html and "CSRF-verifikationen" not in html


def test_a_login_locked_after_failed_attempts_answers_429_in_danish(client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "arkivar", "password": "forkert"})
    response = client.post("/admin/login/", {"username": "arkivar", "password": "forkert"})
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    assert "For mange mislykkede logins" in response.content.decode()
    assert "Account locked" not in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/healthz", "/units/?date=2010-01-01&ukendt=1", "/units/mr-born/", "/tasks/"]
)
def test_head_is_answered_wherever_get_is(client, path):
    response = client.head(path)
    assert response.status_code == 200
    assert response.content == b""


def test_a_form_too_large_is_explained_and_says_the_browser_still_holds_it(client, settings):
    """It was an empty 400 page: the archivist lost the form without being told why."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2**20
    response = client.post("/admin/login/", {"username": "x", "password": "y" * 2 * 2**20})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Formularen var større, end registret tager imod (1 MB" in html
    assert "din browser har stadig det, du skrev" in html


def test_a_form_with_too_many_fields_is_explained(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = client.post("/admin/login/", {f"f{n}": "x" for n in range(20)})
    assert response.status_code == 400
    assert "flere felter, end registret tager imod (10)" in response.content.decode()


@pytest.mark.parametrize("path", ["/healthz", "/units/"])
def test_head_sends_no_body_to_the_server_but_the_length_of_the_get(path):
    """gunicorn logged a warning for every HEAD body it had to drop (a load balancer asks
    every few seconds); the test client drops it itself, so ask the WSGI application."""
    import io
    import sys

    from django.core.handlers.wsgi import WSGIHandler

    def call(method):
        headers = {}
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
        }  # fmt: skip
        body = b"".join(WSGIHandler()(environ, lambda s, h, e=None: headers.update(h)))
        return headers, body

    get_headers, get_body = call("GET")
    head_headers, head_body = call("HEAD")
    assert head_body == b""
    if path.startswith("/export/"):  # streamed: its length is known only once written
        assert "Content-Length" not in head_headers and get_body
        assert head_headers["Content-Type"] == get_headers["Content-Type"]
    else:
        assert head_headers["Content-Length"] == str(len(get_body))


def test_a_refused_permission_is_the_registrys_own_page_in_danish(client):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    reader = get_user_model().objects.create_user("laeser", password="x", is_staff=True)
    reader.groups.add(Group.objects.get(name="Læser"))
    client.force_login(reader)
    response = client.get("/admin/orgunits/unit/import-eac-cpf/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Ikke tilladt" in html and "403 Forbidden" not in html


def test_a_json_client_gets_the_error_as_json(client):
    response = client.get("/units/findes-ikke/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_a_malformed_date_shows_the_address_again_with_the_message_beside_the_field(client):
    # Issue 15: a wrong date led to a bare 400 page, and the rest of the address was lost.
    response = client.get("/", {"date": "2008-13-45", "root": "mr-born", "depth": "3"})
    assert response.status_code == 400
    page = response.content.decode()
    form = page[page.index('<form class="toolbar corrected"') : page.index("</form>")]
    field = re.search(r'<input id="field-\d+" name="date" value="2008-13-45"([^>]*)>', form)
    assert field and 'aria-invalid="true"' in field.group(1)
    assert "findes i kalenderen" in form[field.end() : field.end() + 300]
    assert 'name="root" value="mr-born"' in form and 'name="depth" value="3"' in form


def test_a_wrong_request_that_is_no_date_keeps_its_message_above_the_form(client):
    response = client.get("/", {"date": "2009-01-01", "depth": "99"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-invalid="true"' not in page
    assert "Dybden" in page or "dybde" in page.lower()
