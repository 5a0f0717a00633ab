"""An archivist enters a dated rename in the admin, in a real browser."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_an_archivist_applies_a_dated_rename_with_a_preview(page, registry_url):
    page.goto(f"{registry_url}/admin/login/")
    page.get_by_label("Brugernavn").fill("arkivar")
    page.get_by_label("Adgangskode").fill(registry_url.passwords["arkivar"])
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto(f"{registry_url}/admin/history/reorganisation/apply/")
    page.get_by_label("Titel").fill("MR Børn skifter navn")
    page.get_by_label("Ikrafttrædelsesdato").fill("2009-01-01")
    page.get_by_label("Begrundelse for ændringen").fill("Fundet i et referat fra 2009")
    page.locator("#id_changes-0-kind").select_option("rename")
    page.locator("#id_changes-0-unit").fill("mr-born")
    page.locator("#id_changes-0-name").fill("Børnekontoret")
    page.locator("#id_changes-0-short_name").fill("BK")
    page.get_by_role("button", name="Forhåndsvis").click()

    preview = page.locator("#preview")
    assert "Forhåndsvisning: intet er skrevet endnu" in preview.inner_text()
    assert "Børnekontoret" in preview.inner_text()
    assert "Mål- og Rammekontoret for Børn og familier" in preview.inner_text()
    page.get_by_role("button", name="Bekræft og gennemfør").click()
    page.wait_for_url(re.compile(r"/admin/history/reorganisation/\d+/change/"))
    assert "er gennemført" in page.locator(".messagelist").inner_text()

    page.goto(f"{registry_url}/?date=2009-01-01")
    assert page.get_by_role("link", name="Børnekontoret").is_visible()
    page.goto(f"{registry_url}/?date=2008-12-31")
    assert page.get_by_role("link", name="Mål- og Rammekontoret for Børn og familier").is_visible()
    assert page.get_by_role("link", name="Børnekontoret").count() == 0

    page.goto(f"{registry_url}/units/mr-born/")
    history = page.locator("table", has_text="Hvorfor")
    row = history.locator("tr", has_text="Fundet i et referat fra 2009").first
    assert "arkivar" in row.inner_text()
