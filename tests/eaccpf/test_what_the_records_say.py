"""What the EAC-CPF records say about the seed registry's units."""

import datetime

import pytest
from django.utils import timezone

from history.changes import Move
from history.loaders.seed import SEED_REASON
from history.services import apply_reorganisation
from orgunits.exports.eaccpf.schemas import V1, V2, XLINK
from orgunits.models import Unit

from .conftest import find, findall, record, relations, term, unit_url

pytestmark = pytest.mark.django_db

CMR = "center-for-maal-og-rammer"
BOTH = pytest.mark.parametrize("version", [V1, V2])


def relations_of(root, version, kind):
    return [r for r in relations(root, version) if r["type"] == kind]


@BOTH
def test_the_record_id_is_the_units_slug(client, version):
    root = record(client, CMR, version)
    assert find(root, "e:control/e:recordId", version).text == CMR


@BOTH
def test_center_for_maal_og_rammer_is_identified_by_its_starbas_and_asta7_ids(client, version):
    root = record(client, CMR, version)
    tag = "e:entityId" if version == V1 else "e:identityId"
    identifiers = {
        (term(e.get("localType")), e.text)
        for e in findall(root, f"e:cpfDescription/e:identity/{tag}", version)
    }
    assert identifiers == {
        ("starbas", "4942"),
        ("asta7", "dc4cd471-edfc-4c6f-bd6b-72e25875e06c"),
    }


@BOTH
def test_center_for_maal_og_rammer_exists_from_1_september_2008_with_no_end(client, version):
    root = record(client, CMR, version)
    date_range = find(root, ".//e:description/e:existDates/e:dateRange", version)
    start = find(date_range, "e:fromDate", version)
    assert start.get("standardDate") == "2008-09-01"
    assert find(date_range, "e:toDate", version) is None


@BOTH
def test_center_for_maal_og_rammer_is_a_corporate_body_with_its_names(client, version):
    root = record(client, CMR, version)
    entity_type = find(root, ".//e:identity/e:entityType", version)
    assert (entity_type.text if version == V1 else entity_type.get("value")) == "corporateBody"
    names = {
        find(e, "e:part", version).text: term(e.get("localType"))
        for e in findall(root, ".//e:identity/e:nameEntry", version)
    }
    assert names == {
        "Center for Mål og Rammer": None,
        "MR": "shortName",
        "Socialforvaltningen Center for Mål og Rammer": "archive",
    }


@BOTH
def test_center_for_maal_og_rammer_sits_under_the_direktion(client, version):
    root = record(client, CMR, version)
    (parent,) = relations_of(root, version, "hierarchical-parent")
    assert parent["href"] == unit_url("direktion")
    assert parent["from"]["standardDate"] == "2008-09-01"
    assert parent["to"] is None


@BOTH
def test_center_for_maal_og_rammer_has_its_offices_as_children_with_their_dates(client, version):
    root = record(client, CMR, version)
    children = {
        r["href"]: (r["from"].get("standardDate"), (r["to"] or {}).get("standardDate"))
        for r in relations_of(root, version, "hierarchical-child")
    }
    assert children == {
        unit_url("mr-born"): ("2008-09-01", None),
        # toDate is the last day: the two were merged away on 1 March 2011.
        unit_url("mr-handicap-og-psykiatri"): ("2008-09-01", "2011-02-28"),
        unit_url("mr-udsatte"): ("2008-09-01", "2011-02-28"),
        unit_url("mr-voksne"): ("2011-03-01", None),
    }


