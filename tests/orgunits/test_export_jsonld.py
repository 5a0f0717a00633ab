"""GET /export/org.jsonld: the structure on a date in the W3C Organization Ontology,
read back with a standard JSON-LD processor (rdflib)."""

import csv
import datetime
import io
import json

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from tests.streamed import body

ORG = Namespace("http://www.w3.org/ns/org#")
DCT = Namespace("http://purl.org/dc/terms/")
BASE = "http://testserver"

pytestmark = pytest.mark.django_db


def unit(slug):
    return URIRef(f"{BASE}/units/{slug}/")


def graph_on(client, date):
    response = client.get("/export/org.jsonld", {"date": date})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    graph = Graph()
    graph.parse(data=body(response).decode(), format="json-ld")
    return graph


def parent_of(graph, slug):
    parents = list(graph.objects(unit(slug), ORG.subOrganizationOf))
    assert len(parents) <= 1
    return str(parents[0]).removeprefix(f"{BASE}/units/").rstrip("/") if parents else None


def test_the_context_is_inline_so_offline_readers_can_expand_it(client):
    document = json.loads(body(client.get("/export/org.jsonld", {"date": "2009-01-01"})))
    assert isinstance(document["@context"], dict)
    assert document["@context"]["org"] == "http://www.w3.org/ns/org#"


def test_the_administration_is_a_formal_organisation_and_units_are_units(client):
    graph = graph_on(client, "2009-01-01")
    assert (unit("socialforvaltningen"), RDF.type, ORG.FormalOrganization) in graph
    assert (unit("mr-born"), RDF.type, ORG.OrganizationalUnit) in graph
    assert (unit("mr-born"), ORG.unitOf, unit("socialforvaltningen")) in graph
    assert (
        unit("mr-born"),
        SKOS.prefLabel,
        Literal("Mål- og Rammekontoret for Børn og familier", lang="da"),
    ) in graph
    assert (unit("mr-born"), SKOS.altLabel, Literal("MR Børn", lang="da")) in graph


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (
            "2008-08-31",
            {
                "mr-handicap-og-psykiatri": "direktion",
                "mr-kontorerne-foer-2008": "direktion",
                "mr-born": None,
            },
        ),
        (
            "2008-09-01",
            {
                "mr-handicap-og-psykiatri": "center-for-maal-og-rammer",
                "tvaergaaende-juridisk-enhed": "mr-udsatte",
                "effektstyring": "mr-born",
                "kvalitetsmodeller": "mr-handicap-og-psykiatri",
                "mr-kontorerne-foer-2008": None,
            },
        ),
        ("2010-11-30", {"tvaergaaende-juridisk-enhed": "mr-handicap-og-psykiatri"}),
        (
            "2010-12-01",
            {"tvaergaaende-juridisk-enhed": None, "mr-udsatte": "center-for-maal-og-rammer"},
        ),
        (
            "2011-02-28",
            {"mr-handicap-og-psykiatri": "center-for-maal-og-rammer", "mr-voksne": None},
        ),
        (
            "2011-03-01",
            {
                "mr-voksne": "center-for-maal-og-rammer",
                "mr-udsatte": None,
                "mr-handicap-og-psykiatri": None,
                "kvalitetsmodeller": "mr-voksne",
            },
        ),
    ],
)
def test_the_export_places_each_unit_as_the_sources_say(client, date, expected):
    graph = graph_on(client, date)
    for slug, parent in expected.items():
        assert parent_of(graph, slug) == parent, slug


def test_identifiers_are_exported_with_their_scheme(client):
    graph = graph_on(client, "2009-01-01")
    values = {
        (str(o), str(o.datatype))
        for o in graph.objects(unit("center-for-maal-og-rammer"), ORG.identifier)
    }
    assert ("4942", f"{BASE}/vocab#starbas") in values
    assert ("dc4cd471-edfc-4c6f-bd6b-72e25875e06c", f"{BASE}/vocab#asta7") in values


