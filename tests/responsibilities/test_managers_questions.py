"""The questions managers ask, answered by the lookup as they would ask them."""

import pytest
from django.urls import reverse

from orgunits.models import Unit
from responsibilities.models import Responsibility, Task

pytestmark = pytest.mark.django_db


def owners(rows: list[dict]) -> dict[str, dict]:
    return {row["task_slug"]: row for row in rows if row["role"] == "owner"}


def test_private_opholdssteder_are_supervised_by_the_three_du_offices(lookup):
    found = owners(lookup(q="tilsyn med private opholdssteder", date="2011-06-01"))
    assert {slug: row["unit_slug"] for slug, row in found.items()} == {
        "private-opholdssteder-born": "du-born",
        "private-opholdssteder-haps": "du-handicap-og-psykiatri",
        "private-opholdssteder-udsatte": "du-udsatte",
    }
    born = found["private-opholdssteder-born"]
    assert born["unit_path"] == [
        "Socialforvaltningen",
        "Direktionen",
        "Center for Drift og Udvikling",
        "Drifts- og Udviklingskontoret for Børn og familier",
    ]
    assert born["certainty"] == "approximate"
    assert born["inferred"] is True
    assert any("private opholdssteder" in c["excerpt"] for c in born["source"])


def test_in_2008_the_supervision_stayed_with_kvalitets_og_tilsynskontoret(lookup):
    found = owners(lookup(q="private opholdssteder", date="2008-10-01"))
    assert {row["unit_slug"] for row in found.values()} == {"kvalitets-og-tilsynskontoret"}
    assert {row["certainty"] for row in found.values()} == {"unknown"}


def test_salaries_with_the_centre_leaders_are_negotiated_by_the_du_offices(lookup):
    rows = lookup(q="lønforhandlinger med ledelsen", date="2009-06-01")
    named_for_it = rows[:3]
    assert {row["task_slug"] for row in named_for_it} == {
        "loenforhandling-centerledelse-born",
        "loenforhandling-centerledelse-haps",
        "loenforhandling-centerledelse-udsatte",
    }
    assert {(row["role"], row["unit_slug"]) for row in named_for_it} == {
        ("owner", "du-born"),
        ("owner", "du-handicap-og-psykiatri"),
        ("owner", "du-udsatte"),
    }
    # Løn-enheden's own negotiations mention the centre leaders' only to point to the DU offices.
    assert [row["task_slug"] for row in rows[3:]] == ["overordnede-loenforhandlinger"]


def test_lus_finds_the_leadership_development_talks_held_by_the_du_office_chiefs(lookup):
    by_abbreviation = owners(lookup(q="LUS", date="2009-06-01")[:3])
    by_full_word = owners(lookup(q="ledelsesudviklingssamtaler", date="2009-06-01")[:3])
    assert set(by_abbreviation) == set(by_full_word) == {"lus-born", "lus-haps", "lus-udsatte"}
    assert by_abbreviation["lus-born"]["post"] == "Kontorchef for DU Børn og familier"


def test_tasks_named_lus_come_before_tasks_that_only_mention_it(lookup):
    slugs = [row["task_slug"] for row in lookup(q="LUS", date="2009-06-01")]
    assert sorted(slugs[:3]) == ["lus-born", "lus-haps", "lus-udsatte"]
    # The HR office's leadership development mentions the talks in its description.
    assert slugs[3:] == ["ledelsesudvikling-og-ledelsesevaluering"]


def test_a_short_word_matches_whole_words_only(lookup):
    inclusion = Task.objects.create(slug="inklusion", name="Inklusion af borgere", category="drift")
    Responsibility.objects.create(task=inclusion, unit=Unit.objects.get(slug="mr-born"))
    assert "inklusion" not in {row["task_slug"] for row in lookup(q="lus")}
    assert "inklusion" in {row["task_slug"] for row in lookup(q="klusion")}


def test_visitation_of_adults_with_mental_illness_was_mr_haps_in_may_2010(lookup):
    (owner,) = [
        row
        for row in lookup(q="visitation af voksne med sindslidelse", date="2010-05-15")
        if row["role"] == "owner"
    ]
    assert owner["unit"] == "Mål- og Rammekontoret for Handicap og Psykiatri"
    assert owner["valid_to"] == "2010-06-01"
    # The archive says only that it moved away on 1 June 2010, not since when MR Haps had it.
    assert owner["certainty"] == "range"
    assert (owner["not_before"], owner["not_after"]) == ("2008-06-01", "2010-05-31")
    assert owner["uncertain"] is True


def test_visitation_of_adults_with_mental_illness_is_socialcenter_koebenhavn_from_june_2010(
    lookup,
):
    (owner,) = [
        row
        for row in lookup(q="visitation af voksne med sindslidelse", date="2010-06-01")
        if row["role"] == "owner"
    ]
    assert owner["unit_slug"] == "socialcenter-koebenhavn"
    assert owner["unit_path"] == ["Socialforvaltningen", "Socialcenter København"]
    assert owner["valid_from"] == "2010-06-01"
    assert owner["inferred"] is False
    assert any("Socialcenter København" in c["excerpt"] for c in owner["source"])


def test_the_page_answers_the_visitation_question_in_words(english):
    html = english.get(
        reverse("responsibilities:lookup"), {"q": "visitation sindslidelse", "date": "2010-05-15"}
    ).content.decode()
    assert "Mål- og Rammekontoret for Handicap og Psykiatri" in html
    assert (
        "Socialforvaltningen › Direktionen › Center for Mål og Rammer › "
        "Mål- og Rammekontoret for Handicap og Psykiatri" in html
    )
    assert "some time between June 1, 2008 and May 31, 2010" in html
    assert "uncertain on this date" in html
    assert "1. juni 2010 flyttede to områder fra MR Handicap og Psykiatri" in html


def test_a_shared_task_shows_its_partner_beside_the_owner(lookup):
    rows = lookup(q="samlet budgetansvar børn", date="2009-06-01")
    # After it comes a task that mentions "det samlede budgetansvar" (found through the stem).
    assert rows[0]["task_slug"] == "budgetansvar-born"
    rows = [row for row in rows if row["task_slug"] == "budgetansvar-born"]
    assert {(row["unit_slug"], row["role"]) for row in rows} == {
        ("mr-born", "owner"),
        ("du-born", "partner"),
    }


def test_the_legal_unit_is_anchored_with_the_mr_udsatte_chief_until_it_moves(lookup):
    def anchored(date):
        return {
            (row["unit_slug"], row["post"])
            for row in lookup(q="praksisbeskrivelse", date=date)
            if row["role"] == "anchored_with"
        }

    assert anchored("2009-06-01") == {
        ("mr-udsatte", "Kontorchef for MR Udsatte grupper, misbrug og bolig")
    }
    assert anchored("2010-11-30") == {
        ("mr-handicap-og-psykiatri", "Kontorchef for MR Handicap og Psykiatri")
    }
    assert anchored("2010-12-01") == set()
