"""The joining journeys of the demo in a real browser on a 360 px phone screen (issue 4):
invite by SMS -> code -> consent -> profile -> home with the child; and self-registration."""

import datetime
import re

import pytest
import time_machine
from django.core.management import call_command

from notifications.models import OutboxEntry
from tests.e2e.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 09:00 in Riverbend (Chicago) on a Monday: outside quiet hours, so the invite goes at once.
MORNING = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


def last_code(phone: str) -> str:
    body = OutboxEntry.objects.filter(to=phone).order_by("id").last().body
    return re.search(r"\b(\d{6})\b", body).group(1)


def test_invite_journey_on_a_phone(demo, open_page):
    with time_machine.travel(MORNING, tick=True):
        teacher = open_page(DESKTOP)
        teacher.go("/accounts/login/")
        teacher.page.fill("#id_login", "tara.brooks@riverbend.example")
        teacher.page.fill("#id_password", "riverbend-demo-2026")
        teacher.page.get_by_role("button", name="Sign in", exact=True).click()
        teacher.page.get_by_role("link", name="Invitations").click()
        teacher.page.get_by_role("link", name="Room 1").wait_for()
        teacher.shot("teacher-invitations")
        teacher.page.get_by_role("link", name="Room 1").click()
        teacher.page.get_by_role("button", name="Invite every family not yet invited").wait_for()
        teacher.shot("teacher-room-invitations")
        teacher.page.get_by_role("button", name="Invite every family not yet invited").click()
        teacher.page.wait_for_selector("text=1 invitation sent.")
        teacher.shot("teacher-invited")

        sms = OutboxEntry.objects.get(to="+13125550177", body__contains="/join/i/")
        link = re.search(r"(http://\S+/join/i/\S+/)", sms.body).group(1)
        phone = open_page(PHONE)
        phone.go(link.replace("http://127.0.0.1:8000", phone.base_url))
        phone.page.wait_for_selector("text=Welcome, Rosa")
        assert phone.fits_width()
        phone.shot("invite")
        phone.page.get_by_role("button", name=re.compile("Text a code")).click()
        phone.page.fill("#id_code", last_code("+13125550177"))
        phone.shot("code")
        phone.page.get_by_role("button", name="Confirm").click()

        phone.page.wait_for_selector("h1:has-text('Your privacy')")
        assert phone.fits_width()
        assert not phone.page.is_checked("#id_photo_promotion")  # opt-ins start off
        assert not phone.page.is_checked("#id_non_essential")
        phone.page.check("#id_is_policy_accepted")
        phone.shot("consent")
        phone.page.get_by_role("button", name="Continue").click()

        phone.page.wait_for_selector("h1:has-text('About you')")
        assert phone.fits_width()
        phone.page.select_option("#id_relationship", "mother")
        phone.shot("profile")
        phone.page.get_by_role("button", name="Save and continue").click()

        phone.page.wait_for_selector("h2:has-text('Elena Diaz')")
        assert phone.fits_width()
        phone.shot("home")
    assert phone.origins == {phone.base_url}  # nothing from any third-party origin


def test_self_registration_on_a_phone(demo, open_page):
    phone = open_page(PHONE)
    phone.go("/accounts/login/")
    phone.shot("sign-in")
    phone.page.get_by_role("link", name="New to Engage? Join your child's school").click()
    phone.page.get_by_role("link", name="Riverbend Unified").wait_for()
    phone.shot("join-start")
    phone.page.get_by_role("link", name="Riverbend Unified").click()
    assert phone.fits_width()
    phone.page.fill("#id_first_name", "Ahmed")
    phone.page.fill("#id_last_name", "Karim")
    phone.page.fill("#id_child_first_name", "Yusuf")
    phone.page.fill("#id_child_last_name", "Karim")
    phone.page.fill("#id_child_birth_date", "2019-09-02")
    phone.page.fill("#id_contact", "(312) 555-0166")
    phone.shot("register")
    phone.page.get_by_role("button", name="Send me a code").click()
    phone.page.wait_for_selector("text=matches the school's records")
    phone.page.fill("#id_code", last_code("+13125550166"))
    phone.shot("register-code")
    phone.page.get_by_role("button", name="Confirm").click()
    phone.page.check("#id_is_policy_accepted")
    phone.shot("register-consent")
    phone.page.get_by_role("button", name="Continue").click()
    phone.page.get_by_role("button", name="Skip").wait_for()
    phone.shot("register-profile")
    phone.page.get_by_role("button", name="Skip").click()
    phone.page.wait_for_selector("h2:has-text('Yusuf Karim')")
    assert phone.fits_width()
    phone.shot("home")
    assert phone.origins == {phone.base_url}