@BOTH
def test_center_for_maal_og_rammer_cites_its_sources_with_their_passages(client, version):
    root = record(client, CMR, version)
    sources = findall(root, "e:control/e:sources/e:source", version)
    titles = {
        find(s, "e:sourceEntry" if version == V1 else "e:reference", version).text for s in sources
    }
    assert titles == {
        "Stadsarkivets skaberpost: Socialforvaltningen Center for Mål og Rammer",
        "Socialforvaltningen 2008 – Ny organisation i Centralforvaltningen",
    }
    passages = {
        term(span.get("localType")): span.text
        for s in sources
        for span in findall(s, "e:descriptiveNote/e:p/e:span", version)
        if span.text == "Starbas ID 4942"
    }
    assert passages == {"passage": "Starbas ID 4942"}
    text = " ".join(
        span.text for s in sources for span in findall(s, "e:descriptiveNote/e:p/e:span", version)
    )
    assert "blev oprettet i forbindelse med nyorganisering" in text
    assert "002_5e7f1671b2cf0045.txt" in text  # the file the passage is in


def test_in_eac_cpf_2_an_identifier_refers_to_the_source_that_gives_it(client):
    root = record(client, CMR, V2)
    starbas = next(e for e in findall(root, ".//e:identity/e:identityId", V2) if e.text == "4942")
    (source_id,) = starbas.get("sourceReference").split()
    source = find(root, f"e:control/e:sources/e:source[@id='{source_id}']", V2)
    assert find(source, "e:citedRange", V2).text == "Referencer"
    assert "Starbas ID 4942" in [s.text for s in findall(source, ".//e:span", V2)]


@BOTH
def test_mr_voksne_was_preceded_by_the_two_offices_merged_on_1_march_2011(client, version):
    root = record(client, "mr-voksne", version)
    earlier = {
        r["href"]: (r["change"], r["date"].get("standardDate"))
        for r in relations_of(root, version, "temporal-earlier")
    }
    assert earlier == {
        unit_url("mr-handicap-og-psykiatri"): ("merged", "2011-03-01"),
        unit_url("mr-udsatte"): ("merged", "2011-03-01"),
    }
    assert relations_of(root, version, "temporal-later") == []


@BOTH
@pytest.mark.parametrize("slug", ["mr-handicap-og-psykiatri", "mr-udsatte"])
def test_the_merged_offices_were_followed_by_mr_voksne_on_1_march_2011(client, version, slug):
    root = record(client, slug, version)
    (later,) = relations_of(root, version, "temporal-later")
    assert later["href"] == unit_url("mr-voksne")
    assert later["change"] == "merged"
    assert later["date"]["standardDate"] == "2011-03-01"
    end = find(root, ".//e:existDates/e:dateRange/e:toDate", version)
    assert end.get("standardDate") == "2011-02-28"  # its last day


def test_a_merged_office_is_not_a_deleted_record(client):
    """deletedMerged is about merged duplicate authority records, not merged units."""
    for version in (V1, V2):
        root = record(client, "mr-udsatte", version)
        status = (
            find(root, "e:control/e:maintenanceStatus", V1).text
            if version == V1
            else find(root, "e:control", V2).get("maintenanceStatus")
        )
        assert status == "new"  # the seed's records are drafts


@BOTH
def test_the_legal_units_uncertain_move_is_dated_only_as_precisely_as_known(client, version):
    root = record(client, "tvaergaaende-juridisk-enhed", version)
    parents = {r["href"]: r for r in relations_of(root, version, "hierarchical-parent")}
    under_udsatte = parents[unit_url("mr-udsatte")]
    under_haps = parents[unit_url("mr-handicap-og-psykiatri")]
    assert under_udsatte["from"]["standardDate"] == "2008-09-01"
    # The move took effect some day from 2 September 2008 to 30 November 2010, so the last
    # day under MR Udsatte lies a day earlier, from 1 September 2008 to 29 November 2010.
    moved, last_day = under_haps["from"], under_udsatte["to"]
    for date, bounds in (
        (moved, ("2008-09-02", "2010-11-30")),
        (last_day, ("2008-09-01", "2010-11-29")),
    ):
        assert "standardDate" not in date
        assert (date.get("notBefore"), date.get("notAfter")) == bounds
        assert term(date.get("localType")) == "range"
    assert under_haps["to"]["standardDate"] == "2010-11-30"  # dissolved on 1 December 2010
    # The registry switches the structure on 30 November 2010; the record must not say so.
    assert not root.xpath("//*[@standardDate='2010-11-29']")


