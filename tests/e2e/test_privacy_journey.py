"""A family's privacy in a real browser on a 360 px phone (issue 6; issue 8's journey): the
guardian opens their privacy page, downloads their data, asks to be forgotten, and the daily
erasure job carries it out."""

import datetime
import io
import json
import zipfile

import pytest
import time_machine
from django.core.management import call_command

from privacy.models import PrivacyRequest
from tenants.models import User
from tests.e2e.conftest import PHONE
from tests.e2e.test_activity_journey import MORNING, demo, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["demo"]


def test_a_guardian_downloads_their_data_and_asks_to_be_forgotten(demo, open_page, tmp_path):
    with time_machine.travel(MORNING, tick=True):
        phone = open_page(PHONE)
        sign_in(phone, "james.carter@riverbend.example")
        phone.page.get_by_role("link", name="Privacy").click()
        phone.page.wait_for_selector("h1:has-text('Privacy and your data')")
        assert phone.fits_width()
        phone.shot("privacy-page")

        with phone.page.expect_download() as download:
            phone.page.get_by_role("button", name="Download my data").click()
        path = tmp_path / "copy.zip"
        download.value.save_as(path)
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            data = json.loads(archive.read("data.json"))
        assert "summary.html" in names
        assert data["you"]["email"] == "james.carter@riverbend.example"
        assert sorted(child["first_name"] for child in data["children"]) == ["Ava", "Zara"]

        phone.go("/privacy/me/forget/")
        assert phone.fits_width()
        phone.shot("forget")
        phone.page.get_by_role("button", name="Forget us").click()
        phone.page.wait_for_url("**/privacy/closed/")
        phone.shot("closed")
        assert phone.fits_width()
        assert phone.origins == {phone.base_url}

    james = User.objects.get(email="james.carter@riverbend.example")
    assert james.is_active is False
    request = PrivacyRequest.objects.get(requester=james, kind="erasure")
    assert request.due_at.date() == (MORNING + datetime.timedelta(days=30)).date()

    with time_machine.travel(MORNING + datetime.timedelta(days=1), tick=True):
        call_command("retention", "run", "--job", "erasure", stdout=io.StringIO())
    request.refresh_from_db()
    assert request.status == "done"
    assert not User.objects.filter(email="james.carter@riverbend.example").exists()
