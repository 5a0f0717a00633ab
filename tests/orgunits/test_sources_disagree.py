"""Where the sources disagree, every surface that shows the fact says so, not only the
change's own page (issue 13's audit).

The plan, "Baggrund": "Set i lyset af den seneste turbulens vil den ny organisering af
handicapområdet imidlertid blive fremskyndet, med virkning pr. 1. juni 2008" — a plan. The
archive, "Beskrivelse": "Center for Mål og Rammer (MR) blev oprettet i forbindelse med
nyorganisering af Socialforvaltningens centralforvaltning den 1. september 2008", and it counts
MR Haps among the centre's offices from then on, with no word of 1 June 2008."""

import csv
import io

import pytest
from rdflib import Graph, Literal, URIRef

from history.models import Reorganisation
from tests.streamed import body

from ..eaccpf.conftest import find, findall, record, term
from ..pages.test_unit_pages import section

pytestmark = pytest.mark.django_db

MR_HAPS = "mr-handicap-og-psykiatri"
ARCHIVE = "blev oprettet i forbindelse med nyorganisering"
PLAN = "med virkning pr. 1. juni 2008"
SOF = "http://testserver/vocab#"


def june_2008():
    return Reorganisation.objects.get(key="r2008-06-01")


def box_of(page: str, slug: str) -> str:
    box = page[page.index(f'href="/units/{slug}/') :]
    return box[: box.index("</div>")]


def test_the_mr_haps_page_shows_that_the_sources_disagree_about_its_start(client):
    response = client.get(f"/units/{MR_HAPS}/", {"date": "2008-07-01"})
    page = body(response).decode()
    existed = page[page.index("<dt>Fandtes</dt>") :]
    assert "kilderne er uenige" in existed[: existed.index("</dd>")]
    disagreement = page[page.index('id="sources-disagree"') :]
    disagreement = disagreement[: disagreement.index("</section>")]
    assert "Handicapområdets nye organisering (fremrykket)" in disagreement
    assert ARCHIVE in disagreement
    assert PLAN in disagreement  # the side the registry follows, not only the archive's
    assert f'href="/changes/{june_2008().pk}/"' in disagreement


def test_only_the_placement_resting_on_the_disputed_change_is_marked(client):
    rows = section(client.get(f"/units/{MR_HAPS}/"), "Placering over tid").split("<tr")
    under_direktion = next(r for r in rows if "Direktionen" in r)
    under_the_centre = next(r for r in rows if "Center for Mål og Rammer" in r)
    assert "kilderne er uenige" in under_direktion
    assert "kilderne er uenige" not in under_the_centre


def test_a_unit_nobody_disputes_shows_no_disagreement(client):
    page = client.get("/units/mr-born/", {"date": "2009-01-01"}).content.decode()
    assert "kilderne er uenige" not in page
    assert 'id="sources-disagree"' not in page


def test_the_chart_marks_the_boxes_whose_start_the_sources_disagree_about(client):
    page = client.get("/", {"date": "2008-07-01"}).content.decode()
    box = box_of(page, MR_HAPS)
    assert "kilderne er uenige" in box
    assert f'href="/units/{MR_HAPS}/#sources-disagree"' in box
    # Projektenheden for hjemmeplejen began with the disputed change too (found in the user
    # trial: in 2010 its box said nothing, while its CSV row and unit page did).
    later = client.get("/", {"date": "2010-01-01"}).content.decode()
    assert "kilderne er uenige" in box_of(later, "projektenheden-for-hjemmeplejen")
    assert "kilderne er uenige" not in box_of(later, "mr-born")


def csv_rows(client, date):
    response = client.get("/export/units.csv", {"date": date})
    return {
        row["id"]: row for row in csv.DictReader(io.StringIO(body(response).decode("utf-8-sig")))
    }


def test_the_csv_names_the_date_columns_the_sources_disagree_about(client):
    column = "kilderne er uenige om"
    assert csv_rows(client, "2008-07-01")[MR_HAPS][column] == "eksisterer fra; placeret fra"
    later = csv_rows(client, "2010-01-01")
    assert later[MR_HAPS][column] == "eksisterer fra"
    assert later["mr-born"][column] == ""


def test_the_json_ld_marks_the_disputed_event_and_placement(client):
    response = client.get("/export/org.jsonld", {"date": "2008-07-01"})
    graph = Graph().parse(data=body(response).decode(), format="json-ld")
    event = URIRef(f"http://testserver/changes/{june_2008().pk}/")
    assert (event, URIRef(f"{SOF}sourcesDisagree"), Literal(True)) in graph
    unit = URIRef(f"http://testserver/units/{MR_HAPS}/")
    disputed = set(graph.objects(unit, URIRef(f"{SOF}disputedProperty")))
    assert disputed == {URIRef(f"{SOF}placedFrom")}


@pytest.mark.parametrize("version", ["1", "2"])
def test_the_eac_cpf_record_gives_the_disputing_passages_with_its_exist_dates(client, version):
    root = record(client, MR_HAPS, version)
    paragraphs = findall(root, ".//e:description/e:existDates/e:descriptiveNote/e:p", version)
    said = [
        {term(s.get("localType")): s.text for s in findall(p, "e:span", version)}
        for p in paragraphs
    ]
    assert {s["disputes"] for s in said} == {"start"}
    # Both sides: the plan's passage the registry follows, and the archive's disputing it.
    assert any(PLAN in s["passage"] and s["role"] == "supports" for s in said)
    assert any(ARCHIVE in s["passage"] and s["role"] == "disputes" for s in said)
    # A unit whose start nobody disputes has no such note.
    other = record(client, "mr-born", version)
    assert find(other, ".//e:existDates/e:descriptiveNote", version) is None
