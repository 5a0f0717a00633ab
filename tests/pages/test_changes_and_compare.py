"""/changes/, /changes/<id>/ and /compare/ — what changed, and when."""

import datetime

import pytest

from history.models import Reorganisation

pytestmark = pytest.mark.django_db


def test_the_timeline_lists_the_reorganisations_in_order(client):
    html = client.get("/changes/").content.decode()
    html = html[html.index("</svg>") :]
    order = [
        html.index(title)
        for title in (
            "Organisationen før 2008",
            "Handicapområdets nye organisering",
            "Ny organisation i Centralforvaltningen",
            "Den tværgående juridiske enhed opløses",
            "MR Handicap og Psykiatri og MR Udsatte lægges sammen til MR Voksne",
        )
    ]
    assert order == sorted(order)


def test_the_lifelines_are_an_svg_whose_bars_lead_to_the_units(client):
    html = client.get("/changes/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert '<a href="/units/mr-voksne/">' in svg
    assert 'class="join merged"' in svg
    assert 'class="rule"' in svg


def test_each_reorganisation_links_to_the_comparison_of_the_day_before(client):
    html = client.get("/changes/").content.decode()
    assert "/compare/?from=2011-02-28&amp;to=2011-03-01" in html


def test_a_reorganisation_page_shows_before_and_after_and_each_change_with_its_source(client):
    merger = Reorganisation.objects.get(key="r2011-03-01")
    html = client.get(f"/changes/{merger.pk}/").content.decode()
    assert "28. februar 2011" in html and "1. marts 2011" in html
    assert "Mål- og Rammekontoret for Voksne" in html
    assert "002_5e7f1671b2cf0045.txt" in html
    assert "1. marts 2011 blev Mål- og Rammekontoret for Handicap og Psykiatri sammenlagt" in html


def test_the_1_june_2008_page_shows_that_the_sources_disagree(client):
    html = client.get(f"/changes/{Reorganisation.objects.get(key='r2008-06-01').pk}/")
    assert "Kilderne er uenige" in html.content.decode()


def test_an_unknown_reorganisation_is_a_404(client):
    response = client.get("/changes/999999/")
    assert response.status_code == 404
    assert "Registret har ingen omorganisering nummer 999999." in response.content.decode()


def test_the_comparison_across_the_merger_lists_what_changed(client):
    html = client.get("/compare/", {"from": "2011-02-28", "to": "2011-03-01"}).content.decode()
    created = html[html.index("Oprettet") :]
    assert "Mål- og Rammekontoret for Voksne" in created
    ended = html[html.index("Ophørt") :]
    assert "Mål- og Rammekontoret for Handicap og Psykiatri" in ended
    moved = html[html.index("Flyttet eller forankret andetsteds") :]
    assert "Tværgående enhed, kvalitetsmodeller" in moved
    assert "Sammenlagt" in html


def test_the_comparison_across_the_legal_units_move_shows_the_re_anchoring(client):
    html = client.get("/compare/", {"from": "2008-09-01", "to": "2010-11-30"}).content.decode()
    moved = html[html.index("Flyttet eller forankret andetsteds") :]
    assert "Tværgående juridisk enhed" in moved
    # Stadsarkivet: the unit moved "på et tidspunkt"; the comparison must not present it as
    # certain.
    line = moved[moved.index("Tværgående juridisk enhed") : moved.index("</li>")]
    assert "på et tidspunkt mellem 2. september 2008 og 30. november 2010" in line
    assert "usikker dato" in line


def test_a_dissolved_unit_ends_on_its_dissolution_not_on_its_last_move(client):
    # Stadsarkivet, "Beskrivelse": "1. december 2010 blev den tværgående juridiske enhed
    # opløst" — exactly dated, unlike its move "på et tidspunkt" before.
    html = client.get("/compare/", {"from": "2008-09-01", "to": "2010-12-01"}).content.decode()
    ended = html[html.index("Ophørt") :]
    line = ended[ended.index("Tværgående juridisk enhed") : ended.index("</li>")]
    assert "på et tidspunkt" not in line and "?" not in line


def test_the_lifeline_tooltips_keep_the_uncertainty_of_their_dates(client):
    # Planen: the inspection office's tasks stayed "til udgangen af 2008" — about then.
    html = client.get("/changes/").content.decode()
    assert "Kvalitets- og Tilsynskontoret: fra senest 31. maj 2008 indtil omkring" in html


def test_comparing_a_date_with_itself_says_nothing_changed(client):
    html = client.get("/compare/", {"from": "2009-06-01", "to": "2009-06-01"}).content.decode()
    assert "Intet i strukturen ændrede sig mellem de to datoer." in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2011-03-01", "to": "2011-02-28"}, "ligger efter"),
        ({"from": "2011-02-30", "to": "2011-03-01"}, "findes i kalenderen"),
        ({"from": "2011-01-01", "to": "i morgen"}, "skriv den som ÅÅÅÅ-MM-DD"),
    ],
)
def test_bad_dates_in_a_comparison_are_a_400(client, params, message):
    response = client.get("/compare/", params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_compare_page_without_dates_shows_the_form(client):
    html = client.get("/compare/").content.decode()
    assert 'name="from"' in html and 'name="to"' in html


def test_the_comparison_across_1_june_2010_lists_the_tasks_that_changed_owner(client):
    html = client.get("/compare/", {"from": "2010-05-31", "to": "2010-06-01"}).content.decode()
    owners = html[html.index("Opgaver, der skiftede ejer") :]
    assert "Socialcenter København" in owners
    assert "Handicapcenter København" in owners
    assert "Økonomiservice" in owners


def test_a_unit_page_lists_its_tasks_on_the_date(client):
    html = client.get("/units/du-born/", {"date": "2009-06-01"}).content.decode()
    tasks = html[html.index("Opgaver den") :]
    assert "opholdssteder" in tasks


def test_the_lifelines_of_a_large_registry_stop_at_the_level_that_keeps_them_readable(client):
    from history.lifelines import LIFELINE_BUDGET

    html = client.get("/changes/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    rows = svg.count('<a href="/units/')
    # 1,000 synthetic units six to a parent beside the seed: down to level 3 fits, not 4.
    assert 250 < rows <= LIFELINE_BUDGET
    assert '<a href="/units/syn-43/">' in svg and '<a href="/units/syn-259/">' not in svg
    assert "Livslinjerne viser enhederne ned til 3 niveauer under toppen" in html
    assert '<a href="/units/">listen over enheder</a>' in html


def test_the_timeline_lists_a_large_reorganisations_first_changes_and_links_to_the_rest(client):
    synthetic = Reorganisation.objects.get(key="syntetisk-organisation")
    html = client.get("/changes/").content.decode()
    section = html[html.index(f'id="reorg-{synthetic.pk}"') :]
    section = section[: section.index("</section>")]
    assert section.count("<li") == 25
    assert f'<a href="/changes/{synthetic.pk}/">De første 25 af 1000 ændringer' in section
    # Its own page lists them a hundred at a time (stored count: 10 pages), draws no
    # branches for 1,000 changes, and the last page has the last unit.
    first = client.get(f"/changes/{synthetic.pk}/").content.decode()
    assert "syn-999" not in first
    assert "Ændringer 1–100 af 1000" in first and "Side 1 af 10" in first
    assert "Med mere end 300 ændringer" in first and 'class="tree-list"' not in first
    last = client.get(f"/changes/{synthetic.pk}/", {"page": 10}).content.decode()
    assert "syn-999" in last and "Ændringer 901–1000 af 1000" in last


def test_a_small_registrys_lifelines_are_all_drawn_without_a_note(client):
    from history.lifelines import lifelines

    drawing = lifelines(
        start=datetime.date(2007, 1, 1),
        end=datetime.date(2013, 1, 1),
        today=datetime.date(2026, 1, 1),
    )
    assert not drawing.folded
    assert {"mr-voksne", "projektenheden-for-hjemmeplejen"} <= {r.slug for r in drawing.rows}


def test_lifelines_over_budget_keep_the_top_and_the_level_below_it():
    from history.lifelines import lifelines

    drawing = lifelines(
        start=datetime.date(2007, 1, 1),
        end=datetime.date(2013, 1, 1),
        today=datetime.date(2026, 1, 1),
        budget=3,
    )
    assert drawing.folded and drawing.levels == 1
    assert {"socialforvaltningen", "direktion"} <= {r.slug for r in drawing.rows}
    assert "mr-voksne" not in {r.slug for r in drawing.rows}


def test_a_comparison_with_one_date_asks_for_both(client):
    # It used to compare with today and quote a "from" the user never gave.
    response = client.get("/compare/", {"to": "2010-01-01"})
    assert response.status_code == 400
    assert "Angiv begge datoer" in response.content.decode()
