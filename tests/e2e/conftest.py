"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Chromium is a system package (`apt-get install chromium`; `.ci/run` installs it). Without it the
browser tests are skipped on a developer's machine and fail in CI (CI=true), like the services.
Screenshots of every step land in `var/screenshots/<test>/`.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser():
    """Chromium for one test module. Playwright's sync API keeps an event loop running in this
    thread, which Django's database calls refuse unless told it is safe (it is: the loop only
    drives the browser); the module scope ends the loop before other tests run."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Page:
    """A Playwright page that records every request's origin and saves numbered screenshots."""

    def __init__(self, page, base_url: str, shots: Path, counter: list[int]):
        self.page, self.base_url, self.shots = page, base_url, shots
        self.origins: set[str] = set()
        self.counter = counter  # shared by the test's pages: screenshots number in order
        page.on("request", lambda request: self.origins.add(_origin(request.url)))

    def go(self, path: str):
        return self.page.goto(self.base_url + path if path.startswith("/") else path)

    def shot(self, name: str) -> None:
        self.counter[0] += 1
        path = self.shots / f"{self.counter[0]:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)

    def fits_width(self) -> bool:
        """Nothing wider than the screen (no sideways scrolling on a phone)."""
        return self.page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )


def _origin(url: str) -> str:
    match = re.match(r"^(\w+://[^/]+)", url)
    return match.group(1) if match else url.split(":")[0]


@pytest.fixture
def open_page(browser, live_server, request):
    """open_page(viewport=PHONE): a fresh browser context (no cookies) on the live server."""
    shots = Path(settings.BASE_DIR) / "var" / "screenshots" / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    contexts, counter = [], [0]

    def _open(viewport=PHONE, locale="en-US"):
        context = browser.new_context(viewport=viewport, locale=locale)
        contexts.append(context)
        return Page(context.new_page(), live_server.url, shots, counter)

    yield _open
    for context in contexts:
        context.close()
