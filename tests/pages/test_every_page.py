"""Guards over every public page: it answers, has one <h1>, labels its form fields, and speaks
Danish by default and English when asked."""

import re

import pytest

from history.models import Reorganisation

pytestmark = pytest.mark.django_db

PAGES = {
    "chart": ("/?date=2011-03-01", "Organisationen den 1. marts 2011", "The organisation on"),
    "unit list": ("/units/", "Enheder", "Units"),
    "unit page": (
        "/units/mr-voksne/?date=2011-03-01",
        "Mål- og Rammekontoret for Voksne",
        "Names over time",
    ),
    "timeline": ("/changes/", "Omorganiseringer", "The units' lifelines"),
    "reorganisation": ("REORG", "MR Handicap og Psykiatri og MR Udsatte", "Before and after"),
    "comparison": (
        "/compare/?from=2011-02-28&to=2011-03-01",
        "Hvad ændrede sig",
        "What changed between two dates",
    ),
    "tasks": ("/tasks/", "Hvem", "Who is responsible"),
    "vocabulary": ("/vocab/", "Registrets begreber", "The registry's terms"),
}


def url(page):
    path = PAGES[page][0]
    if path == "REORG":
        return f"/changes/{Reorganisation.objects.get(key='r2011-03-01').pk}/"
    return path


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_one_heading_and_labelled_fields(client, page):
    response = client.get(url(page))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
        assert f'for="{field_id}"' in html, f"{page}: #{field_id} has no label"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_danish_by_default_and_english_when_asked(client, page):
    danish = client.get(url(page)).content.decode()
    assert '<html lang="da">' in danish
    assert PAGES[page][1] in danish
    client.get("/language/en/?next=/")
    english = client.get(url(page)).content.decode()
    assert '<html lang="en">' in english
    assert PAGES[page][2] in english
