"""Every unit's record validates against the official EAC-CPF schemas, in both versions."""

import pytest
from lxml import etree

from orgunits.exports.eaccpf import schemas
from orgunits.exports.eaccpf.schemas import V1, V2

from .conftest import SEED_SLUGS, fetch

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("version", [V1, V2])
@pytest.mark.parametrize("slug", SEED_SLUGS)
def test_the_record_of_every_seed_unit_is_valid_eac_cpf(client, slug, version):
    document = etree.fromstring(fetch(client, slug, version))
    assert schemas.version_of(document) == version
    assert schemas.validate(document, version) == []


@pytest.mark.parametrize("version", [V1, V2])
def test_control_characters_pasted_into_the_record_leave_it_valid_without_them(client, version):
    # What XML cannot hold, in a text (the name, the history, a reason for an edit) and in an
    # attribute (the name's language): left out, the rest of the record written.
    from orgunits.models import Unit, UnitName

    UnitName.objects.filter(unit__slug="mr-voksne").update(
        name="MR Voksne\x01\ufffe", language="d\x0ca"
    )
    Unit.objects.filter(slug="mr-voksne").update(description="Oprettet\x0b 2011")
    UnitName.history.filter(unit__slug="mr-voksne").update(history_change_reason="Ret\x07telse")
    content = fetch(client, "mr-voksne", version)
    document = etree.fromstring(content)
    assert schemas.validate(document, version) == []
    assert b"<part>MR Voksne</part>" in content
    assert b"Oprettet 2011" in content
    assert b"<eventDescription>Rettelse</eventDescription>" in content
    assert b'"da"' in content


def test_the_seed_has_the_units_the_validation_covers():
    assert len(SEED_SLUGS) == 34


@pytest.mark.parametrize("path", ["eac-cpf.xml", "eac-cpf-2.xml"])
def test_an_unknown_unit_is_a_404_that_names_it(client, path):
    response = client.get(f"/units/findes-ikke/{path}")
    assert response.status_code == 404
    assert "findes-ikke" in response.content.decode()


@pytest.mark.parametrize("version", [V1, V2])
def test_a_record_costs_a_fixed_number_of_queries(client, version, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        fetch(client, "center-for-maal-og-rammer", version)


def test_the_schemas_resolve_their_imports_locally():
    """The 1.x schema imports XLink and xml.xsd by URL; without the resolver lxml would try
    the network (and fail here)."""
    assert isinstance(schemas.schema(V1), etree.XMLSchema)
    assert isinstance(schemas.schema(V2), etree.XMLSchema)


@pytest.mark.django_db
def test_a_unit_whose_creation_was_withdrawn_has_no_record_to_serve_and_is_left_out_of_the_zip(
    client, archivist
):
    from history.models import Reorganisation
    from history.services import withdraw_reorganisation
    from orgunits.models import Unit

    merger = Reorganisation.objects.get(key="r2011-03-01")
    withdraw_reorganisation(merger, user=archivist, reason="Forkert indtastet")
    for suffix in ("eac-cpf.xml", "eac-cpf-2.xml"):
        response = client.get(f"/units/mr-voksne/{suffix}")
        assert response.status_code == 404
        assert "er trukket tilbage" in response.content.decode()  # why, in Danish
    assert not Unit.objects.with_a_record().filter(slug="mr-voksne").exists()
    assert Unit.objects.with_a_record().filter(slug="mr-handicap-og-psykiatri").exists()
