"""/ — the organisation chart as of a date."""

import datetime
import re

import pytest

pytestmark = pytest.mark.django_db


def boxes(html: str) -> list[str]:
    return re.findall(r'<a class="name" href="/units/([a-z0-9-]+)/', html)


def test_the_chart_on_2011_03_01_shows_mr_voksne_not_the_two_merged_offices(client):
    html = client.get("/", {"date": "2011-03-01"}).content.decode()
    units = boxes(html)
    assert "mr-voksne" in units
    assert "mr-handicap-og-psykiatri" not in units
    assert "mr-udsatte" not in units
    assert "Mål- og Rammekontoret for Voksne" in html


def test_the_chart_on_2011_02_28_shows_the_two_offices(client):
    units = boxes(client.get("/", {"date": "2011-02-28"}).content.decode())
    assert {"mr-handicap-og-psykiatri", "mr-udsatte"} <= set(units)
    assert "mr-voksne" not in units


def test_the_direktion_is_on_top_with_its_posts_and_the_secretariat_beside_it(client):
    html = client.get("/", {"date": "2009-01-01"}).content.decode()
    direktion = html.index('href="/units/direktion/')
    assert html.index('href="/units/socialforvaltningen/') < direktion
    posts = html.index('<ul class="posts">', direktion)
    assert html.index('href="/units/administrerende-direktoer/') > posts
    staff = html.index('<ul class="staff"', direktion)
    assert html.index('href="/units/borgmester-og-direktionssekretariatet/') > staff
    assert staff < html.index('href="/units/center-for-maal-og-rammer/')


def test_a_cross_cutting_unit_is_drawn_with_the_office_it_is_anchored_at(client):
    html = client.get("/", {"date": "2009-01-01"}).content.decode()
    office = html.index('href="/units/mr-udsatte/')
    legal = html.index('href="/units/tvaergaaende-juridisk-enhed/')
    next_office = html.index('href="/units/mr-born/')
    assert office < legal < next_office
    assert "Tværgående, forankret hos kontorets chef" in html


def test_an_uncertain_placement_is_marked_with_its_uncertainty(client):
    html = client.get("/", {"date": "2009-06-01"}).content.decode()
    link = html.index('href="/units/tvaergaaende-juridisk-enhed/')
    box = html[html.rindex('<div class="box', 0, link) : html.index("</div>", link)]
    assert "uncertain" in box
    assert "på et tidspunkt mellem 2. september 2008 og 30. november 2010" in box


def test_every_box_links_to_its_unit_page_as_of_the_date(client):
    html = client.get("/", {"date": "2010-12-01"}).content.decode()
    assert 'href="/units/mr-born/?date=2010-12-01"' in html


def test_the_reorganisation_dates_are_a_strip_with_previous_and_next(client):
    html = client.get("/", {"date": "2010-07-01"}).content.decode()
    assert 'href="?date=2011-03-01"' in html
    assert re.search(r'rel="prev" href="\?date=2010-06-01"', html)
    assert re.search(r'rel="next" href="\?date=2010-11-30"', html)


def test_a_deep_tree_is_folded_below_the_depth_limit_and_can_be_opened(client):
    html = client.get("/", {"date": "2100-06-01", "depth": "2"}).content.decode()
    assert "syn-root" in html
    assert "Åbn" in html and "root=syn-1" in html
    branch = client.get("/", {"date": "2100-06-01", "root": "syn-1"}).content.decode()
    assert 'href="/units/syn-1/' in branch
    assert "socialforvaltningen" not in boxes(branch)


def test_a_large_organisation_is_folded_to_a_readable_chart_and_says_so(client):
    html = client.get("/", {"date": "2100-06-01"}).content.decode()
    drawn = boxes(html)
    assert 50 <= len(drawn) <= 100  # of the 1,034 units: the top levels of both trees
    assert "syn-1" in drawn and "syn-root" in drawn
    assert "Kortet viser 2 niveauer under toppen" in html
    assert "root=syn-7" in html  # a folded branch opens on demand
    branch = client.get("/", {"date": "2100-06-01", "root": "syn-7"}).content.decode()
    assert "syn-7" in boxes(branch) and len(boxes(branch)) > 6


def test_the_seed_registry_is_drawn_whole_without_a_note(client):
    html = client.get("/", {"date": "2009-01-01"}).content.decode()
    assert "Kortet viser" not in html
    assert "Åbn" not in html


def test_the_chart_is_one_nested_list_with_one_heading(client):
    html = client.get("/", {"date": "2009-01-01"}).content.decode()
    assert html.count("<h1") == 1
    assert 'aria-label="Organisationsdiagram som indlejret liste"' in html


