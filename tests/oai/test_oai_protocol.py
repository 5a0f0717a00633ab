"""The OAI-PMH endpoint speaks the protocol: every verb, every error a harvester can provoke,
selective harvesting by record time and by set, resumption to the end of a list, deleted
records, and a fixed number of queries a page however large the registry."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from history.changes import Create, Place, Reclassify
from history.loaders.eaccpf.read import read_record
from history.models import Reorganisation
from history.services import apply_reorganisation, withdraw_reorganisation
from orgunits.exports.eaccpf.schemas import NS_1, NS_2, V1, V2
from orgunits.models import Unit, UnitName

from .conftest import (
    NS,
    OAI_DC_SCHEMA,
    PREFIX,
    eac_errors,
    echoed,
    error_code,
    harvest,
    harvest_all,
    headers,
    identifiers,
    metadata_roots,
    token,
    valid,
)

pytestmark = pytest.mark.django_db

VOKSNE = PREFIX + "mr-voksne"
# Edits in these tests are recorded at moments after everything the test database holds.
LATER = datetime.datetime(2200, 1, 1, 12, 0, 0, 500_000, tzinfo=datetime.UTC)


STAMP = "%Y-%m-%dT%H:%M:%SZ"


def units_on_record() -> int:
    return Unit.objects.on_record().count()


def rename(slug: str, spelling: str, *, at: datetime.datetime) -> UnitName:
    name = UnitName.objects.authorised().filter(unit__slug=slug).first()
    name.name = spelling
    name._change_reason, name._history_date = "Stavefejl i kilden", at
    name.save()
    return name


# Identify, ListMetadataFormats, ListSets ----------------------------------------------------


def test_identify_names_the_repository_and_says_deletions_are_kept(client):
    root = harvest(client, verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify.findtext("o:baseURL", namespaces=NS) == "http://testserver/oai"
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    first = Unit.history.order_by("history_date").first().history_date
    assert identify.findtext("o:earliestDatestamp", namespaces=NS) == first.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert echoed(root) == {"verb": "Identify"}


def test_the_response_says_when_it_was_made_in_utc(client):
    root = harvest(client, verb="Identify")
    made = datetime.datetime.strptime(
        root.findtext("o:responseDate", namespaces=NS), "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=datetime.UTC)
    assert abs(datetime.datetime.now(datetime.UTC) - made) < datetime.timedelta(minutes=1)


def test_records_come_in_dublin_core_and_both_eac_cpf_versions(client):
    root = harvest(client, verb="ListMetadataFormats")
    formats = {
        f.findtext("o:metadataPrefix", namespaces=NS): f.findtext(
            "o:metadataNamespace", namespaces=NS
        )
        for f in root.iterfind(".//o:metadataFormat", NS)
    }
    assert formats == {
        "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
        "eac-cpf": NS_1,
        "eac-cpf-2": NS_2,
    }


def test_a_unit_on_record_has_every_format(client):
    root = harvest(client, verb="ListMetadataFormats", identifier=VOKSNE)
    assert len(root.findall(".//o:metadataFormat", NS)) == 3
    assert echoed(root) == {"verb": "ListMetadataFormats", "identifier": VOKSNE}


def test_sets_are_kinds_and_target_groups_named_in_danish(client):
    root = harvest(client, verb="ListSets")
    names = {
        s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
        for s in root.iterfind(".//o:set", NS)
    }
    assert names["kind"] == "Type"
    assert names["kind:center"] == "Type: Center"
    assert names["targetgroup"] == "Målgruppe"
    assert names["targetgroup:born"] == "Målgruppe: Børn og familier"
    assert len(names) == 2 + 9 + 3


# GetRecord ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "version"), [("eac-cpf", V1), ("eac-cpf-2", V2)])
def test_a_record_is_the_units_eac_cpf_record_inside_metadata(client, prefix, version):
    root = harvest(client, verb="GetRecord", identifier=VOKSNE, metadataPrefix=prefix)
    (record,) = metadata_roots(root)
    assert record.tag == (f"{{{NS_1}}}eac-cpf" if version == V1 else f"{{{NS_2}}}eac")
    assert eac_errors(record, version) == []
    ns = {"e": NS_1 if version == V1 else NS_2}
    assert record.findtext(".//e:recordId", namespaces=ns) == "mr-voksne"
    assert identifiers(root) == [VOKSNE]


def test_a_record_in_dublin_core_has_its_name_page_dates_and_parent(client):
    root = harvest(client, verb="GetRecord", identifier=VOKSNE, metadataPrefix="oai_dc")
    (dc,) = metadata_roots(root)
    assert valid(OAI_DC_SCHEMA, dc) == []
    assert dc.findtext("dc:title", namespaces=NS) == "Mål- og Rammekontoret for Voksne"
    assert "http://testserver/units/mr-voksne/" in dc.xpath("dc:identifier/text()", namespaces=NS)
    assert dc.findtext("dc:date", namespaces=NS) == "2011-03-01/.."
    assert dc.findtext("dc:description", namespaces=NS).startswith("Mål- og Rammekontoret")
    relations = dc.xpath("dc:relation/text()", namespaces=NS)
    assert relations[0] == "http://testserver/units/center-for-maal-og-rammer/"


@pytest.mark.parametrize(
    ("prefix", "path"), [("eac-cpf", "eac-cpf.xml"), ("eac-cpf-2", "eac-cpf-2.xml")]
)
def test_a_harvested_record_reads_back_as_the_exported_one(client, prefix, path):
    """Its ids are made its own within the list (unit-<slug>.name-1); what cites a name or
    an identifier still points at it."""
    slug = "center-for-maal-og-rammer"  # cites one of its names and both its identifiers
    root = harvest(client, verb="GetRecord", identifier=PREFIX + slug, metadataPrefix=prefix)
    harvested = etree.tostring(metadata_roots(root)[0])
    exported = client.get(f"/units/{slug}/{path}").content

    def sources(data: bytes) -> list[tuple]:
        errors = []
        record = read_record("record.xml", data, errors)
        assert errors == []
        parts = {n.ref: n.name for n in record.names} | {i.ref: i.value for i in record.identifiers}
        return [
            (s.title, s.heading, s.passage, parts.get(s.about, s.about)) for s in record.sources
        ]

    assert sources(harvested) == sources(exported)
    assert any(about for *_source, about in sources(harvested))


def test_a_post_is_answered_as_the_same_get(client):
    arguments = {"verb": "GetRecord", "identifier": VOKSNE, "metadataPrefix": "oai_dc"}
    posted = harvest(client, "post", **arguments)
    assert echoed(posted) == arguments
    assert identifiers(posted) == [VOKSNE]


# Errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "verb=Harvest",
        "verb=Identify&verb=Identify",
        "verb=identify",
        "verb=%00",
        "verb=%FF%FE",
    ],
)
def test_a_missing_repeated_or_unknown_verb_is_bad_verb(client, query):
    root = harvest(client, query=query)
    assert error_code(root) == "badVerb"
    assert echoed(root) == {}


@pytest.mark.parametrize(
    "query",
    [
        "verb=Identify&set=kind",  # an argument the verb does not take
        "verb=ListRecords",  # no metadataPrefix
        "verb=GetRecord&metadataPrefix=oai_dc",  # no identifier
        "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=eac-cpf",  # repeated
        "verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=x",  # the token is exclusive
        "verb=ListRecords&metadataPrefix=oai_dc&from=2011-02-30",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2011-02-03T25:00:00Z",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2011-02-03T10:00:00",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2011-02-03T10:00:00.5Z",
        "verb=ListRecords&metadataPrefix=oai_dc&from=%D9%A2011-02-03",  # an Arabic-Indic 2
        "verb=ListRecords&metadataPrefix=oai_dc&from=2011-01-01&until=2011-02-01T00:00:00Z",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2012-01-01&until=2011-01-01",
        "verb=ListRecords&metadataPrefix=oai_dc&from=",
        "verb=ListRecords&metadataPrefix=oai%20dc",
        "verb=ListRecords&metadataPrefix=oai_dc&set=kind::center",
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Ax%3A%00",
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Ax%3A%FF",
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=http%3A%2F%2Fx%3A99999999%2F",
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=" + "x" * 100_000,
        "verb=ListRecords&resumptionToken=" + "x" * 3_000,
        "verb=Identify&%00=1",
        "verb=Identify&" + "&".join(f"a{i}=1" for i in range(1_100)),
    ],
)
def test_an_illegal_missing_or_repeated_argument_is_bad_argument(client, query):
    root = harvest(client, query=query)
    assert error_code(root) == "badArgument"
    assert echoed(root) == {}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("verb=Identify\xff\xfe", "badVerb"),  # bytes that are not UTF-8, not escaped
        ("verb=\xc3(", "badVerb"),
        ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:\xe6", "badArgument"),
    ],
)
def test_a_query_that_is_not_utf_8_is_answered(client, raw, code):
    assert error_code(harvest(client, query=raw)) == code


def test_a_body_too_large_is_bad_argument_too(client):
    response = client.post(
        "/oai",
        "verb=Identify&x=" + "a" * 3_000_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert b'code="badArgument"' in response.content


def test_an_unknown_format_cannot_be_disseminated_and_the_request_is_echoed(client):
    root = harvest(client, verb="ListRecords", metadataPrefix="marc21")
    assert error_code(root) == "cannotDisseminateFormat"
    assert echoed(root) == {"verb": "ListRecords", "metadataPrefix": "marc21"}


@pytest.mark.parametrize(
    "identifier", [PREFIX + "findes-ikke", "oai:andet.arkiv.dk:unit/mr-voksne", "urn:x:y"]
)
def test_an_unknown_identifier_does_not_exist(client, identifier):
    root = harvest(client, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert error_code(root) == "idDoesNotExist"
    assert echoed(root)["identifier"] == identifier
    root = harvest(client, verb="ListMetadataFormats", identifier=identifier)
    assert error_code(root) == "idDoesNotExist"


@pytest.mark.parametrize(
    "arguments",
    [
        {"from": "2199-01-01"},
        {"until": "1999-12-31T23:59:59Z"},
        {"set": "kind:findes-ikke"},
        {"set": "farve:blaa"},
    ],
)
def test_a_selection_without_records_is_no_records_match(client, arguments):
    root = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **arguments)
    assert error_code(root) == "noRecordsMatch"
    assert echoed(root)["metadataPrefix"] == "oai_dc"


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords", "ListSets"])
def test_a_forged_resumption_token_is_refused(client, verb):
    first = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    genuine = token(first).text
    forged = genuine[:-3] + ("aaa" if not genuine.endswith("aaa") else "bbb")
    for candidate in (forged, "eyJ2ZXJiIjoiTGlzdFJlY29yZHMifQ", "x" * 1_500):
        root = harvest(client, verb=verb, resumptionToken=candidate)
        assert error_code(root) == "badResumptionToken"


def test_a_token_of_one_list_does_not_resume_another(client):
    first = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    root = harvest(client, verb="ListRecords", resumptionToken=token(first).text)
    assert error_code(root) == "badResumptionToken"


def test_a_set_selects_its_units(client):
    """The repository has sets, so the error noSetHierarchy never arises."""
    root = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:center")
    assert error_code(root) is None
    assert all("kind:center" in h.xpath("o:setSpec/text()", namespaces=NS) for h in headers(root))


def test_a_reclassified_unit_is_in_the_sets_of_what_it_was_and_what_it_became(client, archivist):
    for date, changes in (
        (
            datetime.date(2000, 1, 1),
            [Create(slug="oai-kontor", name="K", parent=None, kind="kontor")],
        ),
        (
            datetime.date(2001, 1, 1),
            [Reclassify(unit="oai-kontor", kind="center", target_group="born")],
        ),
    ):
        apply_reorganisation(title="T", date=date, changes=changes, user=archivist, reason="T")
    for spec in ("kind:kontor", "kind:center", "targetgroup", "targetgroup:born"):
        pages, _ = harvest_all(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
        assert PREFIX + "oai-kontor" in [i for page in pages for i in identifiers(page)], spec
    root = harvest(
        client, verb="GetRecord", identifier=PREFIX + "oai-kontor", metadataPrefix="oai_dc"
    )
    specs = headers(root)[0].xpath("o:setSpec/text()", namespaces=NS)
    assert specs == ["kind:center", "kind:kontor", "targetgroup:born"]


# Selective harvesting by record time --------------------------------------------------------


def test_from_the_moment_of_an_edit_only_the_edited_unit_is_listed(client):
    rename("mr-voksne", "Mål- og Rammekontoret for Voksne (rettet)", at=LATER)
    for since in ("2200-01-01T12:00:00Z", "2200-01-01"):
        root = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": since})
        assert identifiers(root) == [VOKSNE]
        assert root.findtext(".//o:datestamp", namespaces=NS) == "2200-01-01T12:00:00Z"


def test_until_the_second_before_an_edit_the_edited_unit_is_not_listed(client):
    rename("mr-voksne", "Mål- og Rammekontoret for Voksne (rettet)", at=LATER)
    pages, _ = harvest_all(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2200-01-01T11:59:59Z"
    )
    listed = [i for page in pages for i in identifiers(page)]
    assert VOKSNE not in listed
    assert len(listed) == units_on_record() - 1
    root = harvest(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", until="2200-01-01T12:00:00Z"
    )
    assert token(root).get("completeListSize") == str(units_on_record())


def test_the_record_harvested_after_an_edit_says_what_the_edit_wrote(client):
    rename("mr-voksne", "Mål- og Rammekontoret for Voksne (rettet)", at=LATER)
    root = harvest(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2200-01-01"})
    (dc,) = metadata_roots(root)
    assert dc.findtext("dc:title", namespaces=NS) == "Mål- og Rammekontoret for Voksne (rettet)"


# Resumption ---------------------------------------------------------------------------------


def test_following_the_tokens_to_the_end_gives_every_record_once(client):
    pages, tokens = harvest_all(client, verb="ListIdentifiers", metadataPrefix="eac-cpf")
    listed = [i for page in pages for i in identifiers(page)]
    assert len(listed) == len(set(listed)) == units_on_record() > 1_000
    assert {t.get("completeListSize") for t in tokens} == {str(units_on_record())}
    assert [int(t.get("cursor")) for t in tokens] == [100 * n for n in range(len(tokens))]
    assert tokens[-1].text is None  # the last page says the list is complete
    assert all(len(identifiers(page)) == 100 for page in pages[:-1])


def test_a_list_in_one_page_has_no_token(client):
    root = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:center")
    assert 0 < len(headers(root)) < 100
    assert token(root) is None


def test_the_resumption_keeps_the_set_of_the_first_request(client):
    pages, _ = harvest_all(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:kontor"
    )
    listed = [h for page in pages for h in headers(page)]
    assert len(listed) == Unit.objects.filter(kind="kontor").count()
    assert all("kind:kontor" in h.xpath("o:setSpec/text()", namespaces=NS) for h in listed)


def test_a_unit_edited_during_a_harvest_is_met_again_at_the_end(client):
    first = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert VOKSNE in identifiers(first)
    rename("mr-voksne", "Mål- og Rammekontoret for Voksne (rettet)", at=LATER)
    rest, _ = harvest_all(client, verb="ListIdentifiers", resumptionToken=token(first).text)
    later = [i for page in rest for i in identifiers(page)]
    assert later[-1] == VOKSNE
    assert len(set(identifiers(first) + later)) == units_on_record()
    # Met twice: the unit, and the units the change that gave the name names (the change is
    # corrected too, and the parent's record lists its units by name).
    change = UnitName.objects.authorised().get(unit__slug="mr-voksne").opened_by
    named = {PREFIX + unit.slug for unit in (change.unit, change.target) if unit is not None}
    assert set(identifiers(first)) & set(later) == {VOKSNE} | named


@pytest.mark.parametrize(("prefix", "version"), [("eac-cpf", V1), ("eac-cpf-2", V2)])
def test_every_eac_cpf_record_of_a_page_is_valid(client, prefix, version):
    root = harvest(client, verb="ListRecords", metadataPrefix=prefix)
    records = metadata_roots(root)
    assert len(records) == 100
    assert {str(e) for r in records for e in eac_errors(r, version)} == set()


def test_every_dublin_core_record_of_a_page_is_valid(client):
    root = harvest(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert {e for r in metadata_roots(root) for e in valid(OAI_DC_SCHEMA, r)} == set()


@pytest.mark.parametrize(("prefix", "version"), [("eac-cpf", V1), ("eac-cpf-2", V2)])
def test_the_records_of_a_page_have_ids_of_their_own(client, prefix, version):
    """Several records in one document must not repeat an id (1.x: xml:id, which parsers
    refuse repeated; 2.0: xs:ID), and what refers to one still finds it."""
    root = harvest(client, verb="ListRecords", metadataPrefix=prefix)
    ids = root.xpath("//@xml:id" if version == V1 else "//@id")
    assert len(ids) == len(set(ids)) > 100
    references = 0
    for record in metadata_roots(root):
        own = set(record.xpath(".//@xml:id" if version == V1 else ".//@id"))
        referred = {r for value in record.xpath(".//@sourceReference") for r in value.split()}
        referred |= set(record.xpath(".//*[substring-after(@localType, '#')='about']/text()"))
        assert referred <= own
        references += len(referred)
    assert references > 0


def queries_per_page(client, **arguments) -> list[int]:
    counts = []
    pages = [arguments]
    while pages:
        with CaptureQueriesContext(connection) as queries:
            root = harvest(client, **pages.pop())
        counts.append(len(queries))
        if token(root) is not None and token(root).text:
            pages.append({"verb": arguments["verb"], "resumptionToken": token(root).text})
    return counts


@pytest.mark.parametrize("verb", ["ListIdentifiers", "ListRecords"])
def test_a_page_costs_the_same_queries_at_seed_size_and_with_a_thousand_units(client, verb):
    harvest(client, verb=verb, metadataPrefix="eac-cpf")  # what a process reads once
    seed = queries_per_page(client, verb=verb, metadataPrefix="eac-cpf", set="targetgroup")
    everything = queries_per_page(client, verb=verb, metadataPrefix="eac-cpf")
    assert len(seed) == 1 and len(everything) == 11
    # A page with a disputed unit reads the disputing passages: one query more, at most.
    assert max(everything) == max(seed) <= min(everything) + 1
    assert max(seed) <= (3 if verb == "ListIdentifiers" else 20)


# Deleted records ----------------------------------------------------------------------------


@pytest.fixture
def deleted_draft(db):
    """A draft record entered with its name, then deleted in the admin (never placed)."""
    unit = Unit(slug="kladde-der-slettes", kind="kontor")
    name = UnitName(unit=unit, name="Kladden")
    for record in (unit, name):
        record._history_date = LATER
        record.save()
    for record in (name, unit):
        record._history_date = LATER + datetime.timedelta(hours=1)
        record.delete()
    return PREFIX + "kladde-der-slettes"


def test_a_deleted_record_is_listed_with_a_deleted_header_at_its_deletion(client, deleted_draft):
    root = harvest(client, verb="ListRecords", metadataPrefix="eac-cpf", **{"from": "2200-01-01"})
    (header,) = headers(root)
    assert header.get("status") == "deleted"
    assert header.findtext("o:identifier", namespaces=NS) == deleted_draft
    assert header.findtext("o:datestamp", namespaces=NS) == "2200-01-01T13:00:00Z"
    assert metadata_roots(root) == []


def test_a_deleted_record_has_a_header_and_no_metadata_in_any_format(client, deleted_draft):
    for prefix in ("oai_dc", "eac-cpf", "eac-cpf-2"):
        root = harvest(client, verb="GetRecord", identifier=deleted_draft, metadataPrefix=prefix)
        assert headers(root)[0].get("status") == "deleted"
        assert root.find(".//o:metadata", NS) is None
    root = harvest(client, verb="ListMetadataFormats", identifier=deleted_draft)
    assert error_code(root) == "noMetadataFormats"


def test_a_unit_whose_creation_is_withdrawn_is_deleted_as_is_one_a_plan_places_again(
    client, archivist
):
    created = apply_reorganisation(
        title="Oprettelse af OAI-kontoret",
        date=datetime.date(2000, 1, 1),
        user=archivist,
        reason="Test",
        changes=[Create(slug="oai-kontoret", name="OAI-kontoret", parent=None, kind="kontor")],
    )
    identifier = PREFIX + "oai-kontoret"
    root = harvest(client, verb="GetRecord", identifier=identifier, metadataPrefix="eac-cpf")
    assert headers(root)[0].get("status") is None

    before = timezone.now().replace(microsecond=0)
    withdraw_reorganisation(created, reason="Fejl i kilden", user=archivist)
    after = timezone.now()
    # Its record stays, without the name the creation gave: no authority record any more.
    assert Unit.objects.on_record().filter(slug="oai-kontoret", names=None).exists()
    root = harvest(client, verb="GetRecord", identifier=identifier, metadataPrefix="eac-cpf")
    (header,) = headers(root)
    assert header.get("status") == "deleted"
    assert metadata_roots(root) == []
    # Stamped when it was withdrawn (the withdrawal's writes may span a second).
    stamp = header.findtext("o:datestamp", namespaces=NS)
    assert before.strftime(STAMP) <= stamp <= after.strftime(STAMP)

    apply_reorganisation(
        title="Planlagt placering",
        date=datetime.date(2001, 1, 1),
        user=archivist,
        reason="Test",
        changes=[Place(unit="oai-kontoret", parent=None, name="OAI-kontoret")],
        status=Reorganisation.Status.PLANNED,
    )
    assert not Unit.objects.on_record().filter(slug="oai-kontoret").exists()
    root = harvest(client, verb="GetRecord", identifier=identifier, metadataPrefix="eac-cpf")
    assert headers(root)[0].get("status") == "deleted"


def test_a_unit_only_a_plan_creates_is_not_listed_even_as_deleted(client, archivist):
    apply_reorganisation(
        title="Planlagt oprettelse",
        date=datetime.date(2001, 1, 1),
        user=archivist,
        reason="Test",
        changes=[Create(slug="oai-planlagt", name="Planlagt", parent=None, kind="kontor")],
        status=Reorganisation.Status.PLANNED,
    )
    root = harvest(
        client, verb="GetRecord", identifier=PREFIX + "oai-planlagt", metadataPrefix="oai_dc"
    )
    assert error_code(root) == "idDoesNotExist"