@BOTH
def test_a_unit_from_before_the_sources_has_no_invented_start(client, version):
    root = record(client, "socialforvaltningen", version)
    start = find(root, ".//e:existDates/e:dateRange/e:fromDate", version)
    assert "standardDate" not in start.attrib
    assert start.get("notAfter") == "2008-05-31"
    assert "notBefore" not in start.attrib
    assert term(start.get("localType")) == "beforeRecords"
    if version == V2:
        assert start.get("status") == "unknown"


@BOTH
def test_an_approximate_end_says_it_is_approximate(client, version):
    root = record(client, "kvalitets-og-tilsynskontoret", version)
    end = find(root, ".//e:existDates/e:dateRange/e:toDate", version)
    # Planen: the inspection tasks stayed in the office "til udgangen af 2008".
    assert end.get("standardDate") == "2008-12-31"
    assert term(end.get("localType")) == "approximate"
    if version == V2:
        assert end.get("certainty") == "approximate"


@BOTH
def test_the_history_of_the_record_lists_its_reorganisations(client, version):
    root = record(client, "tvaergaaende-juridisk-enhed", version)
    items = findall(root, ".//e:biogHist/e:chronList/e:chronItem", version)
    assert [term(i.get("localType")) for i in items] == ["created", "moved", "dissolved"]
    moved = find(items[1], "e:date", version)
    assert "standardDate" not in moved.attrib
    assert find(items[1], "e:event", version).text == (
        "Tværgående juridisk enhed overgår til MR Handicap og Psykiatri"
    )


def _events(root, version):
    found = []
    for event in findall(root, "e:control/e:maintenanceHistory/e:maintenanceEvent", version):
        if version == V1:
            kind = find(event, "e:eventType", V1).text
            agent_type = find(event, "e:agentType", V1).text
            agent = find(event, "e:agent", V1)
        else:
            kind = event.get("maintenanceEventType")
            agent = find(event, "e:agent", V2)
            agent_type = agent.get("agentType")
        description = find(event, "e:eventDescription", version)
        moment = find(event, "e:eventDateTime", version).get("standardDateTime")
        found.append(
            {
                "kind": kind,
                "agent_type": agent_type,
                "agent": agent.text,
                "description": description.text if description is not None else None,
                "moment": datetime.datetime.fromisoformat(moment),
            }
        )
    return found


@BOTH
def test_the_maintenance_history_names_the_archivist_and_reason_of_a_real_edit(
    client, archivist, version
):
    archivist.first_name, archivist.last_name = "Karen", "Arkivar"
    archivist.save()
    unit = Unit.objects.get(slug="mr-born")
    unit.functions = "Betjening af Socialudvalget."
    unit._history_user = archivist
    unit._change_reason = "Funktioner tilføjet fra planen"
    unit.full_clean()
    unit.save()

    events = _events(record(client, "mr-born", version), version)

    first, last = events[0], events[-1]
    assert first == {**first, "kind": "created", "agent_type": "machine"}
    assert first["agent"] == "Registret (system)"
    assert first["description"] == SEED_REASON
    assert last["kind"] == "revised"
    assert last["agent_type"] == "human"
    assert last["agent"] == "Karen Arkivar"
    assert last["description"] == "Funktioner tilføjet fra planen"
    assert abs(last["moment"] - timezone.now()) < datetime.timedelta(minutes=5)
    assert [e["moment"] for e in events] == sorted(e["moment"] for e in events)


def test_relations_link_to_the_related_units_page(client):
    root = record(client, "mr-born", V1)
    (parent,) = findall(root, ".//e:cpfRelation[@cpfRelationType='hierarchical-parent']", V1)
    assert parent.get(f"{{{XLINK}}}href") == unit_url("center-for-maal-og-rammer")
    assert find(parent, "e:relationEntry", V1).text == "Center for Mål og Rammer"