def test_the_chart_is_danish_by_default_and_speaks_english_when_asked(client):
    html = client.get("/", {"date": "2009-01-01"}).content.decode()
    assert "Organisationen den 1. januar 2009" in html
    client.cookies["django_language"] = "en"
    html = client.get("/", {"date": "2009-01-01"}).content.decode()
    assert "The organisation on Jan. 1, 2009" in html
    assert "Office" in html and "Kontor<" not in html


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"date": "2011-02-30"}, 400, "2011-02-30 er ikke en dato, der findes i kalenderen."),
        ({"date": "31.12.2010"}, 400, "skriv den som ÅÅÅÅ-MM-DD"),
        (
            {"date": "2010-01-01", "root": "findes-ikke"},
            404,
            "Registret har ingen enhed «findes-ikke».",
        ),
        ({"depth": "99"}, 400, "Dybden skal være et helt tal fra 1 til 12."),
        ({"root": "x" * 5000}, 400, "er for lang"),
    ],
)
def test_bad_input_gets_a_page_saying_what_was_wrong(client, params, status, message):
    response = client.get("/", params)
    assert response.status_code == status
    assert message in response.content.decode()


def test_the_date_strip_shows_the_dates_nearest_the_chart_and_the_timeline_has_the_rest(client):
    from history.models import Reorganisation

    for month in range(1, 13):  # twelve more dates after the seed's
        Reorganisation.objects.create(
            key=f"strip-{month}", title=f"Strimmel {month}", date=f"2012-{month:02}-01"
        )
    days = sorted({d.isoformat() for d in Reorganisation.objects.dates("date", "day")})

    def strip(date: str) -> str:
        html = client.get("/", {"date": date}).content.decode()
        return html.split('class="date-strip"')[1].split("</ul>")[0]

    after = [d for d in days if d > "2009-01-01"]
    early = strip("2009-01-01")
    assert days[0] in early and after[7] in early and after[8] not in early
    assert 'href="/changes/"' in early  # the later ones are on the timeline
    before = [d for d in days if d < "2012-12-01"]
    late = strip("2012-12-01")
    assert "2012-12-01" in late and before[-8] in late and before[-9] not in late


@pytest.mark.parametrize(
    ("root", "date", "notice"),
    [
        (
            "mr-handicap-og-psykiatri",
            "2011-03-01",
            "Mål- og Rammekontoret for Handicap og Psykiatri fandtes ikke den 1. marts 2011; "
            "enheden, der førte den videre, Mål- og Rammekontoret for Voksne, vises i stedet.",
        ),
        (
            "mr-voksne",
            "2010-01-01",
            "Mål- og Rammekontoret for Voksne fandtes ikke den 1. januar 2010, så hele "
            "organisationsdiagrammet vises.",
        ),
    ],
)
def test_a_branch_whose_unit_did_not_exist_on_the_date_says_so_and_shows_what_did(
    client, root, date, notice
):
    """ "Næste ændring" from the MR Haps branch led into a 404 once MR Haps had merged."""
    response = client.get("/", {"date": date, "root": root})
    assert response.status_code == 200
    assert notice in response.content.decode()


def test_a_date_after_the_last_recorded_change_says_the_record_ends_there(client):
    # The record reaches to its latest reorganisation: in the seed the merger of 1 March 2011
    # (Stadsarkivet, "Beskrivelse": "blev pr. 1. marts 2011 lagt sammen"); in the test
    # registry the synthetic organisation of 1 January 2100 beside it.
    later = client.get("/", {"date": "2150-06-01"}).content.decode()
    assert "Registrets viden rækker til 1. januar 2100" in later
    on_the_day = client.get("/", {"date": "2100-01-01"}).content.decode()
    assert "Registrets viden rækker til" not in on_the_day
    unit = client.get("/units/mr-voksne/", {"date": "2150-06-01"}).content.decode()
    assert "Registrets viden rækker til 1. januar 2100" in unit


def test_the_operator_can_say_how_far_the_record_reaches(client, settings):
    settings.REGISTRY_RECORDED_UP_TO = datetime.date(2013, 12, 31)
    assert "Registrets viden" not in client.get("/", {"date": "2013-01-01"}).content.decode()
    assert (
        "rækker til 31. december 2013" in client.get("/", {"date": "2014-01-01"}).content.decode()
    )


def test_a_box_uncertain_at_both_ends_says_each_apart(client):
    # Kvalitets- og Tilsynskontoret: from before the records, to "udgangen af 2008".
    html = client.get("/", {"date": "2008-12-01"}).content.decode()
    box = html[html.index("Kvalitets- og Tilsynskontoret") - 2000 :]
    title = re.search(r'class="badge" title="([^"]*)"', box).group(1)
    assert "; placeret her indtil omkring 1. januar 2009" in title
