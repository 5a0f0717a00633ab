"""An archivist enters a dated change in the admin: preview first, write on confirmation."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from history.models import Reorganisation
from orgunits.models import Unit

pytestmark = pytest.mark.django_db
URL = "/admin/history/reorganisation/apply/"


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("overarkivar", password="x-test-only-x")


def form(**changes):
    data = {
        "title": "MR Børn omdøbes",
        "date": "2009-01-01",
        "certainty": "exact",
        "not_before": "",
        "not_after": "",
        "description": "",
        "document": "",
        "heading": "",
        "excerpt": "",
        "reason": "Fundet i referat",
        "changes-TOTAL_FORMS": "3",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "50",
    }
    data.update({f"changes-0-{k}": v for k, v in changes.items()})
    return data


RENAME = {"kind": "rename", "unit": "mr-born", "name": "Børnekontoret", "short_name": "BK"}


def test_a_preview_shows_the_change_and_writes_nothing(client, superuser):
    client.force_login(superuser)
    before = Reorganisation.objects.count()
    response = client.post(URL, {**form(**RENAME), "_preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Forhåndsvisning" in html
    assert "Børnekontoret" in html and "Mål- og Rammekontoret for Børn og familier" in html
    assert Reorganisation.objects.count() == before
    assert Unit.objects.get(slug="mr-born").name_on(datetime.date(2010, 1, 1)).name != (
        "Børnekontoret"
    )


def test_confirming_applies_the_change_with_the_archivists_name_and_reason(client, superuser):
    client.force_login(superuser)
    response = client.post(URL, {**form(**RENAME), "_apply": "1"})
    assert response.status_code == 302
    unit = Unit.objects.get(slug="mr-born")
    assert unit.name_on(datetime.date(2008, 12, 31)).name == (
        "Mål- og Rammekontoret for Børn og familier"
    )
    assert unit.name_on(datetime.date(2009, 1, 1)).name == "Børnekontoret"
    record = unit.names.get(name="Børnekontoret").history.get()
    assert record.history_user == superuser
    assert record.history_change_reason == "Fundet i referat"


@pytest.mark.parametrize(
    ("changes", "fields", "message"),
    [
        ({"kind": "move", "unit": "mr-born", "target": "effektstyring"}, {}, "eget undertræ"),
        ({"kind": "dissolve", "unit": "mr-born"}, {}, "underenheder effektstyring stadig findes"),
        (RENAME, {"date": "2009-02-30"}, "findes i kalenderen"),
        (
            RENAME,
            {"certainty": "range", "not_before": "2009-06-01", "not_after": "2009-01-01"},
            "«Ikke før» må ikke ligge efter «ikke efter».",
        ),
        ({"kind": "rename", "unit": "findes-ikke", "name": "X"}, {}, "Ukendt enhed «findes-ikke»."),
        ({"kind": "move", "unit": "mr-born"}, {}, "Skal udfyldes for denne slags ændring."),
        (
            {
                "kind": "create",
                "unit": "ny enhed!",
                "target": "mr-born",
                "name": "Ny enhed",
                "unit_kind": "enhed",
            },
            {},
            "Indtast en gyldig",
        ),
    ],
)
def test_a_bad_change_is_a_form_error_in_danish_and_nothing_is_written(
    client, superuser, changes, fields, message
):
    client.force_login(superuser)
    before = (Reorganisation.objects.count(), Unit.history.count())
    response = client.post(URL, {**form(**changes), **fields, "_apply": "1"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Reorganisation.objects.count(), Unit.history.count()) == before


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
