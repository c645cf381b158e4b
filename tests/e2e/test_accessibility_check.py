"""The journeys' accessibility audit itself reports what it must (a check that could not fail
would prove nothing). That it runs under the pages' Content-Security-Policy, the journeys show:
each screenshot is audited, and a page whose CSP refused anything fails them."""

import pytest

from tests.e2e.conftest import PHONE, accessibility_violations, check_accessibility

pytestmark = [pytest.mark.browser]


def test_the_audit_reports_serious_and_critical_violations_only(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_content(
        "<!doctype html><html lang='en'><head><title>t</title></head><body><main>"
        "<img src='data:,'>"  # no alt text: critical
        "<input type='text'>"  # no label: critical
        "<h1>Title</h1><h3>Skipped a level</h3>"  # heading order: moderate, not reported
        "</main></body></html>"
    )
    violations = accessibility_violations(page)
    assert sorted((v["id"], v["impact"]) for v in violations) == [
        ("image-alt", "critical"),
        ("label", "critical"),
    ]
    with pytest.raises(AssertionError) as failure:
        check_accessibility(page)
    message = str(failure.value)
    assert "2 serious or critical accessibility violation(s) on about:blank" in message
    assert "image-alt (critical): Images must have alternative text" in message
    assert "label (critical): Form elements must have labels" in message
    context.close()
