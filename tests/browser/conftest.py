"""Browser tests: Debian's Chromium driven by Playwright, against the registry served for
real (`manage.py bootstrap` and `runserver` on a fresh SQLite file, in a subprocess).

Screenshots are kept in artifacts/ (ignored by git)."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.served import served_registry

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Registry(str):
    """The registry's base URL, which also knows the demo accounts' passwords."""

    def __new__(cls, url, passwords):
        registry = super().__new__(cls, url)
        registry.passwords = passwords
        return registry


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory):
    with served_registry(tmp_path_factory.mktemp("browser")) as served:
        yield Registry(served.web_server(), served.passwords)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page that records console errors; the test fails if any occurred."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="da-DK")
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"console errors: {errors}"
