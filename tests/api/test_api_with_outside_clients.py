"""The API checked by clients nobody on the project wrote, over real HTTP: schemathesis
generates requests from the OpenAPI document and checks every answer against it; a plain
HTTP client reads the structure of 2011-03-01 and finds it, unit by unit, as the JSON-LD
export has it."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.served import served_registry

pytestmark = pytest.mark.slow

# Bounded: enough to reach every operation and parameter in every phase, quick enough for CI.
EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    folder = tmp_path_factory.mktemp("api-served")
    with served_registry(folder) as served:
        yield served.web_server()


def read_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_schemathesis_finds_no_server_error_and_no_answer_outside_the_document(registry, tmp_path):
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{registry}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance,response_headers_conformance,ignored_auth",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "2011",
            "--request-timeout",
            "60",
            "--no-color",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Tested: 7" in run.stdout  # every operation of the document


def test_the_structure_through_the_api_is_the_json_ld_exports_unit_by_unit(registry):
    url = f"{registry}/api/v1/structure?date=2011-03-01&page_size=7"
    units = []
    while url:
        answer = read_json(url)
        units += answer["results"]
        url = answer["next"]
    graph = read_json(f"{registry}/export/org.jsonld?date=2011-03-01")["@graph"]
    exported = {
        item["@id"]: item
        for item in graph
        if item.get("@type") in ("org:FormalOrganization", "org:OrganizationalUnit")
    }
    assert len(units) == len(exported) > 20
    for unit in units:
        item = exported[f"{registry}/units/{unit['slug']}/"]
        assert unit["name"] == item.get("skos:prefLabel", {}).get("@value")
        assert unit["short_name"] == item.get("skos:altLabel", {}).get("@value")
        assert unit["kind"] == item["sof:kind"]
        assert unit["target_group"] == item.get("sof:targetGroup")
        parent = item.get("org:subOrganizationOf")
        assert (f"{registry}/units/{unit['parent']}/" if unit["parent"] else None) == parent
        placed = unit["placed_from"]
        assert placed["certainty"] == item["sof:placedFromCertainty"]
        assert placed["date"] == item.get("sof:placedFrom")
        assert placed["not_before"] == item.get("sof:placedFromNotBefore")
        assert placed["not_after"] == item.get("sof:placedFromNotAfter")
        until = unit["placed_until"]
        assert (until or {}).get("date") == item.get("sof:placedUntil")
        assert unit["placed_last_day"] == item.get("sof:placedLastDay")
        readings = {"name": "skos:prefLabel", "short_name": "skos:altLabel", "kind": "sof:kind"}
        assert sorted(readings[r] for r in unit["inferred"]) == sorted(
            item.get("sof:inferredProperty", [])
        )
