"""/ — the chart marks what a date's reorganisations changed, and finds a unit by name."""

import re

import pytest
from lxml import html as lxml_html

pytestmark = pytest.mark.django_db


def chart(client, **params):
    response = client.get("/", params)
    assert response.status_code == 200, response.content[:300]
    return lxml_html.fromstring(response.content)


def box(page, slug):
    boxes = page.xpath(f'//div[contains(@class, "box")][@id="unit-{slug}"]')
    assert len(boxes) == 1, f"{slug}: {len(boxes)} boxes"
    return boxes[0]


def marks(page, slug) -> list[str]:
    return [m.text_content() for m in box(page, slug).xpath('.//li[contains(@class, "mark")]')]


def test_the_merger_of_2011_03_01_marks_mr_voksne_as_new_formed_by_it_and_taking_over_tasks(
    client,
):
    page = chart(client, date="2011-03-01")
    assert marks(page, "mr-voksne") == ["ny", "dannet ved en sammenlægning", "overtog opgaver"]
    assert "changed" in box(page, "mr-voksne").get("class")
    # The sub-units the merger carried into MR Voksne were placed anew that day.
    assert marks(page, "projektenheden-for-hjemmeplejen") == ["flyttet"]
    assert marks(page, "direktion") == []
    assert "changed" not in box(page, "direktion").get("class")


def test_a_date_of_reorganisation_lists_its_reorganisations_and_their_changes_above_the_chart(
    client,
):
    page = chart(client, date="2011-03-01")
    section = page.get_element_by_id("changes-heading").getparent()
    text = section.text_content()
    assert "Ændret den 1. marts 2011" in text
    assert "MR Handicap og Psykiatri og MR Udsatte lægges sammen til MR Voksne" in text
    # The offices that ended that day are named there, though the chart no longer draws them.
    assert "Mål- og Rammekontoret for Udsatte grupper" in text
    assert not page.xpath('//*[@id="unit-mr-udsatte"]')
    # And the legend explains the marks.
    legend = page.xpath('//ul[@class="legend"]')[-1].text_content()
    assert "dannet ved en sammenlægning" in legend


def test_a_date_without_reorganisation_marks_nothing(client):
    page = chart(client, date="2010-01-01")
    assert not page.xpath('//*[@id="changes-heading"]')
    assert not page.xpath('//div[contains(@class, "changed")]')


def test_an_uncertain_reorganisation_is_listed_with_its_uncertainty(client):
    page = chart(client, date="2008-09-01")
    text = page.get_element_by_id("changes-heading").getparent().text_content()
    assert "Ny organisation i Centralforvaltningen" in text
    assert "senest 1. september 2008" in text  # the units under the cross-cutting offices


def test_the_search_finds_lon_enheden_and_marks_its_box(client):
    page = chart(client, date="2010-01-01", q="Løn-enheden")
    found = page.xpath('//section[@class="found"]//a')
    assert [a.text_content() for a in found] == ["Løn-enheden"]
    assert found[0].get("href") == "#unit-loen-enheden"
    assert "found" in box(page, "loen-enheden").get("class")
    assert page.get_element_by_id("chart-search").get("value") == "Løn-enheden"


def test_the_search_finds_a_unit_by_its_short_name_and_part_of_a_name(client):
    page = chart(client, date="2011-03-01", q="mr voksne")
    assert "found" in box(page, "mr-voksne").get("class")
    page = chart(client, date="2011-03-01", q="rammekontoret")
    found = {a.get("href") for a in page.xpath('//section[@class="found"]//a')}
    assert {"#unit-mr-voksne", "#unit-mr-born"} <= found


def test_the_search_opens_the_branch_of_a_unit_folded_below_the_depth_drawn(client):
    page = chart(client, date="2010-01-01", q="Løn-enheden", depth="1")
    assert "found" in box(page, "loen-enheden").get("class")
    # The chart shows the branch of the unit above it, and says where that branch lies.
    assert (
        page.xpath('//input[@name="root"]')[0].get("value") == "personale-og-organisationskontoret"
    )


