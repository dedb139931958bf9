import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import service_missing

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("ACCORD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        service_missing(f"Chromium not found at {executable}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the Django test server and the
    # test's own ORM calls are ordinary synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page_for(page_sized):
    """A fresh browser context per person, logged in through the real login form."""
    return lambda username, password: page_sized(username, password, viewport=None)


AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The sizes every main journey is walked at: a laptop, and a phone held upright.
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        service_missing(f"axe-core not found at {AXE_SCRIPT}: run `npm ci` (make test does)")
    return AXE_SCRIPT.read_text()


@pytest.fixture
def assert_accessible(axe_source):
    """Run axe-core in the page and fail on any serious or critical violation, naming each with
    the elements it found. The script is evaluated through the browser's debugging protocol, which
    the page's Content-Security-Policy does not govern, so the policy stays as users get it."""

    def check(page, context: str = "") -> None:
        # A URL check passes as soon as the address changes; judge the page once it (and its
        # stylesheets and deferred scripts) has loaded, not half-styled in between.
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
        grave = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
        described = [
            f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(n["target"][0] for n in v["nodes"][:5])
            for v in grave
        ]
        assert not grave, f"{context or page.url}: " + "; ".join(described)

    return check


@pytest.fixture
def screenshot():
    """Save the page as docs/screenshots/NAME.png when ACCORD_SCREENSHOTS=1 (`make screenshots`),
    the pictures the README shows; otherwise do nothing."""

    def take(page, name: str) -> None:
        if os.environ.get("ACCORD_SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

    return take


@pytest.fixture
def page_sized(browser, live_server):
    """Like page_for, at a given viewport (WIDE or PHONE), logged in through the login form."""
    contexts = []

    def open_as(username: str, password: str, viewport: dict):
        # viewport None: Playwright's default size.
        sized = {"viewport": viewport} if viewport else {}
        context = browser.new_context(base_url=live_server.url, **sized)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()
