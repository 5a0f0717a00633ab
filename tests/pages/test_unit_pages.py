"""/units/ and /units/<slug>/ — finding a unit and reading its record."""

import html
import re

import pytest

from orgunits.models import Unit

pytestmark = pytest.mark.django_db


def test_a_unit_page_shows_its_names_placements_and_identifiers(client):
    html = client.get("/units/center-for-maal-og-rammer/", {"date": "2009-01-01"}).content.decode()
    assert "<h1>Center for Mål og Rammer" in html
    assert "4942" in html and "dc4cd471-edfc-4c6f-bd6b-72e25875e06c" in html
    assert "Kommunal institution" in html
    assert "1. september 2008" in html
    assert "Socialforvaltningen Center for Mål og Rammer" in html  # the archive's form


def test_a_unit_page_shows_the_units_below_it_on_the_date(client):
    before = client.get("/units/center-for-maal-og-rammer/", {"date": "2011-02-28"})
    after = client.get("/units/center-for-maal-og-rammer/", {"date": "2011-03-01"})
    assert "Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig" in before.content.decode()
    assert "Mål- og Rammekontoret for Voksne" in after.content.decode()


def test_a_cross_cutting_unit_says_what_it_was_anchored_with(client):
    html = client.get(
        "/units/tvaergaaende-juridisk-enhed/", {"date": "2008-10-01"}
    ).content.decode()
    assert "Forankret hos" in html
    assert "Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig" in html
    later = client.get("/units/tvaergaaende-juridisk-enhed/", {"date": "2010-11-30"})
    assert "Mål- og Rammekontoret for Handicap og Psykiatri" in later.content.decode()


def test_a_merged_unit_names_its_successor_and_the_result_its_predecessors(client):
    haps = client.get("/units/mr-handicap-og-psykiatri/", {"date": "2010-01-01"}).content.decode()
    assert "Lagt sammen med" in haps or "Sammenlagt i" in haps
    assert 'href="/units/mr-voksne/?date=2011-03-01"' in haps
    voksne = client.get("/units/mr-voksne/", {"date": "2011-03-01"}).content.decode()
    assert "Sammenlagt fra" in voksne
    assert 'href="/units/mr-udsatte/?date=2011-02-28"' in voksne


def test_a_unit_page_lists_the_reorganisations_and_the_edits_with_who_and_why(client):
    html = client.get("/units/tvaergaaende-juridisk-enhed/").content.decode()
    assert "Den tværgående juridiske enhed opløses" in html
    assert "Tværgående juridisk enhed overgår til MR Handicap og Psykiatri" in html
    assert "Indlæst fra kildematerialet" in html  # the reason of the seed load
    assert "Registret (system)" in html  # who


def test_a_unit_page_shows_its_sources_and_the_sources_disagreement(client):
    html = client.get("/units/center-for-maal-og-rammer/").content.decode()
    assert "002_5e7f1671b2cf0045.txt" in html


def test_a_unit_page_before_the_unit_existed_says_so(client):
    html = client.get("/units/mr-voksne/", {"date": "2009-01-01"}).content.decode()
    assert "Enheden fandtes ikke den 1. januar 2009." in html


def test_an_unknown_unit_is_a_404_that_names_it(client):
    response = client.get("/units/findes-ikke/")
    assert response.status_code == 404
    assert "Registret har ingen enhed «findes-ikke»." in response.content.decode()


def test_the_list_finds_units_by_name_kind_and_date(client):
    html = client.get("/units/", {"q": "Voksne"}).content.decode()
    assert 'href="/units/mr-voksne/' in html
    html = client.get("/units/", {"kind": "tvaergaaende_enhed", "date": "2011-01-01"})
    html = html.content.decode()
    assert 'href="/units/effektstyring/' in html
    assert 'href="/units/tvaergaaende-juridisk-enhed/' not in html
    html = client.get("/units/", {"q": "4942"}).content.decode()
    assert 'href="/units/center-for-maal-og-rammer/' in html