def test_the_search_says_so_when_no_unit_has_the_name_on_the_date(client):
    page = chart(client, date="2008-01-01", q="MR Voksne")
    status = page.xpath('//section[@class="found"]//p[@role="status"]')[0].text_content()
    assert "MR Voksne" in status and "1. januar 2008" in status
    assert not page.xpath('//div[contains(@class, "found")]')


def test_a_unit_that_existed_only_later_is_not_found(client):
    # MR Voksne exists from 1 March 2011: the day before, its name finds nothing.
    page = chart(client, date="2011-02-28", q="Voksne")
    assert not page.xpath('//section[@class="found"]//a')


@pytest.mark.parametrize("text", ["%", "_", "'; DROP TABLE", "x" * 200, "ø\u0301", "   "])
def test_any_search_text_gets_an_answer(client, text):
    response = client.get("/", {"date": "2010-01-01", "q": text})
    assert response.status_code == 200
    if text.strip() in "%_":  # wildcards are letters to look for, not patterns
        assert (
            b'<section class="found"' not in response.content
            or b"<li><a"
            not in (response.content.split(b'<section class="found"')[-1].split(b"</section>")[0])
        )


def test_search_text_is_shown_escaped(client):
    response = client.get("/", {"date": "2010-01-01", "q": "<script>alert(1)</script>"})
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content
    assert b"<script>alert(1)" not in response.content


def test_a_search_longer_than_200_characters_is_refused_with_a_message(client):
    response = client.get("/", {"date": "2010-01-01", "q": "x" * 201})
    assert response.status_code == 400
    assert re.search(rb"200 tegn|200 characters", response.content)


def test_the_date_strip_of_a_branch_stays_in_the_branch(client):
    # Found in a user trial: the dates led back to the whole organisation.
    page = chart(client, date="2010-06-01", root="center-for-maal-og-rammer")
    strip = page.xpath('//ul[@class="date-strip"]//a[not(@title="") and contains(@href, "date=")]')
    assert strip and all("root=center-for-maal-og-rammer" in a.get("href") for a in strip)


def test_a_unit_page_leads_to_its_branch_of_the_chart(client):
    page = lxml_html.fromstring(client.get("/units/mr-voksne/", {"date": "2011-03-01"}).content)
    link = page.xpath('//a[text()="Vis dens gren af diagrammet"]')[0]
    assert link.get("href") == "/?root=mr-voksne&date=2011-03-01"


def test_as_recorded_at_a_moment_the_chart_marks_no_changes(client):
    # Found in a user trial: before the first record the chart still listed the day's changes.
    page = chart(client, date="2011-03-01", recorded="2009-01-01T10:00")
    assert not page.xpath('//*[@id="changes-heading"]')
    assert not page.xpath('//div[contains(@class, "changed")]')


def test_a_wrong_filter_names_its_fields_in_danish(client):
    response = client.get("/units/", {"kind": "kontor", "date": "1.6.2010"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<label" in html and ">Type<" in html and "skriv den som ÅÅÅÅ-MM-DD" in html


def test_a_search_typed_with_combining_letters_finds_the_composed_name(client):
    # Found by the attacker: "Mål" typed as M, a, combining ring, l found nothing.
    page = chart(client, date="2010-01-01", q="Ma\u030al og Rammer")
    assert "found" in box(page, "center-for-maal-og-rammer").get("class")


def test_more_parameters_than_django_reads_get_a_400_not_a_500(client):
    # Found by the attacker: the error page read the query again and failed the same way.
    response = client.get("/?" + "&".join(["a"] * 1001))
    assert response.status_code == 400


def test_a_null_character_is_not_echoed_into_the_form(client):
    response = client.get("/", {"date": "2011-03-01", "q": "x\x00y"})
    assert response.status_code == 400
    assert b"\x00" not in response.content
