"""A harvester (Sickle, as archives use it) harvests a registry served for real, with a
generated organisation of 2,000 units beside the seed: every unit on record once, following
the resumption tokens, and every EAC-CPF record valid against the official schema."""

import subprocess

import pytest
from lxml import etree
from sickle import Sickle

from orgunits.exports.eaccpf import schemas
from orgunits.exports.eaccpf.schemas import V1, V2
from tests.served import MANAGE, served_registry

from .conftest import NS, OAI_DC_SCHEMA, valid

pytestmark = pytest.mark.slow

UNITS = 2_000


def manage(served, *command) -> str:
    done = subprocess.run(
        [*MANAGE, *command], env=served.env, check=True, capture_output=True, text=True
    )
    return done.stdout


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    with served_registry(tmp_path_factory.mktemp("oai")) as served:
        manage(served, "generate_org", "--units", str(UNITS), "--years", "2", "--seed", "1")
        served.on_record = int(
            manage(
                served,
                "shell",
                "--verbosity=0",
                "-c",
                "from orgunits.models import Unit; print(Unit.objects.on_record().count())",
            )
        )
        served.oai = Sickle(served.web_server() + "/oai", max_retries=0, timeout=60)
        yield served


def metadata_of(record) -> etree._Element:
    """The record's metadata as a document of its own, as a harvester stores it."""
    return etree.fromstring(etree.tostring(record.xml.find("o:metadata", NS)[0]))


def test_a_harvest_gets_every_unit_on_record_once_as_valid_eac_cpf(registry):
    records = list(registry.oai.ListRecords(metadataPrefix="eac-cpf"))
    identifiers = [record.header.identifier for record in records]
    assert len(identifiers) == len(set(identifiers)) == registry.on_record > UNITS
    assert not any(record.header.deleted for record in records)
    invalid = {
        record.header.identifier: schemas.validate(metadata_of(record), V1)[:1]
        for record in records
    }
    assert {identifier: errors for identifier, errors in invalid.items() if errors} == {}


def test_the_other_formats_list_every_unit_alike(registry):
    for prefix in ("oai_dc", "eac-cpf-2"):
        headers = list(registry.oai.ListIdentifiers(metadataPrefix=prefix))
        identifiers = {header.identifier for header in headers}
        assert len(identifiers) == len(headers) == registry.on_record


def test_a_set_harvested_in_eac_cpf_2_and_dublin_core_is_valid(registry):
    """The offices: more than a page, so that the tokens keep the set."""
    offices = list(registry.oai.ListRecords(metadataPrefix="eac-cpf-2", set="kind:kontor"))
    assert len(offices) > 100
    invalid = [e for r in offices for e in schemas.validate(metadata_of(r), V2)]
    assert invalid == []
    offices = list(registry.oai.ListRecords(metadataPrefix="oai_dc", set="kind:kontor"))
    assert len(offices) > 100
    assert [e for r in offices for e in valid(OAI_DC_SCHEMA, metadata_of(r))] == []