def test_the_merger_is_a_change_event_from_the_two_offices_to_mr_voksne(client):
    graph = graph_on(client, "2011-03-01")
    query = """
        SELECT ?event ?date WHERE {
            ?event a org:ChangeEvent ;
                   org:originalOrganization ?haps, ?udsatte ;
                   org:resultingOrganization ?voksne ;
                   dct:date ?date .
        }"""
    rows = list(
        graph.query(
            query,
            initNs={"org": ORG, "dct": DCT},
            initBindings={
                "haps": unit("mr-handicap-og-psykiatri"),
                "udsatte": unit("mr-udsatte"),
                "voksne": unit("mr-voksne"),
            },
        )
    )
    assert len(rows) == 1
    assert str(rows[0].date) == "2011-03-01"


def event_units(graph, title_start):
    """The slugs of the originals and the results of the change event with that title."""
    (event,) = [
        e
        for e in graph.subjects(RDF.type, ORG.ChangeEvent)
        if str(graph.value(e, DCT.title)).startswith(title_start)
    ]

    def slugs(prop):
        return {
            str(u).removeprefix(f"{BASE}/units/").rstrip("/") for u in graph.objects(event, prop)
        }

    return slugs(ORG.originalOrganization), slugs(ORG.resultingOrganization)


def test_a_merger_results_in_the_new_office_not_the_offices_merged_away(client):
    # Stadsarkivet, "Beskrivelse": MR Handicap og Psykiatri and MR Udsatte "blev pr. 1. marts
    # 2011 lagt sammen til Mål- og Rammekontoret for Voksne": the two exist no more.
    original, resulting = event_units(graph_on(client, "2011-03-01"), "MR Handicap og Psykiatri")
    assert {"mr-handicap-og-psykiatri", "mr-udsatte"} <= original
    assert "mr-voksne" in resulting
    assert not {"mr-handicap-og-psykiatri", "mr-udsatte"} & resulting


def test_the_sub_units_a_merger_carries_into_mr_voksne_are_named_by_its_event(client):
    # The merger's note: the two offices' sub-units "følger med over i MR Voksne" (the
    # registry's reading); they were under MR Haps the day before and under MR Voksne after.
    original, resulting = event_units(graph_on(client, "2011-03-01"), "MR Handicap og Psykiatri")
    carried = {"kvalitetsmodeller", "projektenheden-for-hjemmeplejen"}
    assert carried <= original and carried <= resulting
    assert "effektstyring" not in original | resulting  # stayed with MR Børn


def test_a_dissolved_unit_is_an_original_and_its_tasks_receivers_are_results(client):
    # Stadsarkivet, "Beskrivelse": "Tværgående juridisk enhed (2008-2010)"; its tasks went on
    # to other units on 1 December 2010.
    original, resulting = event_units(graph_on(client, "2011-03-01"), "Den tværgående juridiske")
    assert "tvaergaaende-juridisk-enhed" in original
    assert "tvaergaaende-juridisk-enhed" not in resulting
    assert {"socialcenter-koebenhavn", "mr-handicap-og-psykiatri"} <= resulting


def test_the_office_closed_at_the_end_of_2008_is_only_an_original(client):
    # Planen, "Kvalitets- og Tilsynskontoret": the inspection tasks stay together "til
    # udgangen af 2008".
    original, resulting = event_units(graph_on(client, "2011-03-01"), "Kvalitets- og Tilsyns")
    assert "kvalitets-og-tilsynskontoret" in original
    assert "kvalitets-og-tilsynskontoret" not in resulting


def test_the_june_2010_transfer_names_the_centres_that_received_the_tasks(client):
    original, resulting = event_units(graph_on(client, "2011-03-01"), "Visitation og køb/salg")
    assert "mr-handicap-og-psykiatri" in original
    assert {"socialcenter-koebenhavn", "handicapcenter-koebenhavn", "oekonomiservice"} <= resulting


