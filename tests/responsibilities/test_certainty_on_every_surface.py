"""The task lookup says a holder is as certain as the data: the anchoring of the legal unit
with MR Udsatte ended "på et tidspunkt" (the archive), so on a date inside that range the
lookup, its JSON and the task page say it is uncertain, as the chart's dashed line does."""

import pytest

pytestmark = pytest.mark.django_db

# Stadsarkivet, "Beskrivelse": "Den tværgående juridiske enhed overgik på et tidspunkt til MR
# Handicap og Psykiatri" — some day between 2 September 2008 and 30 November 2010.
INSIDE_THE_RANGE = "2009-06-01"
BEFORE_THE_RANGE = "2008-09-01"


def anchoring(client, date):
    answers = client.get(
        "/tasks/", {"q": "klagesagsbehandling", "date": date, "format": "json"}
    ).json()
    return next(
        a
        for a in answers
        if a["unit_slug"] == "mr-udsatte"
        and a["role"] == "anchored_with"
        and a["task_slug"] == "klagesagsbehandling-kvalitet"
    )


def test_the_anchoring_with_mr_udsatte_is_uncertain_inside_the_range_of_the_move(client):
    answer = anchoring(client, INSIDE_THE_RANGE)
    assert answer["uncertain"] is True
    assert answer["end"]["certainty"] == "range"
    assert answer["end"]["not_after"] == "2010-11-30"


def test_the_anchoring_is_certain_on_the_day_the_plan_gives(client):
    # Planen, "Tværgående juridisk enhed": "forankres hos kontorchefen for MR Udsatte …".
    assert anchoring(client, BEFORE_THE_RANGE)["uncertain"] is False


def test_the_lookup_page_marks_the_anchoring_uncertain(client):
    page = client.get("/tasks/", {"q": "klagesagsbehandling", "date": INSIDE_THE_RANGE})
    text = page.content.decode()
    assert "usikker på denne dato" in text
