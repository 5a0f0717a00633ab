"""/tasks/<slug>/ — a task's ownership over time."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_task_page_shows_who_held_it_and_which_reorganisation_moved_it(client):
    html = client.get("/tasks/visitation-voksne-sindslidelse/").content.decode()
    assert "<h1>" in html
    table = html[html.index("<table") : html.index("</table>")]
    assert table.index("Mål- og Rammekontoret for Handicap og Psykiatri") < table.index(
        "Socialcenter København"
    )
    assert "Visitation og køb/salg-afregning flytter fra MR Handicap og Psykiatri" in table


def test_a_lookup_answer_links_to_its_task_page(client):
    html = client.get("/tasks/", {"q": "opholdssteder", "date": "2010-01-01"}).content.decode()
    assert 'href="/tasks/private-opholdssteder-born/"' in html


def test_an_unknown_task_is_a_404_that_names_it(client):
    response = client.get("/tasks/findes-ikke/")
    assert response.status_code == 404
    assert "findes-ikke" in response.content.decode()


def test_a_passage_cited_for_several_holders_is_listed_once(client):
    # Found in a user trial: one passage stood three times under "Kilder".
    html = client.get("/tasks/visitation-handicap/").content.decode()
    sources = html[html.index("<h2>Kilder</h2>") :]
    quotes = re.findall(r"«(.*?)»\s*<footer>", sources, re.S)
    assert quotes and len(quotes) == len(set(quotes))
