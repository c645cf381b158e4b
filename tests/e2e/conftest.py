"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Chromium is a system package (`apt-get install chromium`; `.ci/run` installs it). Without it the
browser tests are skipped on a developer's machine and fail in CI (CI=true), like the services.

Every step's screenshot lands in `$E2E_SCREENSHOTS/<test>/` (default `var/e2e-screenshots/`;
`.ci/run` prints the folder), and every page screenshotted is first audited with axe-core
(vendored in tests/e2e/vendor/, never fetched at run time): a serious or critical violation fails
the test and is printed. `check_accessibility(page)` and `screenshot(page, name)` do the same for
a journey of its own.
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
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.14.1 (MPL-2.0), npm pack
FAILING_IMPACTS = ("serious", "critical")


def screenshots_dir() -> Path:
    """Where the journeys' screenshots go: $E2E_SCREENSHOTS, else var/e2e-screenshots/."""
    folder = (
        os.environ.get("E2E_SCREENSHOTS") or Path(settings.BASE_DIR) / "var" / "e2e-screenshots"
    )
    return Path(folder)


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


def accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it stands (WCAG 2.x A and AA
    rules and axe's best practices). The script is evaluated through the DevTools protocol, which
    the page's Content-Security-Policy does not govern, so the audit sees the page exactly as a
    visitor's browser does, CSP on."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node['failureSummary']}")
            lines.append(f"      {node['html'][:200]}")
    return "\n".join(lines)


def check_accessibility(page) -> None:
    """Fail with the list of serious or critical axe-core violations on a Playwright page."""
    violations = accessibility_violations(page)
    assert not violations, format_violations(page.url, violations)


def screenshot(page, name: str, *, folder: Path | None = None) -> Path:
    """Save a full-page screenshot as `<folder>/<name>.png` (folder: the screenshots folder)."""
    path = (folder or screenshots_dir()) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


class Page:
    """A Playwright page that records every request's origin and saves numbered screenshots,
    each after an accessibility audit of the page."""

    def __init__(self, page, base_url: str, shots: Path, counter: list[int]):
        self.page, self.base_url, self.shots = page, base_url, shots
        self.origins: set[str] = set()
        self.counter = counter  # shared by the test's pages: screenshots number in order
        self.csp_errors: list[str] = []  # what the page's Content-Security-Policy refused
        page.on("request", lambda request: self.origins.add(_origin(request.url)))
        page.on("console", self._record_csp_error)

    def _record_csp_error(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_errors.append(f"{self.page.url}: {message.text}")

    def go(self, path: str):
        return self.page.goto(self.base_url + path if path.startswith("/") else path)

    def shot(self, name: str) -> None:
        self.counter[0] += 1
        screenshot(self.page, f"{self.counter[0]:02d}-{name}", folder=self.shots)
        check_accessibility(self.page)
        assert self.csp_errors == [], "the Content-Security-Policy refused part of a page"

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
    shots = screenshots_dir() / request.node.name
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
