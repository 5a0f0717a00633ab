"""An invalid EAC-CPF file is refused with an error that says what is wrong, and nothing of
the import is written."""

import io
import random
import struct
import tracemalloc
import zipfile

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from lxml import etree

from history.loaders.eaccpf import read
from history.loaders.eaccpf.read import ImportFailed
from history.loaders.eaccpf.write import import_files
from history.models import Change, Reorganisation
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, V2
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


# Zip bombs: a small zip that unpacks to far more than an import should read ----------------

MB = 1024 * 1024


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def declaring(content: bytes, sizes: dict[str, int]) -> bytes:
    """The zip with other uncompressed sizes written into the headers of the named members,
    the local header and the central directory alike, as a forger would write them."""
    data = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members, offset = archive.infolist(), archive.start_dir
    for member in members:
        entry_length = 46 + sum(struct.unpack_from("<HHH", data, offset + 28))
        if member.filename in sizes:
            struct.pack_into("<I", data, member.header_offset + 22, sizes[member.filename])
            struct.pack_into("<I", data, offset + 24, sizes[member.filename])
        offset += entry_length
    return bytes(data)


def test_a_zip_of_more_files_than_a_registry_exports_is_refused(archivist):
    content = zip_of({f"{n}.xml": b"" for n in range(read.MAX_ZIP_MEMBERS + 1)})
    (message,) = refused([("mange.zip", content)], archivist)
    assert message == "mange.zip: the zip file holds more than 20000 files."


def test_a_file_compressed_far_more_than_a_record_is_refused_unread(archivist, monkeypatch):
    content = zip_of({"bombe.xml": b"\0" * (5 * MB)})  # about 1,000:1
    assert len(content) < 10_000
    monkeypatch.setattr(read, "_unpacked", None)  # nothing is unpacked: it would fail
    (message,) = refused([("bombe.zip", content)], archivist)
    assert message == (
        "bombe.zip/bombe.xml: the file unpacks to more than 100 times its compressed size, "
        "which no EAC-CPF record does; the zip file is not unpacked."
    )


def test_a_file_whose_header_understates_its_size_is_read_no_further(archivist):
    content = declaring(zip_of({"loegn.xml": b" " * (50 * MB)}), {"loegn.xml": 4096})
    assert len(content) < 100_000
    tracemalloc.start()
    try:
        (message,) = refused([("loegn.zip", content)], archivist)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == (
        "loegn.zip/loegn.xml: the file cannot be read from the zip file (damaged or encrypted)."
    )
    assert peak < 5 * MB  # not the 50 MB the member holds


def test_reading_stops_at_the_declared_size_even_if_the_zip_library_read_on(archivist, monkeypatch):
    """Python's zipfile stops at the declared size itself; the import does not rely on it."""
    content = zip_of({"loegn.xml": b" " * 4096})
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, member: io.BytesIO(b" " * MB))
    (message,) = refused([("loegn.zip", content)], archivist)
    assert "the file cannot be read from the zip file" in message


def test_a_zip_that_unpacks_to_more_than_an_import_reads_is_refused_unread(archivist, monkeypatch):
    # 60 files of 128 KB of random bytes, each declaring 9 MB (72:1): 540 MB in all.
    noise = random.Random(0).randbytes(128 * 1024)
    names = [f"{n}.xml" for n in range(60)]
    content = declaring(zip_of(dict.fromkeys(names, noise)), dict.fromkeys(names, 9 * MB))
    monkeypatch.setattr(read, "_unpacked", None)
    (message,) = refused([("stor.zip", content)], archivist)
    assert message == (
        "stor.zip: the zip file unpacks to more than 500 MB, the most an import reads."
    )


def at_the_import_page_in_english(client, archivist):
    """Logged in as an archivist who may add units, reading English."""
    archivist.is_staff = True
    archivist.save()
    archivist.user_permissions.add(Permission.objects.get(codename="add_unit"))
    client.force_login(archivist)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.mark.urls("tests.eaccpf.urls")
def test_the_admin_import_page_refuses_a_zip_bomb_on_the_form(client, archivist):
    at_the_import_page_in_english(client, archivist)
    before = counts()
    content = zip_of({"bombe.xml": b"\0" * (5 * MB)})
    response = client.post(
        "/test-admin/eac-cpf-import/",
        {"file": SimpleUploadedFile("bombe.zip", content), "reason": "Upload"},
    )
    assert response.status_code == 302  # to the job's page, where the worker reports
    html = client.get(response["Location"]).content.decode()
    assert "bombe.zip/bombe.xml: the file unpacks to more than 100 times" in html
    assert "Import another file" in html
    assert counts() == before


def test_the_command_refuses_a_zip_bomb(tmp_path, capsys):
    path = tmp_path / "bombe.zip"
    path.write_bytes(zip_of({"bombe.xml": b"\0" * (5 * MB)}))
    before = counts()
    with pytest.raises(CommandError), translation.override("en"):
        call_command("import_eaccpf", str(path))
    assert "more than 100 times its compressed size" in capsys.readouterr().err
    assert counts() == before


def test_the_command_refuses_a_reason_longer_than_history_keeps_as_the_admin_does(
    client, tmp_path, capsys
):
    path = tmp_path / "kopi.xml"
    path.write_bytes(edited(fetch(client, "mr-born", V2), V2, with_record_id("mr-born-kopi")))
    before = counts()
    with pytest.raises(CommandError), translation.override("en"):
        call_command("import_eaccpf", str(path), "--reason", "Fundet i arkivet " * 10)
    assert "The reason is too long" in capsys.readouterr().err
    assert counts() == before


@pytest.mark.urls("tests.eaccpf.urls")
def test_the_admin_import_page_refuses_a_file_name_too_long_to_keep_on_the_form(client, archivist):
    at_the_import_page_in_english(client, archivist)
    before = counts()
    name = "a." + "x" * 120
    response = client.post(
        "/test-admin/eac-cpf-import/",
        {"file": SimpleUploadedFile(name, b"<eac/>"), "reason": "Upload"},
    )
    assert response.status_code == 200  # the form again, with its message
    assert "Ensure this filename has at most 80 characters" in response.content.decode()
    assert counts() == before


@pytest.mark.urls("tests.eaccpf.urls")
@pytest.mark.parametrize("name", ["😀😀😀", "\U00020000" * 76 + ".xml", "../../etc/x.xml"])
def test_the_admin_import_takes_any_file_name_a_browser_sends(client, archivist, name):
    """Names the file system would refuse (more than 255 bytes, nothing left once cleaned)
    reach the job's page, which reports on the content; the upload is kept under a name of
    the registry's own."""
    at_the_import_page_in_english(client, archivist)
    response = client.post(
        "/test-admin/eac-cpf-import/", {"file": SimpleUploadedFile(name, b"<eac/>"), "reason": "x"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Import another file" in page.content.decode()