def test_the_export_says_how_certain_each_date_is(client):
    document = json.loads(body(client.get("/export/org.jsonld", {"date": "2010-06-01"})))
    items = {i["@id"].removeprefix(f"{BASE}/units/").rstrip("/"): i for i in document["@graph"]}
    # Stadsarkivet says only that the authority centres existed by 1 June 2010.
    centre = items["socialcenter-koebenhavn"]
    assert centre["sof:placedFromCertainty"] == "range"
    assert centre["sof:placedFromNotAfter"] == "2010-06-01"
    assert items["mr-born"]["sof:placedFromCertainty"] == "exact"
    in_2009 = json.loads(body(client.get("/export/org.jsonld", {"date": "2009-06-01"})))
    legal = next(i for i in in_2009["@graph"] if i["@id"].endswith("/tvaergaaende-juridisk-enhed/"))
    assert legal["sof:placedUntilCertainty"] == "range"
    assert "sof:placedLastDay" not in legal  # "på et tidspunkt": no last day to give
    merged = json.loads(body(client.get("/export/org.jsonld", {"date": "2011-02-28"})))
    haps = next(i for i in merged["@graph"] if i["@id"].endswith("/mr-handicap-og-psykiatri/"))
    assert haps["sof:placedLastDay"] == "2011-02-28"


def test_change_events_after_the_date_are_not_yet_in_the_export(client):
    graph = graph_on(client, "2011-02-28")
    assert not list(graph.subjects(ORG.resultingOrganization, unit("mr-voksne")))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2011-02-30", "2011-02-30 er ikke en dato, der findes i kalenderen."),
        ("01-03-2011", "skriv den som ÅÅÅÅ-MM-DD"),
        ("i går", "skriv den som ÅÅÅÅ-MM-DD"),
        ("0208-09-01", "ligger uden for de år, registret dækker"),
        ("x" * 5000, "skriv den som ÅÅÅÅ-MM-DD"),
    ],
)
def test_a_bad_date_is_a_400_that_says_what_is_wrong(client, value, message):
    response = client.get("/export/org.jsonld", {"date": value})
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_without_a_date_the_export_shows_today(client):
    graph = graph_on(client, "")
    assert (unit("mr-voksne"), RDF.type, ORG.OrganizationalUnit) in graph


def test_a_unit_whose_parent_moved_is_placed_from_its_own_start(client):
    document = json.loads(body(client.get("/export/org.jsonld", {"date": "2010-01-01"})))
    unit = next(
        i for i in document["@graph"] if i["@id"].endswith("/projektenheden-for-hjemmeplejen/")
    )
    assert unit["sof:placedFrom"] == "2008-06-01"
    summer = json.loads(body(client.get("/export/org.jsonld", {"date": "2008-07-01"})))
    unit = next(
        i for i in summer["@graph"] if i["@id"].endswith("/projektenheden-for-hjemmeplejen/")
    )
    # Before its parent moved, too, the placement runs on to the merger of 1 March 2011.
    assert (unit["sof:placedUntil"], unit["sof:placedLastDay"]) == ("2011-03-01", "2011-02-28")


@pytest.mark.parametrize("export", ["/export/org.jsonld", "/export/units.csv"])
def test_a_unit_whose_placement_a_concurrent_write_replaced_is_still_exported(
    client, monkeypatch, export
):
    """The tree and the placements are two reads; on PostgreSQL a write may commit between
    them (the stress test found it). The node then stands as its own placement: the project
    unit's placement began on 1 June 2008, its node (replaced when its parent moved) on
    1 September."""
    from orgunits import rows
    from orgunits.models import UnitNode

    slug, date = "projektenheden-for-hjemmeplejen", datetime.date(2010, 1, 1)
    node = UnitNode.objects.valid_on(date).get(unit__slug=slug)
    read = rows._Reader._placements

    def without_it(reader, unit_ids):
        placements, existence = read(reader, unit_ids)
        assert placements.pop(node.pk)  # as if replaced after the tree was read
        return placements, existence

    monkeypatch.setattr(rows._Reader, "_placements", without_it)
    response = client.get(export, {"date": date.isoformat()})
    assert response.status_code == 200
    text = body(response).decode("utf-8-sig")
    if export.endswith(".csv"):
        (row,) = [r for r in csv.reader(io.StringIO(text)) if r[-1] == slug]
        assert row[7:9] == ["2008-09-01", "2011-02-28"]
    else:
        (item,) = [i for i in json.loads(text)["@graph"] if i["@id"].endswith(f"/{slug}/")]
        assert item["sof:placedFrom"] == "2008-09-01"
