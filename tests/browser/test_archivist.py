"""An archivist enters a dated rename in the admin, in a real browser."""

import re

import pytest

from .conftest import ARTIFACTS

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


def correct_the_merger(page, registry_url, action: str, reason: str) -> str:
    """Open the 2011 merger in the admin, choose a correction, preview it, confirm it; the
    preview's text."""
    page.goto(f"{registry_url}/admin/history/reorganisation/?q=MR+Voksne")
    page.locator("#result_list tr", has_text="lægges sammen til MR Voksne").get_by_role(
        "link"
    ).first.click()
    page.get_by_role("link", name="Træk tilbage, giv ny dato eller sæt i kraft").click()
    page.get_by_label(action).check()
    page.get_by_label("Begrundelse for rettelsen").fill(reason)
    page.get_by_role("button", name="Forhåndsvis").click()
    preview = page.locator("#preview").inner_text()
    page.get_by_role("button", name="Bekræft og gennemfør").click()
    page.wait_for_url(re.compile(r"/admin/history/reorganisation/\d+/change/"))
    assert "genafspillet" in page.locator(".messagelist").inner_text()
    return preview


def test_an_archivist_withdraws_a_merger_sees_it_struck_through_and_puts_it_back(
    page, registry_url
):
    page.goto(f"{registry_url}/admin/login/")
    page.get_by_label("Brugernavn").fill("arkivar")
    page.get_by_label("Adgangskode").fill(registry_url.passwords["arkivar"])
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    preview = correct_the_merger(
        page,
        registry_url,
        "træk den tilbage (den bliver stående, overstreget)",
        "Sammenlægningen er tastet ved en fejl",
    )
    assert "Som rettet" in preview
    assert "Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig" in preview

    page.goto(f"{registry_url}/?date=2011-03-01")
    assert page.get_by_role("link", name="Mål- og Rammekontoret for Voksne").count() == 0
    assert page.get_by_role(
        "link", name="Mål- og Rammekontoret for Udsatte grupper, Misbrug og bolig"
    ).is_visible()
    page.goto(f"{registry_url}/changes/")
    struck = page.locator("section.withdrawn")
    assert struck.locator("del").first.is_visible()
    assert "Sammenlægningen er tastet ved en fejl" in struck.inner_text()
    assert "arkivar" in struck.inner_text()
    page.screenshot(path=str(ARTIFACTS / "changes-with-a-withdrawn-merger.png"), full_page=True)

    # A further correction puts it back: the registry is as it was for the other tests.
    correct_the_merger(
        page, registry_url, "sæt den i kraft (planlagt eller trukket tilbage)", "Alligevel rigtig"
    )
    page.goto(f"{registry_url}/?date=2011-03-01")
    assert page.get_by_role("link", name="Mål- og Rammekontoret for Voksne").is_visible()


def test_the_archivists_admin_forms_fit_a_1440_px_screen(page, registry_url):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{registry_url}/admin/login/")
    page.get_by_label("Brugernavn").fill("arkivar")
    page.get_by_label("Adgangskode").fill(registry_url.passwords["arkivar"])
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    def first_result(list_url: str) -> str:
        page.goto(f"{registry_url}{list_url}")
        page.locator("#result_list tbody tr a").first.click()
        page.wait_for_url(re.compile(r"/change/"))
        return page.url.split("?")[0]

    unit = first_result("/admin/orgunits/unit/?q=mr-voksne")
    merger = first_result("/admin/history/reorganisation/?q=lægges+sammen+til+MR+Voksne")
    history = unit.replace("/change/", "/history/")
    page.goto(history)
    page.locator("#change-history tbody tr").last.locator("td a").first.click()
    page.wait_for_url(re.compile(r"/history/\d+/$"))
    revert = page.url
    pages = [
        f"{registry_url}/admin/history/reorganisation/apply/",
        merger,
        merger.replace("/change/", "/revise/"),
        merger.replace("/change/", "/correct/"),
        unit,
        f"{registry_url}/admin/orgunits/unit/add/",
        history,
        revert,
        f"{history}compare/",
        f"{registry_url}/admin/orgunits/citation/add/",
        first_result("/admin/responsibilities/task/"),
        first_result("/admin/responsibilities/responsibility/"),
    ]
    too_wide = {}
    for url in pages:
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.evaluate("window.innerWidth"):
            too_wide[url] = width
        if url == unit:
            page.screenshot(path=str(ARTIFACTS / "admin-unit-form-at-1440.png"), full_page=True)
    assert too_wide == {}

    # The dated change with a row, previewed: its wide table scrolls in its own box.
    page.goto(pages[0])
    page.get_by_label("Titel").fill("MR Voksne skifter navn")
    page.get_by_label("Ikrafttrædelsesdato").fill("2012-01-01")
    page.get_by_label("Begrundelse for ændringen").fill("Kun en forhåndsvisning")
    page.locator("#id_changes-0-kind").select_option("rename")
    page.locator("#id_changes-0-unit").fill("mr-voksne")
    page.locator("#id_changes-0-name").fill("Voksenkontoret")
    page.get_by_role("button", name="Forhåndsvis").click()
    assert page.locator("#preview").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    rows = page.locator(".change-rows")
    assert rows.evaluate("box => box.scrollWidth > box.clientWidth")
    page.screenshot(path=str(ARTIFACTS / "admin-dated-change-at-1440.png"), full_page=True)
