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
