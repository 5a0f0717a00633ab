"""/export/units.csv — the structure on a date for the spreadsheet people."""

import csv
import datetime
import io

import pytest

from history.changes import Create
from history.services import apply_reorganisation
from tests.streamed import body

pytestmark = pytest.mark.django_db


def rows(client, date):
    response = client.get("/export/units.csv", {"date": date})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = body(response).decode("utf-8-sig")
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
    # Merged away on 1 March 2011 (Stadsarkivet, "Beskrivelse"): 28 February was its last day.
    assert (moved["eksisterer fra"], moved["eksisterer til og med"]) == ("2008-06-01", "2011-02-28")
    assert (moved["placeret fra"], moved["placeret til og med"]) == ("2008-09-01", "2011-02-28")
    assert (moved["type"], moved["målgruppe"]) == ("Kontor", "Psykisk syge og handicappede")
    before_the_sources = by_slug["direktion"]
    assert (before_the_sources["eksisterer fra"], before_the_sources["eksisterer til og med"]) == (
        "",
        "",
    )
    assert before_the_sources["målgruppe"] == ""


# OWASP's characters that make a spreadsheet read a cell as a formula.
FORMULAS = {
    "equals": '=HYPERLINK("https://example.org/?d="&A1,"Klik")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
}


@pytest.fixture
def units_named_like_formulas(archivist):
    apply_reorganisation(
        title="Enheder med formler i navnet",
        date=datetime.date(2012, 1, 1),
        user=archivist,
        reason="Test af CSV",
        changes=[
            Create(
                slug=f"formel-{n}",
                name=formula,
                short_name=formula,
                parent="mr-born",
                kind="enhed",
            )
            for n, formula in enumerate(FORMULAS.values())
        ]
        + [Create(slug="formel-top", name="=1+1", parent=None, kind="forvaltning")],
    )


@pytest.mark.parametrize("n", range(len(FORMULAS)), ids=list(FORMULAS))
def test_a_name_a_spreadsheet_would_run_as_a_formula_is_written_as_text(
    client, units_named_like_formulas, n
):
    formula = list(FORMULAS.values())[n]
    row = {r["id"]: r for r in rows(client, "2012-01-01")}[f"formel-{n}"]
    assert row["navn"] == row["kortnavn"] == "'" + formula
    assert row["sti"].startswith("Socialforvaltningen / ")  # a cell is read from its start
    assert row["sti"].endswith(" / " + formula)
    assert row["eksisterer fra"] == "2012-01-01"  # dates are left as they are


def test_a_path_starting_with_a_formula_is_written_as_text(client, units_named_like_formulas):
    row = {r["id"]: r for r in rows(client, "2012-01-01")}["formel-top"]
    assert row["sti"] == row["navn"] == "'=1+1"


def test_ordinary_names_are_written_as_they_are(client):
    row = {r["id"]: r for r in rows(client, "2011-03-01")}["mr-voksne"]
    assert row["navn"] == "Mål- og Rammekontoret for Voksne"
    assert row["kortnavn"] == "MR Voksne"


def test_the_csv_for_danish_excel_has_the_same_rows_separated_by_semicolons(
    client, units_named_like_formulas
):
    response = client.get("/export/units.csv", {"date": "2012-01-01", "dialect": "excel-da"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf")  # the UTF-8 BOM Excel looks for
    text = content.decode("utf-8-sig")
    assert text.startswith("sti;navn;kortnavn;")
    default = client.get("/export/units.csv", {"date": "2012-01-01"})
    as_excel = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    as_default = list(csv.reader(io.StringIO(body(default).decode("utf-8-sig"), newline="")))
    assert as_excel == as_default
    assert ["'=1+1", "'=1+1", ""] in [row[:3] for row in as_excel]


def test_the_chart_links_to_both_csv_files(client):
    html = client.get("/", {"date": "2011-03-01"}).content.decode()
    assert 'href="/export/units.csv?date=2011-03-01"' in html
    assert 'href="/export/units.csv?date=2011-03-01&amp;dialect=excel-da"' in html


def test_an_unknown_csv_dialect_is_a_400(client):
    response = client.get("/export/units.csv", {"date": "2011-03-01", "dialect": "excel-us"})
    assert response.status_code == 400


def test_a_unit_whose_parent_moved_is_placed_from_its_own_start(client):
    # Only MR Handicap og Psykiatri moved on 1 September 2008; the project unit below it
    # stayed where it had been since 1 June 2008.
    row = {r["id"]: r for r in rows(client, "2010-01-01")}["projektenheden-for-hjemmeplejen"]
    assert row["placeret fra"] == "2008-06-01"
    # Before its parent moved, too, the placement runs on to the merger of 1 March 2011.
    summer = {r["id"]: r for r in rows(client, "2008-07-01")}["projektenheden-for-hjemmeplejen"]
    assert (summer["placeret fra"], summer["placeret til og med"]) == ("2008-06-01", "2011-02-28")


def test_an_uncertain_end_is_said_as_until_beside_a_last_day_column(client):
    # The legal unit left MR Udsatte "på et tidspunkt" (Stadsarkivet): the change's range,
    # read as "until", not as the range of its last day.
    row = {r["id"]: r for r in rows(client, "2010-01-01")}["tvaergaaende-juridisk-enhed"]
    assert (
        "slut: indtil på et tidspunkt mellem 2. september 2008 og 30. november 2010"
        in (row["sikkerhed"])
    )