def test_the_list_finds_the_units_with_no_target_group(client):
    html = client.get("/units/", {"target_group": "none", "date": "2010-01-01"}).content
    html = html.decode()
    assert 'href="/units/direktion/' in html  # for every target group
    assert 'href="/units/mr-born/' not in html
    assert "Ingen målgruppe" in html  # the choice in the filter


def test_the_list_is_paginated(client):
    html = client.get("/units/", {"page": "2"}).content.decode()
    assert "Side 2 af" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "planet"}, "Marker en gyldig valgmulighed. planet er ikke en af"),
        ({"target_group": "x"}, "Marker en gyldig valgmulighed."),
        ({"date": "2011-13-01"}, "er ikke en dato, der findes i kalenderen"),
        ({"q": "x" * 500}, "højst have 200 tegn"),
    ],
)
def test_unknown_filter_values_are_a_400_that_says_what_was_wrong(client, params, message):
    response = client.get("/units/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def section(response, heading: str) -> str:
    """The page from the heading that begins with `heading` to the next heading."""
    html_text = response.content.decode()
    start = html_text.index(f"<h2>{heading}")
    end = html_text.find("<h2>", start + 1)
    return html_text[start : end if end != -1 else None]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_a_units_existence_ends_on_its_last_day_not_on_the_day_it_no_longer_existed(client):
    # Stadsarkivet, "Beskrivelse": MR Handicap og Psykiatri and MR Udsatte "blev lagt sammen
    # til Mål- og Rammekontoret for Voksne" on 1 March 2011, so 28 February was their last day.
    page = text_of(client.get("/units/mr-handicap-og-psykiatri/", {"date": "2011-03-01"}))
    assert "Enheden fandtes ikke den 1. marts 2011" in page
    assert "til og med 28. februar 2011" in page
    assert "– 1. marts 2011" not in page
    listing = text_of(client.get("/units/", {"q": "Handicap og Psykiatri"}))
    assert "til og med 28. februar 2011" in listing


def test_a_unit_page_names_the_unit_each_listed_change_created(client):
    # Planen, "Centralforvaltningens fremtidige organisering": the centre is created with an
    # MR office per target group; a bare "Oprettet" three times says nothing of which.
    page = text_of(client.get("/units/center-for-maal-og-rammer/", {"date": "2009-01-01"}))
    assert "Oprettet: Mål- og Rammekontoret for Børn og familier → Center for Mål og Rammer" in page
    assert "Oprettet: Center for Mål og Rammer" in page


def test_a_date_inside_an_uncertain_end_is_not_said_to_lie_after_it(client):
    # Planen, "Kvalitets- og Tilsynskontoret": the inspection tasks stay together "til
    # udgangen af 2008" — about then, not exactly on 1 January 2009.
    page = text_of(client.get("/units/kvalitets-og-tilsynskontoret/", {"date": "2009-01-01"}))
    assert "Det vides ikke, om enheden fandtes den 1. januar 2009" in page
    assert "Enheden fandtes ikke den 1. januar 2009" not in page
    assert "indtil omkring 1. januar 2009" in page
    later = text_of(client.get("/units/kvalitets-og-tilsynskontoret/", {"date": "2010-01-01"}))
    assert "Enheden fandtes ikke den 1. januar 2010" in later


def test_a_unit_whose_parent_moved_keeps_one_placement_from_its_own_start(client):
    # Planen, "Handicapområdet": Projektenheden for hjemmeplejen sits in MR Handicap og
    # Psykiatri from 1 June 2008; on 1 September 2008 only MR Haps moved, into the new centre.
    page = client.get("/units/projektenheden-for-hjemmeplejen/", {"date": "2010-01-01"})
    placements = section(page, "Placering over tid")
    # The header, MR Haps from 1 June 2008, MR Voksne after the merger of 1 March 2011.
    assert placements.count("<tr") == 3
    assert placements.count("Mål- og Rammekontoret for Handicap og Psykiatri") == 1
    assert "1. juni 2008" in placements


def test_a_sub_unit_no_source_dates_existed_by_september_2008_not_from_an_exact_day(client):
    # Planen, "IT og Ledelsesinformation": "Socialforvaltningens trykkeri, der udfører opgaver
    # for hele kommunen, er forankret i kontoret." — no source says since when.
    page = text_of(client.get("/units/trykkeriet/", {"date": "2009-01-01"}))
    assert "Fandtes fra senest 1. september 2008" in page


def test_a_units_tasks_say_which_are_the_registrys_reading_and_which_are_uncertain(client):
    # Planen: strategy and economic planning are done "i dag" in the MR offices; which of
    # the tasks, and since when, is the registry's reading.
    before = client.get("/units/mr-kontorerne-foer-2008/", {"date": "2008-01-01"})
    tasks = section(before, "Opgaver den")
    assert 'href="/tasks/budgetansvar-born/"' in tasks
    assert "registrets fortolkning</span>" in tasks
    # Stadsarkivet: the legal unit left MR Udsatte "på et tidspunkt" (2008–2010).
    udsatte = client.get("/units/mr-udsatte/", {"date": "2009-06-01"})
    assert "usikker på denne dato" in section(udsatte, "Opgaver den")


def test_the_unit_list_is_sorted_by_name_on_its_date(client):
    # Issue 15: it was sorted by slug, so "Økonomiservice" (oekonomiservice) came among the
    # O's and the MR offices (mr-…) before "Mål- og Rammekontoret …" would be looked for.
    for params in ({"date": "2010-06-01"}, {}):
        page = client.get("/units/", params).content.decode()
        names = re.findall(r'<td><a href="/units/[^"]+">([^<]+)</a>', page)
        assert len(names) > 10
        assert names == sorted(names), names
    page = client.get("/units/", {"date": "2009-01-01"}).content.decode()
    names = re.findall(r'<td><a href="/units/[^"]+">([^<]+)</a>', page)
    # The name on the date decides: MR Udsatte's office under its 2009 name.
    assert "Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig" in names


def test_the_edit_history_of_a_unit_says_what_happened_in_danish(client, archivist):
    # Issue 15's trial: "Changed: placering" among Danish "Oprettet:" entries.
    name = Unit.objects.get(slug="mr-born").names.get(kind="authorised")
    name._change_reason, name._history_user = "Stavefejl", archivist
    name.save()
    edits = section(client.get("/units/mr-born/"), "Postens redigeringshistorik")
    assert "Ændret: " in edits and "Oprettet: " in edits
    assert "Changed" not in edits and "Created" not in edits


def test_the_unit_page_shows_its_path_to_the_top_on_the_date(client):
    html = client.get("/units/loen-enheden/", {"date": "2010-01-01"}).content.decode()
    trail = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0)
    steps = re.findall(r'href="/units/([a-z0-9-]+)/\?date=2010-01-01"', trail)
    assert steps == [
        "socialforvaltningen",
        "direktion",
        "center-for-tvaergaaende-funktioner",
        "personale-og-organisationskontoret",
    ]
    assert '<li aria-current="page">Løn-enheden</li>' in trail


def test_the_path_follows_the_date(client):
    # MR Voksne's sub-unit, before the merger, lay under MR Handicap og Psykiatri.
    before = client.get("/units/projektenheden-for-hjemmeplejen/", {"date": "2010-01-01"})
    after = client.get("/units/projektenheden-for-hjemmeplejen/", {"date": "2011-03-01"})
    trail = [
        re.search(rb'<nav class="breadcrumb".*?</nav>', r.content, re.S).group(0)
        for r in (before, after)
    ]
    assert b"/units/mr-handicap-og-psykiatri/?date=2010-01-01" in trail[0]
    assert b"/units/mr-voksne/?date=2011-03-01" in trail[1]
    assert b"mr-voksne" not in trail[0]
