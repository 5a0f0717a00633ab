"""Caching that cannot lie: pages carry an ETag from the registry's data version; an unchanged
page answers 304, and any write is visible on the very next request."""

import datetime

import pytest

from history.services import Rename, apply_reorganisation
from history.version import data_version
from orgunits.models import Unit, UnitIdentifier, UnitName

pytestmark = pytest.mark.django_db

PAGE = ("/", {"date": "2010-01-01"})


def get(client, etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(*PAGE, **headers)


def test_an_unchanged_page_answers_304(client):
    first = get(client)
    assert first.status_code == 200
    again = get(client, first["ETag"])
    assert again.status_code == 304
    assert again.content == b""


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
