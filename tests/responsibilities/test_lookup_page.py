"""/tasks/ — the search form, browsing by category, its pages, the JSON, and bad input."""

import datetime
import re

import pytest
from django.urls import reverse

from responsibilities.lookup import answers_on
from responsibilities.models import Responsibility, Task
from responsibilities.search import ranking
from responsibilities.views import EXAMINED, SHOWN
from tests.conftest import LARGE_ON

pytestmark = pytest.mark.django_db


@pytest.fixture
def url():
    return reverse("responsibilities:lookup")


def test_without_a_query_it_shows_the_search_form_and_the_categories(english, url):
    html = english.get(url).content.decode()
    assert html.count("<h1") == 1
    assert '<label for="task-q">' in html and '<label for="task-date">' in html
    assert "?category=oekonomi&amp;" in html
    assert "?category=tilsyn&amp;" in html


def test_a_category_lists_its_tasks_with_their_owners(english, url):
    html = english.get(url, {"category": "kommunikation", "date": "2009-06-01"})
    html = html.content.decode()
    assert "Kommunikation og pressekontakt" in html
    assert "Intern kommunikation: intranet, personaleblad mv." in html
    assert "Borgmester- og Direktionssekretariatet" in html
    assert "Budgetprocessen" not in html


def test_a_query_without_a_match_says_so_and_suggests_close_task_names(english, url):
    html = english.get(url, {"q": "opholdsteder", "date": "2011-06-01"}).content.decode()
    assert "No task matches “opholdsteder”." in html
    assert "Did you mean:" in html
    assert "Godkendelse af og tilsyn med private opholdssteder (Børn og familier)" in html


def test_a_task_without_a_recorded_holder_is_listed_as_not_recorded_not_as_unheld(english, url):
    # Planen says what the offices did "i dag" only in general terms: the registry knows of
    # no holder then, which is not knowing that there was none.
    html = english.get(url, {"q": "visitation handicap", "date": "2008-05-01"})
    html = html.content.decode()
    assert "No holder of these tasks is recorded on" in html
    assert "No unit held" not in html
    assert "Visitation af børn og voksne med handicap" in html


