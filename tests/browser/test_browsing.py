"""A person browsing the organisation in a real browser."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_choosing_2011_03_01_shows_mr_voksne_where_the_two_offices_were(page, registry_url):
    page.goto(f"{registry_url}/?date=2011-02-28")
    chart = page.get_by_role("list", name="Organisationsdiagram som indlejret liste")
    assert chart.get_by_role("link", name="Mål- og Rammekontoret for Handicap og Psykiatri").count()
    page.get_by_label("Dato", exact=True).fill("2011-03-01")
    page.get_by_role("button", name="Vis").click()
    page.wait_for_url(re.compile(r"date=2011-03-01"))
    assert page.get_by_role("heading", level=1).inner_text() == "Organisationen den 1. marts 2011"
    chart = page.get_by_role("list", name="Organisationsdiagram som indlejret liste")
    assert chart.get_by_role("link", name="Mål- og Rammekontoret for Voksne").is_visible()
    assert (
        chart.get_by_role("link", name="Mål- og Rammekontoret for Handicap og Psykiatri").count()
        == 0
    )
    assert (
        chart.get_by_role("link", name=re.compile("Udsatte grupper, Misbrug og bolig")).count() == 0
    )


def test_opening_a_unit_from_the_chart(page, registry_url):
    page.goto(f"{registry_url}/?date=2009-06-01")
    page.get_by_role("link", name="Center for Mål og Rammer").first.click()
    page.wait_for_url(re.compile(r"/units/center-for-maal-og-rammer/"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Center for Mål og Rammer")
    assert page.get_by_text("4942").is_visible()


def test_collapsing_a_branch_hides_its_units(page, registry_url):
    page.goto(f"{registry_url}/?date=2009-06-01")
    link = page.get_by_role("link", name="Løn-enheden")
    assert link.is_visible()
    page.locator("details.branch > summary", has_text="4 underenheder").click()
    assert not link.is_visible()


def test_from_the_timeline_to_the_comparison_of_a_reorganisation(page, registry_url):
    page.goto(f"{registry_url}/changes/")
    assert page.locator(".lifelines svg").is_visible()
    section = page.locator("section", has_text="lægges sammen til MR Voksne")
    section.get_by_role("link", name="Sammenlign dagen før med denne dag").click()
    page.wait_for_url(re.compile(r"/compare/\?from=2011-02-28&to=2011-03-01"))
    created = page.locator("h2", has_text="Oprettet").locator("xpath=following-sibling::ul[1]")
    assert "Mål- og Rammekontoret for Voksne" in created.inner_text()


def test_a_lifeline_leads_to_its_unit(page, registry_url):
    page.goto(f"{registry_url}/changes/")
    page.locator('.lifelines a[href="/units/mr-voksne/"] rect.bar').first.click()
    page.wait_for_url(re.compile(r"/units/mr-voksne/"))
    assert "Voksne" in page.get_by_role("heading", level=1).inner_text()


def test_switching_to_english(page, registry_url):
    page.goto(f"{registry_url}/?date=2011-03-01")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"date=2011-03-01"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("The organisation on")


@pytest.mark.parametrize("width", [1440, 1280, 1024])
def test_every_box_of_a_wide_level_can_be_scrolled_into_view(page, registry_url, width):
    # Issue 15: the direktion's eight sub-units on 1 July 2008 began left of the chart's edge,
    # where no scrolling reaches.
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{registry_url}/?date=2008-07-01")
    chart = page.locator(".chart")
    left = chart.bounding_box()["x"]
    chart.evaluate("c => { c.scrollLeft = 0; }")
    boxes = page.locator(".chart .box")
    lefts = boxes.evaluate_all("bs => bs.map(b => b.getBoundingClientRect().left)")
    assert min(lefts) >= left - 0.5, (min(lefts), left)
    # And the rightmost box is within reach of the scrollbar.
    chart.evaluate("c => { c.scrollLeft = c.scrollWidth; }")
    rights = boxes.evaluate_all("bs => bs.map(b => b.getBoundingClientRect().right)")
    box = chart.bounding_box()
    assert max(rights) <= box["x"] + box["width"] + 0.5


def test_the_chart_on_a_phone_is_no_wider_than_the_screen(page, registry_url):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{registry_url}/?date=2008-07-01")
    widths = page.locator(".chart").evaluate("c => [c.scrollWidth, c.clientWidth]")
    assert widths[0] <= widths[1], widths
