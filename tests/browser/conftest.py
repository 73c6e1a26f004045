"""Playwright against pytest-django's live_server, driving Debian's Chromium.

Browser tests run when Chromium is installed (CI installs it and sets BROWSER_TESTS=1, which
turns a missing browser into an error instead of a skip). Signing in through the pages is
``tests.helpers.sign_in``.
"""

import os
import shutil

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def _chromium_path():
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    path = _chromium_path()
    for item in items:
        if "tests/browser/" not in str(item.fspath).replace(os.sep, "/"):
            continue
        item.add_marker(pytest.mark.browser)
        if path is None and os.environ.get("BROWSER_TESTS") != "1":
            item.add_marker(pytest.mark.skip(reason="Chromium not found at /usr/bin/chromium"))


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    if path is None:
        pytest.fail("BROWSER_TESTS=1 but no Chromium found at /usr/bin/chromium")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Browser contexts on the live server; extra Playwright context options pass through."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **{"locale": "en-GB", **options})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context):
    def make(**options):
        return new_context(**options).new_page()

    return make