def test_the_json_has_one_object_per_unit_holding_a_matching_task(client, url):
    response = client.get(url, {"q": "LUS", "date": "2009-06-01", "format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    rows = response.json()
    assert {r["task_slug"] for r in rows} >= {"lus-born", "lus-haps", "lus-udsatte"}
    row = next(r for r in rows if r["task_slug"] == "lus-haps")
    assert {
        "task",
        "unit",
        "unit_path",
        "role",
        "post",
        "valid_from",
        "valid_to",
        "certainty",
        "source",
    } <= set(row)
    assert row["task"].startswith("LedelsesUdviklingsSamtaler (LUS)")
    assert row["unit"] == "Drifts- og Udviklingskontoret for Handicap og Psykiatri"
    assert row["unit_path"] == [
        "Socialforvaltningen",
        "Direktionen",
        "Center for Drift og Udvikling",
        "Drifts- og Udviklingskontoret for Handicap og Psykiatri",
    ]
    assert (row["role"], row["post"]) == ("owner", "Kontorchef for DU Handicap og Psykiatri")
    assert (row["valid_from"], row["valid_to"], row["certainty"]) == ("2008-06-01", None, "exact")
    (source, *_) = row["source"]
    assert source["file"] == "000_7f4f08f491bf5be0.txt"
    assert source["heading"] == "Ansvar og opgaver i et Drifts- og Udviklingskontor (DU)"
    assert "LedelsesUdviklingsSamtaler (LUS)" in source["excerpt"]


def test_the_json_of_a_query_without_a_match_is_an_empty_list(client, url):
    response = client.get(url, {"q": "findes ikke", "format": "json"})
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(
    "params",
    [
        {"date": "2010-13-01"},
        {"date": "1. juni 2010"},
        {"q": "tilsyn", "date": "2010-02-30"},
        {"q": "x" * 201},
        {"category": "ukendt"},
        {"q": "tilsyn", "page": "to"},
        {"q": "tilsyn", "page": "0"},
        {"q": "tilsyn", "page": "1" + "0" * 30},
        {"q": "tilsyn", "page": "٣"},
        {"q": "tilsyn", "page": "1_0"},
    ],
    ids=[
        "impossible-date",
        "malformed-date",
        "impossible-date-with-query",
        "long",
        "category",
        "page-in-words",
        "page-zero",
        "page-past-any-offset",
        "page-in-other-digits",
        "page-with-underscore",
    ],
)
@pytest.mark.parametrize("as_json", [False, True], ids=["html", "json"])
def test_bad_input_is_a_400_that_says_what_is_wrong(english, url, params, as_json):
    if as_json:
        params = {**params, "format": "json"}
    response = english.get(url, params)
    assert response.status_code == 400
    if as_json:
        assert response.json()["error"]
    else:
        assert 'class="error-message"' in response.content.decode()


def test_an_over_long_query_says_how_long_a_query_may_be(english, url):
    response = english.get(url, {"q": "x" * 250, "format": "json"})
    assert response.status_code == 400
    assert "at most 200 characters" in response.json()["error"]


def test_a_query_of_200_characters_is_answered(client, url):
    response = client.get(url, {"q": "tilsyn " + "x" * 193})
    assert response.status_code == 200


def test_json_without_a_query_or_category_is_a_400(client, url):
    response = client.get(url, {"format": "json"})
    assert response.status_code == 400


def test_only_get_is_allowed(client, url):
    assert client.post(url, {"q": "LUS"}).status_code == 405


def _slugs(html: str) -> list[str]:
    """The tasks a lookup page shows, held and not held, in its order."""
    held = re.findall(r'<article class="answer">\s*<h3><a href="/tasks/([^/]+)/"', html)
    unheld = html.partition('<section class="unheld">')[2].partition("</section>")[0]
    return held + re.findall(r'<li><a href="/tasks/([^/]+)/"', unheld)


@pytest.mark.parametrize(
    "params",
    [
        {"category": "oekonomi", "date": "2008-01-01"},
        {"q": "syntetisk", "date": LARGE_ON.isoformat()},
    ],
    ids=["category-some-not-held", "large-search"],
)
def test_the_tasks_found_come_a_page_at_a_time_in_order_each_once(english, url, params):
    tasks = (
        Task.objects.filter(category=params["category"])
        if "category" in params
        else (Task.objects.search(params["q"]))
    )
    ranks = ranking(params["q"]) if "q" in params else []
    date = datetime.date.fromisoformat(params["date"])
    whole = answers_on(tasks, date, ranks=ranks, examined=EXAMINED)
    expected = [a.task.slug for a in whole.answers] + [t.slug for t in whole.unheld]
    pages = -(-len(expected) // SHOWN)
    assert pages >= 2
    seen = []
    for number in range(1, min(pages, 3) + 1):
        html = english.get(url, {**params, "page": number}).content.decode()
        shown = _slugs(html)
        first, last = (number - 1) * SHOWN + 1, min(number * SHOWN, len(expected))
        assert f"Tasks {first}–{last} of {len(expected)}" in html or (
            f"More than {EXAMINED} tasks match" in html and f"shows {first}–{last}." in html
        )
        assert f"Page {number} of {pages}" in html
        assert ('rel="prev"' in html) == (number > 1)
        assert 'rel="next"' in html
        seen += shown
    assert seen == expected[: len(seen)]
    assert len(set(seen)) == len(seen) == min(pages, 3) * SHOWN


def test_a_page_past_the_tasks_found_is_a_404_that_says_how_many_pages_there_are(english, url):
    response = english.get(url, {"q": "tilsyn", "date": "2010-06-01", "page": 40})
    assert response.status_code == 404
    assert "There is no page 40: the tasks found fill 1 page." in response.content.decode()


def test_a_search_finding_more_tasks_than_it_examines_says_so_and_pages_through_those(english, url):
    # "syntetisk" is in every one of the 3,000 synthetic tasks' synonyms.
    assert Task.objects.search("syntetisk").count() > EXAMINED + 1
    params = {"q": "syntetisk", "date": LARGE_ON.isoformat()}
    html = english.get(url, params).content.decode()
    assert f"More than {EXAMINED} tasks match" in html
    assert "Add words to narrow the search." in html
    pages = -(-EXAMINED // SHOWN)
    assert f"Page 1 of {pages}" in html
    last = english.get(url, {**params, "page": pages}).content.decode()
    assert len(_slugs(last)) == EXAMINED - (pages - 1) * SHOWN
    assert f"shows {EXAMINED - len(_slugs(last)) + 1}–{EXAMINED}." in last
    assert english.get(url, {**params, "page": pages + 1}).status_code == 404


@pytest.mark.parametrize("examined", [50, 150])
def test_a_search_finding_more_than_it_examines_still_puts_every_held_task_first(examined):
    # "for" finds the 3,000 synthetic tasks, none of them held in 2010, and 96 of the seed's.
    date = datetime.date(2010, 6, 1)
    tasks = Task.objects.search("for")
    held = set(tasks.filter(responsibilities__in=Responsibility.objects.valid_on(date)))
    assert 50 < len(held) < 150 < tasks.count()
    found = answers_on(tasks, date, ranks=ranking("for"), examined=examined)
    assert found.more and found.matched == examined
    shown = [a.task for a in found.answers]
    if examined < len(held):
        assert len(shown) == examined and set(shown) <= held and not found.unheld
    else:
        assert set(shown) == held and len(found.unheld) == examined - len(held)


def test_a_category_however_large_counts_all_its_tasks(english, url):
    # Browsing a category walks the tasks by name: nothing to examine first.
    count = Task.objects.filter(category="oekonomi").count()
    assert count > EXAMINED / 2
    html = english.get(url, {"category": "oekonomi", "date": LARGE_ON.isoformat()})
    assert f"Tasks 1–{SHOWN} of {count}, those held on the date first" in html.content.decode()


@pytest.mark.parametrize("q", ["😀", "!!", "%", "___", "\\"])
def test_a_search_of_no_words_finds_nothing_and_says_so(english, url, q):
    response = english.get(url, {"q": q, "date": "2010-06-01"})
    assert response.status_code == 200
    assert f"No task matches “{q}”." in response.content.decode()
