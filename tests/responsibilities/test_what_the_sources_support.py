"""The task record says what the sources support, as the registry's reading where it is one
(issue 13's audit); each test names the passage it rests on."""

import pytest

from history.loaders.seed import TASKS_FIXTURE, read_fixture

pytestmark = pytest.mark.django_db


def holders(client, q, date):
    return client.get("/tasks/", {"q": q, "date": date, "format": "json"}).json()


def test_before_september_2008_the_mr_offices_did_the_budget_work_as_the_registrys_reading(
    client,
):
    # Planen, "Centralforvaltningens fremtidige organisering": "Centralforvaltningens opgaver
    # består i dag af tre typer af kernefunktioner: … Strategi og økonomisk planlægning.
    # Opgaverne varetages i Mål- og Ramme-kontorerne (MR)".
    found = [
        h for h in holders(client, "samlet budgetansvar", "2008-08-31") if h["role"] == "owner"
    ]
    born = next(h for h in found if h["task_slug"] == "budgetansvar-born")
    assert born["unit_slug"] == "mr-kontorerne-foer-2008"
    assert born["inferred"] is True
    assert born["start"]["certainty"] == "range" and born["last_day"] == "2008-08-31"


def test_the_legal_units_tasks_went_also_to_mr_born_and_mr_udsatte(client):
    # Stadsarkivet, "Beskrivelse": "Enhedens opgaver blev placeret hos sekretariatet, MR
    # Handicap og Psykiatri, Socialcenter København, MR Børn og MR Udsatte."
    found = holders(client, "juridisk rådgivning", "2010-12-01")
    units = {(h["unit_slug"], h["role"], h["inferred"]) for h in found}
    assert ("mr-born", "partner", True) in units
    assert ("mr-udsatte", "partner", True) in units


def test_a_note_that_calls_itself_the_registrys_reading_is_flagged_as_inferred(client):
    # The secretariat's tasks before 2008: "at sekretariatet fandtes før og havde opgaven
    # allerede da, er registrets læsning".
    found = holders(client, "intern kommunikation", "2008-01-01")
    secretariat = next(
        h for h in found if h["unit_slug"] == "borgmester-og-direktionssekretariatet"
    )
    assert secretariat["inferred"] is True
    assert "registrets læsning" in secretariat["note"]


def test_every_responsibility_whose_note_calls_it_the_registrys_reading_is_flagged():
    # The audit found notes saying "registrets læsning" on rows marked as stated by a source.
    unflagged = [
        (task["slug"], held["unit"])
        for task in read_fixture(TASKS_FIXTURE)["tasks"]
        for held in task["responsibilities"]
        if "registrets" in (held.get("note") or "") and not held.get("inferred")
    ]
    assert unflagged == []
