"""/export/units.csv — the structure on a date for the spreadsheet people."""

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def rows(client, date):
    response = client.get("/export/units.csv", {"date": date})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_one_row_per_unit_with_its_path(client):
    table = rows(client, "2011-03-01")
    by_slug = {r["id"]: r for r in table}
    assert "mr-voksne" in by_slug and "mr-udsatte" not in by_slug
    assert by_slug["mr-voksne"]["sti"] == (
        "Socialforvaltningen / Direktionen / Center for Mål og Rammer / "
        "Mål- og Rammekontoret for Voksne"
    )
    assert by_slug["mr-voksne"]["kortnavn"] == "MR Voksne"
    assert by_slug["center-for-maal-og-rammer"]["identifikatorer"] == (
        "ASTA7 ID dc4cd471-edfc-4c6f-bd6b-72e25875e06c; Starbas ID 4942"
    )
    assert by_slug["mr-voksne"]["eksisterer fra"] == "2011-03-01"


def test_the_csv_says_where_a_date_is_uncertain(client):
    by_slug = {r["id"]: r for r in rows(client, "2009-06-01")}
    assert "usikker" in by_slug["tvaergaaende-juridisk-enhed"]["sikkerhed"]
    assert by_slug["mr-born"]["sikkerhed"] == "præcis"


def test_a_bad_date_is_a_400(client):
    assert client.get("/export/units.csv", {"date": "2011-2-1"}).status_code == 400


def test_the_csv_gives_a_units_whole_existence_beside_its_placement_on_the_date(client):
    by_slug = {r["id"]: r for r in rows(client, "2010-06-01")}
    moved = by_slug["mr-handicap-og-psykiatri"]  # under the direktion from 1 June 2008
    assert (moved["eksisterer fra"], moved["eksisterer til"]) == ("2008-06-01", "2011-03-01")
    assert (moved["placeret fra"], moved["placeret til"]) == ("2008-09-01", "2011-03-01")
    assert (moved["type"], moved["målgruppe"]) == ("Kontor", "Psykisk syge og handicappede")
    before_the_sources = by_slug["direktion"]
    assert (before_the_sources["eksisterer fra"], before_the_sources["eksisterer til"]) == ("", "")
    assert before_the_sources["målgruppe"] == ""
