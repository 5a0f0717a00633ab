"""`recorded=`: the structure on a date as the registry recorded it at an earlier moment, so
an archivist can see what the registry said before a correction."""

import datetime
import html
import re

import pytest
from django.utils import timezone

from history.changes import Rename
from history.services import apply_reorganisation
from tests.streamed import body

pytestmark = pytest.mark.django_db


@pytest.fixture
def renamed_later(archivist):
    """MR Børn renamed (effective 2009-01-01), entered after the moment returned."""
    before = timezone.now()
    apply_reorganisation(
        title="MR Børn omdøbes",
        date=datetime.date(2009, 1, 1),
        user=archivist,
        reason="Fundet i nyt dokument",
        changes=[Rename(unit="mr-born", name="Børnekontoret")],
    )
    return before.isoformat()


def test_the_chart_as_recorded_before_an_edit_shows_the_old_name(client, renamed_later):
    now = client.get("/", {"date": "2010-01-01"}).content.decode()
    then = client.get("/", {"date": "2010-01-01", "recorded": renamed_later}).content.decode()
    assert "Børnekontoret" in now
    assert "Børnekontoret" not in then
    assert "Mål- og Rammekontoret for Børn og familier" in then
    assert "Som registret registrerede det" in then


def test_the_unit_page_as_recorded_shows_the_old_name(client, renamed_later):
    then = client.get("/units/mr-born/", {"date": "2010-01-01", "recorded": renamed_later})
    assert "<h1>Mål- og Rammekontoret for Børn og familier" in then.content.decode()
    now = client.get("/units/mr-born/", {"date": "2010-01-01"})
    assert "<h1>Børnekontoret" in now.content.decode()


def test_the_jsonld_as_recorded_shows_the_old_name_and_not_the_later_event(client, renamed_later):
    then = client.get("/export/org.jsonld", {"date": "2010-01-01", "recorded": renamed_later})
    text = body(then).decode()
    assert "Mål- og Rammekontoret for Børn og familier" in text
    assert "Børnekontoret" not in text
    assert "MR Børn omdøbes" not in text


def test_a_moment_before_anything_was_recorded_shows_an_empty_registry(client):
    html = client.get("/", {"date": "2010-01-01", "recorded": "2001-01-01T00:00"})
    assert "Ingen enhed i registret fandtes på denne dato." in html.content.decode()


@pytest.mark.parametrize("value", ["i går", "2010-13-01T10:00", "2010-01-01T25:00"])
def test_a_malformed_moment_is_a_400(client, value):
    response = client.get("/", {"date": "2010-01-01", "recorded": value})
    assert response.status_code == 400


def test_links_from_a_chart_as_recorded_keep_the_date_and_the_moment(client, renamed_later):
    # Following a box of the chart as recorded then must not drop back to what it says now.
    chart = client.get("/", {"date": "2010-01-01", "recorded": renamed_later})
    link = re.search(r'href="(/units/mr-born/\?[^"]+)"', chart.content.decode()).group(1)
    unit = client.get(html.unescape(link))
    text = unit.content.decode()
    assert "<h1>Mål- og Rammekontoret for Børn og familier" in text
    assert "date=2010-01-01" in link and "recorded=" in link


def test_the_chart_links_of_a_branch_and_the_next_change_keep_the_moment(client, renamed_later):
    chart = client.get("/", {"date": "2009-06-01", "recorded": renamed_later}).content.decode()
    next_change = re.search(r'rel="next" href="([^"]+)"', chart).group(1)
    assert "recorded=" in next_change


def test_a_branch_as_recorded_shows_the_branch_not_the_whole_chart(client, renamed_later):
    params = {"date": "2010-06-01", "recorded": renamed_later}
    branch = client.get("/", {**params, "root": "center-for-maal-og-rammer"}).content.decode()
    whole = client.get("/", params).content.decode()
    assert branch.count('class="name"') < whole.count('class="name"')
    assert "Mål- og Rammekontoret for Børn og familier" in branch
    assert 'name="root" value="center-for-maal-og-rammer"' in branch
    unknown = client.get("/", {**params, "root": "no-such-unit"})
    assert unknown.status_code == 404


def test_pages_that_read_no_record_time_do_not_pass_one_on(client, renamed_later):
    # The unit list and the task lookup show what the registry says now; a link from them
    # to a unit page must not open it as recorded at some other moment.
    params = {"date": "2010-06-01", "recorded": renamed_later}
    for path, extra in (("/units/", {}), ("/tasks/", {"q": "budget"})):
        html_text = client.get(path, {**params, **extra}).content.decode()
        links = re.findall(r'href="(/units/[a-z0-9-]+/\?[^"]*)"', html_text)
        assert links and all("recorded" not in link for link in links), path
        assert all("date=2010-06-01" in link for link in links), path


def test_the_unit_page_form_and_its_lineage_links_keep_the_moment(client, renamed_later):
    params = {"date": "2010-06-01", "recorded": renamed_later}
    html_text = client.get("/units/mr-handicap-og-psykiatri/", params).content.decode()
    assert '<input type="hidden" name="recorded"' in html_text
    successor = re.search(r'href="(/units/mr-voksne/\?[^"]*)"', html_text).group(1)
    assert "date=2011-03-01" in successor and "recorded=" in successor


def test_the_chart_form_keeps_the_seconds_of_the_moment(client, renamed_later):
    chart = client.get("/", {"date": "2010-06-01", "recorded": "2026-12-04T11:20:59"})
    assert 'value="2026-12-04T11:20:59"' in chart.content.decode()


def test_a_moment_in_the_future_is_a_400_that_says_so(client):
    response = client.get("/", {"date": "2010-06-01", "recorded": "2199-01-01T00:00"})
    assert response.status_code == 400
    assert "ligger i fremtiden" in response.content.decode()


def test_a_moment_before_the_first_record_says_nothing_was_recorded_yet(client):
    html_text = client.get("/", {"date": "2010-06-01", "recorded": "2007-01-01T00:00"})
    assert "havde registret endnu intet registreret" in html_text.content.decode()


def test_a_unit_page_before_the_first_record_says_nothing_was_recorded_yet(client):
    html_text = client.get(
        "/units/mr-handicap-og-psykiatri/", {"date": "2010-06-01", "recorded": "2007-01-01T00:00"}
    ).content.decode()
    assert "havde registret endnu intet registreret" in html_text
    assert "Enheden fandtes ikke den 1. juni 2010" not in html_text


@pytest.mark.parametrize("hours", [-23, 23])
def test_a_moment_written_with_any_offset_is_that_moment(client, renamed_later, hours):
    """PostgreSQL takes offsets only up to ±15:59; the registry reads any that ISO allows."""
    offset = datetime.timezone(datetime.timedelta(hours=hours, minutes=59 if hours > 0 else -59))
    moment = datetime.datetime.fromisoformat(renamed_later).astimezone(offset).isoformat()
    then = client.get("/units/mr-born/", {"date": "2010-01-01", "recorded": moment})
    assert then.status_code == 200
    assert "<h1>Mål- og Rammekontoret for Børn og familier" in then.content.decode()
    api = client.get("/api/v1/units/mr-born", {"date": "2010-01-01", "recorded": moment})
    assert api.status_code == 200