@BOTH
def test_the_centres_history_includes_the_changes_to_its_offices(client, version):
    # Stadsarkivet, "Beskrivelse": the legal unit "overgik på et tidspunkt til MR Handicap og
    # Psykiatri", and MR Handicap og Psykiatri and MR Udsatte were merged on 1 March 2011,
    # both within Center for Mål og Rammer.
    root = record(client, CMR, version)
    items = findall(root, ".//e:biogHist/e:chronList/e:chronItem", version)
    events = [(term(i.get("localType")), find(i, "e:event", version).text) for i in items]
    assert events == [
        ("created", "Ny organisation i Centralforvaltningen"),
        ("within", "Tværgående juridisk enhed overgår til MR Handicap og Psykiatri"),
        ("within", "MR Handicap og Psykiatri og MR Udsatte lægges sammen til MR Voksne"),
    ]
    moved = find(items[1], "e:date", version)
    assert "standardDate" not in moved.attrib and moved.get("notAfter") == "2010-11-30"


@BOTH
def test_center_for_maal_og_rammer_carries_the_archives_authorised_form_under_its_convention(
    client, version
):
    # Stadsarkivet, "Detaljer": "Navn Socialforvaltningen Center for Mål og Rammer".
    root = record(client, CMR, version)
    entry = next(
        e
        for e in findall(root, "e:cpfDescription/e:identity/e:nameEntry", version)
        if find(e, "e:part", version).text == "Socialforvaltningen Center for Mål og Rammer"
    )
    assert term(entry.get("localType")) == "archive"
    if version == V1:
        assert find(entry, "e:authorizedForm", version).text == "KSA"
        codes = findall(root, "e:control/e:conventionDeclaration/e:abbreviation", version)
    else:
        assert entry.get("status") == "authorized"
        assert entry.get("conventionDeclarationReference") == "KSA"
        codes = findall(root, "e:control/e:conventionDeclaration/e:shortCode", version)
    assert "KSA" in {c.text for c in codes}


def structure_items(client, slug, version):
    root = record(client, slug, version)
    return [item.text for item in findall(root, ".//e:structureOrGenealogy/e:list/e:item", version)]


@BOTH
def test_center_for_maal_og_rammer_lists_its_offices_and_cross_cutting_units_over_time(
    client, version
):
    # Stadsarkivet, "Beskrivelse": the centre "bestod af følgende kontorer" and "de tre
    # nedenstående opgaver, som hver blev forankret hos en MR-kontorchef", the legal unit
    # "På et tidspunkt overgået til MR Handicap og Psykiatri".
    items = structure_items(client, CMR, version)
    assert "Mål- og Rammekontoret for Børn og familier (kontor): fra 1. september 2008" in items
    assert "Mål- og Rammekontoret for Voksne (kontor): fra 1. marts 2011" in items
    legal = [i for i in items if i.startswith("Tværgående juridisk enhed")]
    assert legal == [
        "Tværgående juridisk enhed (tværgående, forankret hos kontorchefen for Mål- og "
        "Rammekontoret for Udsatte grupper, Misbrug og bolig): fra 1. september 2008 indtil på "
        "et tidspunkt mellem 2. september 2008 og 30. november 2010",
        "Tværgående juridisk enhed (tværgående, forankret hos kontorchefen for Mål- og "
        "Rammekontoret for Handicap og Psykiatri): fra på et tidspunkt mellem 2. september 2008 "
        "og 30. november 2010 til og med 30. november 2010",
    ]


def test_the_structure_in_the_record_is_written_from_the_registry_not_typed(client):
    apply_reorganisation(
        title="Effektstyring forankres hos MR Udsatte",
        date=datetime.date(2010, 1, 1),
        changes=[Move(unit="effektstyring", to="mr-udsatte")],
        reason="Referat",
    )
    items = structure_items(client, CMR, V1)
    assert (
        "Tværgående enhed for udvikling af effektstyring (tværgående, forankret hos kontorchefen "
        "for Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig): fra 1. januar 2010 "
        "til og med 28. februar 2011"
    ) in items  # until MR Udsatte is merged into MR Voksne
