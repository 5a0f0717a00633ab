"""A unit's address answers in the form asked for: its page for a browser, JSON-LD for a
linked-data client; and every page names its machine-readable forms."""

import re

import pytest

from tests.streamed import json_of

pytestmark = pytest.mark.django_db

LD = "application/ld+json"


def test_a_unit_page_asked_for_json_ld_answers_the_unit_as_the_export_has_it(client):
    response = client.get("/units/mr-voksne/", {"date": "2011-03-01"}, HTTP_ACCEPT=LD)
    assert response["Content-Type"].startswith(LD)
    assert "Accept" in response["Vary"]
    unit = json_of(response)
    assert unit["@id"] == "http://testserver/units/mr-voksne/"
    assert unit["skos:prefLabel"]["@value"] == "Mål- og Rammekontoret for Voksne"
    assert unit["org:subOrganizationOf"] == "http://testserver/units/center-for-maal-og-rammer/"
    assert unit["org:unitOf"] == "http://testserver/units/socialforvaltningen/"
    exported = json_of(client.get("/export/org.jsonld", {"date": "2011-03-01"}))["@graph"]
    same = next(i for i in exported if i.get("@id") == unit["@id"])
    assert {k: v for k, v in unit.items() if k not in ("@context", "dct:valid")} == same


def test_the_same_address_still_gives_a_browser_the_page_and_neither_is_served_for_the_other(
    client,
):
    page = client.get("/units/mr-voksne/", {"date": "2011-03-01"}, HTTP_ACCEPT="text/html")
    data = client.get("/units/mr-voksne/", {"date": "2011-03-01"}, HTTP_ACCEPT=LD)
    again = client.get(
        "/units/mr-voksne/", {"date": "2011-03-01"}, HTTP_ACCEPT="text/html,*/*;q=0.8"
    )
    assert page["Content-Type"].startswith("text/html")
    assert data["Content-Type"].startswith(LD)
    assert again["Content-Type"].startswith("text/html")  # not the cached JSON-LD
    assert page["ETag"] != data["ETag"]


def test_a_unit_not_placed_on_the_date_is_named_as_linked_data(client):
    unit = client.get("/units/mr-voksne/", {"date": "2009-01-01"}, HTTP_ACCEPT=LD).json()
    assert unit["@id"].endswith("/units/mr-voksne/")
    assert "org:subOrganizationOf" not in unit


@pytest.mark.parametrize(
    ("path", "types"),
    [
        ("/?date=2011-03-01", {LD, "application/json", "text/csv", "image/svg+xml"}),
        ("/units/mr-voksne/?date=2011-03-01", {LD, "application/json", "application/xml"}),
        ("/units/", {"application/json", "text/csv"}),
        ("/changes/", {"application/json"}),
        ("/tasks/?q=visitation", {"application/json"}),
        ("/tasks/visitation-handicap/", {"application/json"}),
        ("/compare/?from=2010-01-01&to=2011-03-01", {"application/json"}),
    ],
)
def test_every_page_links_its_machine_readable_forms(client, path, types):
    html = client.get(path).content.decode()
    links = re.findall(r'<link rel="alternate" type="([^"]+)"[^>]*href="([^"]+)"', html)
    assert types <= {t for t, _ in links}
    assert 'rel="service-desc"' in html
    for media, href in links:
        answer = client.get(href.replace("&amp;", "&"), HTTP_ACCEPT=media)
        assert answer.status_code == 200, href
        assert answer["Content-Type"].split(";")[0] in (media, "application/json"), href


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        ("application/*", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
        ("text/html, application/ld+json;q=0.1", LD, LD),
    ],
)
def test_a_cached_answer_is_only_given_to_a_client_that_prefers_the_same_form(
    client, first, then, expected
):
    client.get("/units/direktion/", HTTP_ACCEPT=first)
    answer = client.get("/units/direktion/", HTTP_ACCEPT=then)
    assert answer["Content-Type"].startswith(expected)
