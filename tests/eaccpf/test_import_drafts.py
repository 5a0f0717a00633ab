"""Importing an EAC-CPF record creates a draft unit; its structure is written as dated
reorganisations, and what cannot be placed is said."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from lxml import etree

from history.loaders.eaccpf.read import read_record
from history.loaders.eaccpf.write import import_files
from history.models import Change
from orgunits.exports.eaccpf import collect
from orgunits.exports.eaccpf.schemas import V1, V2, XLINK
from orgunits.models import Unit

from .conftest import NS, SEED_SLUGS, fetch

pytestmark = pytest.mark.django_db

BOTH = pytest.mark.parametrize("version", [V1, V2])


def renamed(content: bytes, version: str, slug: str, *, parent_href: str | None = None) -> bytes:
    root = etree.fromstring(content)
    ns = NS[version]
    root.find("e:control/e:recordId", ns).text = slug
    if parent_href is not None:
        if version == V1:
            for relation in root.findall(".//e:cpfRelation", ns):
                if relation.get("cpfRelationType") == "hierarchical-parent":
                    relation.set(f"{{{XLINK}}}href", parent_href)
        else:
            for relation in root.findall(".//e:relation", ns):
                if relation.find("e:relationType", ns).text == "hierarchical-parent":
                    relation.find("e:targetEntity", ns).set("valueURI", parent_href)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@BOTH
def test_an_imported_record_becomes_a_draft_under_its_parent_from_its_start(
    client, archivist, version
):
    content = renamed(fetch(client, "mr-voksne", version), version, "mr-voksne-kopi")

    with translation.override("en"):
        result = import_files(
            [("mr-voksne-kopi.xml", content)], user=archivist, reason="Prøveimport"
        )

    unit = Unit.objects.get(slug="mr-voksne-kopi")
    assert result.units == ["mr-voksne-kopi"]
    assert unit.record_status == "draft"
    assert unit.kind == "kontor"
    assert unit.name_on(datetime.date(2011, 3, 1)).name == "Mål- og Rammekontoret for Voksne"
    assert unit.name_on(datetime.date(2011, 3, 1)).short_name == "MR Voksne"
    (node,) = unit.nodes.select_related("parent__unit")
    assert node.parent.unit.slug == "center-for-maal-og-rammer"
    assert (node.valid_from, node.valid_to) == (datetime.date(2011, 3, 1), None)
    created = Change.objects.get(unit=unit, kind="created")
    assert created.reorganisation.date == datetime.date(2011, 3, 1)
    # Not passed off as the registry's own reorganisation of that day.
    assert created.reorganisation.title == (
        "MR Handicap og Psykiatri og MR Udsatte lægges sammen til MR Voksne (imported from EAC-CPF)"
    )
    row = unit.history.earliest()
    assert (row.history_user, row.history_change_reason) == (archivist, "Prøveimport")
    # The merger belongs to the predecessors' records; the import says it did not record it.
    assert any("predecessor “mr-handicap-og-psykiatri”" in m for m in result.messages)


@BOTH
@pytest.mark.parametrize("slug", ["kvalitetsmodeller", "projektenheden-for-hjemmeplejen"])
def test_a_copy_of_a_unit_carried_into_mr_voksne_by_the_merger_imports(
    client, archivist, version, slug
):
    """Found by trying it: its record says it was placed under MR Voksne from the merger's
    day, which the registry's merger did; the import tried it as a move of its own and was
    refused ("already placed under mr-voksne")."""
    content = renamed(fetch(client, slug, version), version, f"{slug}-kopi")

    result = import_files([(f"{slug}-kopi.xml", content)], user=archivist, reason="Prøve")

    assert result.units == [f"{slug}-kopi"]
    copy, original = Unit.objects.get(slug=f"{slug}-kopi"), Unit.objects.get(slug=slug)
    for day in (datetime.date(2010, 1, 1), datetime.date(2011, 3, 1), datetime.date(2012, 1, 1)):
        copied, kept = copy.node_on(day), original.node_on(day)
        assert (copied and copied.parent_id) == (kept and kept.parent_id), day


@BOTH
def test_a_record_whose_parent_is_not_in_the_registry_becomes_a_draft_without_placement(
    client, archivist, version
):
    content = renamed(
        fetch(client, "mr-born", version),
        version,
        "mr-born-kopi",
        parent_href="http://andet-register.example/units/findes-ikke/",
    )

    with translation.override("en"):
        result = import_files([("mr-born-kopi.xml", content)], user=archivist, reason="Prøveimport")

    unit = Unit.objects.get(slug="mr-born-kopi")
    assert not unit.nodes.exists()
    assert unit.record_status == "draft"
    assert [n.name for n in unit.names.all()] == ["Mål- og Rammekontoret for Børn og familier"]
    assert any(
        "its parent “findes-ikke” is neither in the registry" in m and "without a placement" in m
        for m in result.messages
    )


def test_an_imported_record_keeps_its_identifiers_and_cited_sources(client, archivist):
    unit = Unit.objects.get(slug="center-for-maal-og-rammer")
    content = fetch(client, unit.slug, V2)
    # Free the identifiers so that the copy may carry them.
    for identifier in unit.identifiers.all():
        identifier.value = f"gammel-{identifier.value}"
        identifier._history_user, identifier._change_reason = archivist, "Test"
        identifier.save()
    content = renamed(content, V2, "cmr-kopi")

    import_files([("cmr-kopi.xml", content)], user=archivist, reason="Prøveimport")

    copy = Unit.objects.get(slug="cmr-kopi")
    assert {(i.scheme, i.value) for i in copy.identifiers.all()} == {
        ("starbas", "4942"),
        ("asta7", "dc4cd471-edfc-4c6f-bd6b-72e25875e06c"),
    }
    starbas = copy.identifiers.get(scheme="starbas")
    assert [c.excerpt for c in starbas.citations.all()] == ["Starbas ID 4942"]
    assert copy.citations.count() == unit.citations.count()
    assert {n.name for n in copy.names.filter(kind="archive")} == {
        "Socialforvaltningen Center for Mål og Rammer"
    }
    assert copy.archival_type == "Kommunal institution"


@pytest.mark.parametrize("slug", SEED_SLUGS)
def test_both_versions_of_a_record_read_back_as_what_the_registry_wrote(client, slug):
    (written,) = collect.records_for(Unit.objects.filter(slug=slug))
    written.maintenance = []
    for version in (V1, V2):
        errors = []
        read = read_record(f"{slug}.xml", fetch(client, slug, version), errors)
        assert errors == []
        read.version = ""
        assert read == written, version


@pytest.mark.urls("tests.eaccpf.urls")
def test_the_admin_import_page_imports_an_uploaded_record_for_an_archivist(client, archivist):
    archivist.is_staff = True
    archivist.save()
    archivist.user_permissions.add(Permission.objects.get(codename="add_unit"))
    reader = get_user_model().objects.create_user("laeser", password="x", is_staff=True)
    content = renamed(fetch(client, "mr-voksne", V1), V1, "mr-voksne-upload")
    url = "/test-admin/eac-cpf-import/"

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    client.force_login(reader)
    assert client.get(url).status_code == 403
    client.force_login(archivist)
    page = client.get(url)
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content

    # The upload is queued for the worker (here it runs at once); its page tells the rest.
    bad = client.post(
        url,
        {"file": SimpleUploadedFile("x.xml", b"not xml"), "reason": "Upload"},
    )
    assert bad.status_code == 302
    job_page = client.get(bad["Location"]).content.decode()
    assert "Importen blev standset; registret er uændret." in job_page and "x.xml" in job_page
    assert not Unit.objects.filter(slug="mr-voksne-upload").exists()

    good = client.post(
        url,
        {"file": SimpleUploadedFile("mr-voksne-upload.xml", content), "reason": "Upload"},
    )
    assert good.status_code == 302
    job_page = client.get(good["Location"]).content.decode()
    assert "Importerede 1 enhed som kladde." in job_page
    assert 'http-equiv="refresh"' not in job_page
    unit = Unit.objects.get(slug="mr-voksne-upload")
    assert f'href="/admin/orgunits/unit/{unit.pk}/change/">mr-voksne-upload</a>' in job_page
    unit = Unit.objects.get(slug="mr-voksne-upload")
    assert unit.history.earliest().history_change_reason == "Upload"
