"""The lookup understands Danish word forms: a word also finds the tasks written with another
form of it ("visitationen" finds "visitation") through its Snowball stem, and still finds the
compounds it is part of."""

import datetime
import re

import pytest
from django.urls import reverse

from responsibilities.models import Task

from .conftest import give, owner_on

pytestmark = pytest.mark.django_db

DATE = datetime.date(2010, 6, 1)


def found(lookup, q: str) -> list[str]:
    """The slugs of the tasks the JSON answers `q` with on `DATE`, in its order."""
    return list(dict.fromkeys(row["task_slug"] for row in lookup(q=q, date=DATE.isoformat())))


def hand_out(slug: str, name: str, *, like: str) -> Task:
    """A new task held on `DATE` by the unit that owns the seed task `like` then."""
    task = Task.objects.create(slug=slug, name=name, category="drift")
    give(task, owner_on(like, DATE), start=DATE)
    return task


def test_visitationen_finds_the_visitation_tasks(lookup):
    assert set(found(lookup, "visitationen")) == {
        "visitation-handicap",
        "visitation-voksne-sindslidelse",
    }
    assert found(lookup, "visitationen") == found(lookup, "visitation")


def test_kantinen_finds_the_canteen_among_the_internal_services(lookup):
    assert found(lookup, "kantinen") == found(lookup, "kantine") == ["interne-servicefunktioner"]


def test_compounds_are_still_found_by_a_word_and_by_another_form_of_it(lookup):
    hand_out("loenudbetaling", "Lønudbetaling til plejefamilier", like="loenopgaver")
    assert "loenudbetaling" in found(lookup, "løn")
    assert "loenudbetaling" in found(lookup, "udbetalingen")


def test_a_word_whose_stem_is_tiny_does_not_suddenly_match_everything():
    # "deres" stems to "der", which two thirds of the seed's tasks contain ("udarbejder",
    # "herunder", "ledere"): the word is searched for as it was written.
    assert Task.objects.filter(search_text__contains="der").count() > 50
    by_word = Task.objects.filter(search_text__contains="deres")
    assert set(Task.objects.search("deres")) == set(by_word)
    assert 0 < by_word.count() < 10


def test_a_task_with_the_word_itself_comes_before_one_found_through_its_stem(lookup):
    hand_out("kantinen-i-raadhuset", "Kantinen i Rådhuset", like="interne-servicefunktioner")
    # By name alone "Interne servicefunktioner …" would come first.
    assert found(lookup, "kantinen") == ["kantinen-i-raadhuset", "interne-servicefunktioner"]


@pytest.mark.parametrize("q", ["visitationen", "kantinen", "tilsynet", "løn"])
def test_the_page_and_the_json_find_the_same_tasks_in_the_same_order(client, lookup, q):
    page = client.get(reverse("responsibilities:lookup"), {"q": q, "date": DATE.isoformat()})
    answers = re.findall(r'<article class="answer">\s*<h3><a href="([^"]+)"', page.content.decode())
    assert answers
    assert answers == [reverse("responsibilities:detail", args=[s]) for s in found(lookup, q)]


def test_a_word_typed_with_combining_letters_is_found(client):
    composed = client.get("/tasks/", {"q": "rådgivning", "format": "json"}).json()
    decomposed = client.get("/tasks/", {"q": "ra\u030adgivning", "format": "json"}).json()
    assert composed == decomposed and composed
