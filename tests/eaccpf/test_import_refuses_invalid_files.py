"""An invalid EAC-CPF file is refused with an error that says what is wrong, and nothing of
the import is written."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from lxml import etree

from history.models import Change, Reorganisation
from orgunits.eaccpf.importer import ImportFailed, import_files
from orgunits.eaccpf.schemas import NS_1, NS_2, V1, V2
from orgunits.models import Citation, SourceDocument, Unit, UnitIdentifier, UnitName, UnitNode

from .conftest import NS, fetch

pytestmark = pytest.mark.django_db

MODELS = (
    Unit,
    UnitName,
    UnitIdentifier,
    UnitNode,
    Citation,
    SourceDocument,
    Reorganisation,
    Change,
)


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in MODELS}


def edited(content: bytes, version: str, edit) -> bytes:
    root = etree.fromstring(content)
    edit(root, NS[version])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def with_record_id(slug: str):
    def edit(root, ns):
        root.find("e:control/e:recordId", ns).text = slug

    return edit


def without_entity_type(root, ns):
    entity_type = root.find(".//e:identity/e:entityType", ns)
    entity_type.getparent().remove(entity_type)


def refused(files, user) -> list[str]:
    """The import's errors, in their English original (whatever the translations say)."""
    before = counts()
    with pytest.raises(ImportFailed) as failure, translation.override("en"):
        import_files(files, user=user, reason="Test af import")
    assert counts() == before
    return failure.value.messages


def test_a_file_that_is_not_xml_is_refused(archivist):
    (message,) = refused([("noter.txt", b"Center for Maal og Rammer, 2008-")], archivist)
    assert message.startswith("noter.txt, line 1: the file is not XML")


def test_xml_that_is_not_an_eac_cpf_record_is_refused(archivist):
    content = b'<?xml version="1.0"?>\n<ead xmlns="urn:isbn:1-931666-22-9"/>'
    (message,) = refused([("finding-aid.xml", content)], archivist)
    assert "not an EAC-CPF record" in message
    assert "<ead>" in message and "urn:isbn:1-931666-22-9" in message


@pytest.mark.parametrize(("version", "schema"), [(V1, "EAC-CPF 2010"), (V2, "EAC-CPF 2.0")])
def test_a_record_that_breaks_the_schema_is_refused_with_the_line(
    client, archivist, version, schema
):
    content = edited(fetch(client, "mr-born", version), version, without_entity_type)
    messages = refused([("mr-born.xml", content)], archivist)
    assert messages
    assert all(f"does not follow the {schema} schema" in m for m in messages)
    assert messages[0].startswith("mr-born.xml, line ")
    line = int(messages[0].split(", line ")[1].split(":")[0])
    assert line > 1


@pytest.mark.parametrize("version", [V1, V2])
def test_a_record_whose_record_id_already_exists_is_refused(client, archivist, version):
    content = fetch(client, "mr-born", version)
    (message,) = refused([("mr-born.xml", content)], archivist)
    assert "already has a unit with the recordId “mr-born”" in message


@pytest.mark.parametrize("version", [V1, V2])
def test_an_identifier_that_identifies_another_unit_is_refused(client, archivist, version):
    content = edited(
        fetch(client, "center-for-maal-og-rammer", version), version, with_record_id("cmr-kopi")
    )
    messages = refused([("cmr-kopi.xml", content)], archivist)
    assert any(
        "starbas 4942 already identifies the unit “center-for-maal-og-rammer”" in m
        for m in messages
    )
    assert any("asta7 dc4cd471" in m for m in messages)


def test_a_record_of_a_person_is_refused(client, archivist):
    def person(root, ns):
        root.find(".//e:identity/e:entityType", ns).set("value", "person")

    content = edited(fetch(client, "mr-born", V2), V2, person)
    content = content.replace(b"<recordId>mr-born<", b"<recordId>en-person<")
    (message,) = refused([("person.xml", content)], archivist)
    assert "describes a person" in message


def test_one_invalid_file_among_valid_ones_imports_nothing(client, archivist):
    valid = edited(fetch(client, "mr-voksne", V2), V2, with_record_id("mr-voksne-kopi"))
    messages = refused([("ok.xml", valid), ("broken.xml", b"<eac")], archivist)
    assert [m.split(":")[0] for m in messages] == ["broken.xml, line 1"]
    assert not Unit.objects.filter(slug="mr-voksne-kopi").exists()


def test_two_records_with_the_same_record_id_are_refused(client, archivist):
    record = edited(fetch(client, "mr-voksne", V2), V2, with_record_id("mr-voksne-kopi"))
    messages = refused([("a.xml", record), ("b.xml", record)], archivist)
    assert any("is also the recordId of a.xml" in m for m in messages)


def test_the_command_exits_with_1_and_the_errors_on_an_invalid_file(tmp_path, capsys):
    path = tmp_path / "broken.xml"
    path.write_bytes(f'<eac xmlns="{NS_2}"><control/></eac>'.encode())
    before = counts()
    with pytest.raises(CommandError) as failure, translation.override("en"):
        call_command("import_eaccpf", str(path))
    assert failure.value.returncode == 1
    assert "does not follow the EAC-CPF 2.0 schema" in capsys.readouterr().err
    assert counts() == before


def test_the_namespaces_are_the_official_ones():
    assert NS_1 == "urn:isbn:1-931666-33-4"
    assert NS_2 == "https://archivists.org/ns/eac/v2"
