"""A district admin opens the engagement dashboard on a desktop browser, exports a table and
opens the printable report; a board member reads it read-only on a phone (issues 7 and 8)."""

import csv
import datetime
import io
import time

import pytest
import time_machine
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from engage.management.commands.seed_demo import DEMO_TOTP_SECRET
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_activity_journey import MORNING, demo, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["demo"]


def totp_code() -> str:
    step = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, step))


def test_district_admin_reads_exports_and_prints_the_dashboard(demo, open_page, tmp_path):
    with time_machine.travel(MORNING + datetime.timedelta(hours=1), tick=True):
        admin = open_page(DESKTOP)
        sign_in(admin, "diane.okafor@riverbend.example")
        admin.page.fill("input[name=code]", totp_code())
        admin.page.get_by_role("button", name="Sign in").click()
        admin.page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
        admin.page.get_by_role("link", name="Dashboards").click()
        admin.page.wait_for_url("**/dashboards/district/")
        admin.page.wait_for_selector("h1:has-text('Family engagement: Riverbend Unified')")
        assert admin.page.locator("svg.chart").count() == 4
        figures = admin.page.locator("ul.figures li strong").all_inner_texts()
        assert figures[0] == "64"  # families
        admin.shot("district-dashboard")

        admin.page.get_by_text("Show the trend as a table").click()
        assert admin.page.locator("table caption:has-text('Weekly trend')").is_visible()

        with admin.page.expect_download() as download:
            admin.page.locator("#places-title ~ p a:has-text('Download as CSV')").click()
        path = tmp_path / "schools.csv"
        download.value.save_as(path)
        rows = list(csv.reader(io.StringIO(path.read_text())))
        assert rows[0][0] == "School"
        assert [row[0] for row in rows[1:]] == ["Riverbend Elementary", "Riverbend Middle"]

        admin.page.get_by_role("link", name="Riverbend Elementary").click()
        admin.page.wait_for_selector("h1:has-text('Family engagement: Riverbend Elementary')")
        admin.shot("school-dashboard")

        admin.page.get_by_role("link", name="Printable report").click()
        admin.page.wait_for_selector("h1:has-text('Family engagement report')")
        admin.page.emulate_media(media="print")
        assert not admin.page.locator("nav.main").is_visible()  # the print stylesheet
        admin.shot("printable-report")
        pdf = tmp_path / "report.pdf"
        admin.page.pdf(path=str(pdf))
        assert pdf.read_bytes()[:5] == b"%PDF-"
        assert admin.origins == {admin.base_url}

        board = open_page(PHONE)
        sign_in(board, "beatrice.lund@riverbend.example")
        board.page.get_by_role("link", name="Open the engagement dashboard").click()
        board.page.wait_for_selector("h1:has-text('Family engagement: Riverbend Unified')")
        assert board.fits_width()
        assert board.page.get_by_text("Send these families a message").count() == 0
        board.shot("viewer-dashboard-phone")
