"""/vocab/: every term of the registry's own that the exports use has a page that says what
it means, and the IRIs <base>/vocab#term lead there."""

import re

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from orgunits.exports.vocabulary import BY_NAME
from tests.streamed import json_of

pytestmark = pytest.mark.django_db

# Units whose records between them use every kind of date, name, change and citation.
RECORDS = [
    "center-for-maal-og-rammer",
    "tvaergaaende-juridisk-enhed",
    "kvalitets-og-tilsynskontoret",
    "socialforvaltningen",
    "mr-voksne",
    "mr-udsatte",
    "mr-handicap-og-psykiatri",  # the sources disagree about its start
    "oekonomiservice",  # its kind is the registry's reading
]


@pytest.mark.parametrize("date", ["2008-07-01", "2010-06-01"])
def test_every_term_the_jsonld_uses_is_defined(client, date):
    graph = json_of(client.get("/export/org.jsonld", {"date": date}))["@graph"]
    used = {key.removeprefix("sof:") for item in graph for key in item if key.startswith("sof:")}
    # Properties named as values: what is inferred, what the sources disagree about.
    used |= {
        value.removeprefix("sof:")
        for item in graph
        for key in ("sof:inferredProperty", "sof:disputedProperty")
        for value in item.get(key, [])
        if value.startswith("sof:")
    }
    used |= {
        i["@type"].removeprefix("sof:") for item in graph for i in item.get("org:identifier", [])
    }
    expected = {"placedFromCertainty", "dateCertainty"}
    assert expected | ({"starbas"} if date > "2008-09" else {"disputedProperty"}) <= used
    assert used <= set(BY_NAME), used - set(BY_NAME)


@pytest.mark.parametrize("path", ["eac-cpf.xml", "eac-cpf-2.xml"])
def test_every_local_type_the_eac_cpf_records_use_is_defined(client, path):
    used = set()
    for slug in RECORDS:
        text = client.get(f"/units/{slug}/{path}").content.decode()
        used |= set(re.findall(r"http://testserver/vocab#(\w+)", text))
    assert {"beforeRecords", "range", "passage", "merged"} <= used
    assert used <= set(BY_NAME), used - set(BY_NAME)


def test_the_vocabulary_page_defines_each_term_at_its_fragment(client):
    html = client.get("/vocab/").content.decode()
    for name in BY_NAME:
        assert f'id="{name}"' in html
    assert "Registrets begreber" in html
    assert client.get("/vocab")["Location"] == "/vocab/"


def test_the_vocabulary_is_also_rdf(client):
    response = client.get("/vocab.jsonld")
    assert response["Content-Type"].startswith("application/ld+json")
    graph = Graph().parse(data=response.content.decode(), format="json-ld")
    term = URIRef("http://testserver/vocab#beforeRecords")
    assert graph.value(term, SKOS.definition).language == "da"
    assert graph.value(term, RDFS.isDefinedBy) == URIRef("http://testserver/vocab")
