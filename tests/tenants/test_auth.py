"""Signing in: one-time codes for families (phone or email), passwords for staff.

Everything goes through the real allauth views with the Django test client; codes are read from
the local outbox (notifications.OutboxEntry), where the SMS and email providers write them.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from guardians.actions import do_link_guardian
from notifications.models import OutboxEntry
from tenants.actions import do_create_user
from tests.world import PASSWORD, SYSTEM

LOGIN_URL = "/accounts/login/"
REQUEST_CODE_URL = "/accounts/login/code/"
CONFIRM_CODE_URL = "/accounts/login/code/confirm/"
PAT_PHONE = "+13125550142"
UNKNOWN_PHONE = "+13125550199"
START = dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC)
CODE = re.compile(r"\b[B-Z]{4}-[B-Z]{4}\b")
WRONG_CODE = "AAAA-AAAA"  # "A" is not in allauth's code alphabet, so never the real code
CODE_TIMEOUT = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT
IP_A = "203.0.113.10"
IP_B = "198.51.100.20"

TOO_MANY = "Too many failed login attempts. Try again later."
WRONG_PASSWORD = "The email address and/or password you specified are not correct."


@pytest.fixture
def pat(world):
    """A guardian who has only a mobile number: no email address, no password."""
    user = do_create_user(phone=PAT_PHONE, first_name="Pat", last_name="Brooks", actor=SYSTEM)
    do_link_guardian(world.noah, user, actor=SYSTEM)
    return user


@pytest.fixture
def outbox_mail(settings):
    """Mail goes through Engage's backend into the outbox (the test runner swaps in locmem)."""
    settings.MAILERS = {"default": {"BACKEND": "notifications.email_backend.EngageEmailBackend"}}


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def request_code_afresh(*, ip: str, **identifier):
    """Ask for a code from a new browser at `ip`."""
    return Client().post(REQUEST_CODE_URL, identifier, REMOTE_ADDR=ip)


def sent_code(entry: OutboxEntry) -> str:
    (code,) = CODE.findall(entry.body)
    return code


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def signed_in_user_id(client) -> int:
    return int(client.session["_auth_user_id"])


def comparable(html: str) -> str:
    """A page without the parts that differ on every response (CSRF tokens, CSP nonces)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    return re.sub(r'nonce="[^"]+"', "NONCE", html)


# --- The sign-in page -------------------------------------------------------------------------


def test_sign_in_page_offers_a_code_first_and_a_password_for_staff(client, db):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    html = response.content.decode()
    code_form = html.index(f'action="{REQUEST_CODE_URL}"')
    password_form = html.index(f'action="{LOGIN_URL}"')
    assert code_form < password_form
    assert '<input id="code-phone" name="phone" type="tel"' in html
    assert '<input id="code-email" name="email" type="email"' in html
    assert 'type="password" name="password"' in html
    assert "Sign in with your school account" not in html  # no district, no SSO buttons


def test_empty_code_request_is_refused_with_a_message(client, db):
    response = client.post(REQUEST_CODE_URL, {"phone": "", "email": ""})

    assert response.status_code == 200
    assert "Enter your mobile number or your email address." in response.content.decode()
    assert OutboxEntry.objects.count() == 0


# --- Guardians: a one-time code ----------------------------------------------------------------


def test_guardian_signs_in_with_a_code_texted_to_a_number_typed_in_national_format(client, pat):
    response = client.post(REQUEST_CODE_URL, {"phone": "(312) 555-0142"})

    assert response.status_code == 302
    assert response["Location"] == CONFIRM_CODE_URL
    (sms,) = OutboxEntry.objects.all()
    code = sent_code(sms)
    assert (sms.channel, sms.to, sms.subject) == ("sms", PAT_PHONE, "")
    assert sms.body == f"Your Engage sign-in code is {code}. It expires in 10 minutes."
    page = client.get(CONFIRM_CODE_URL)
    assert page.status_code == 200
    assert f"If {PAT_PHONE} belongs to an Engage account" in page.content.decode()

    response = client.post(CONFIRM_CODE_URL, {"code": code})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == pat.id
    # First the privacy policy in force (PROMISES C2), then the family home.
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/join/consent/")
    assert client.post("/join/consent/", {"is_policy_accepted": "on"})["Location"] == "/family/"
    assert client.get("/")["Location"] == "/family/"
    family = client.get("/family/")
    assert family.status_code == 200
    assert "Hello, Pat" in family.content.decode()
    pat.refresh_from_db()
    assert pat.phone_verified is True


def test_guardian_signs_in_with_a_code_emailed_to_them(client, world, outbox_mail):
    response = client.post(REQUEST_CODE_URL, {"email": "ben@example.org"})

    assert (response.status_code, response["Location"]) == (302, CONFIRM_CODE_URL)
    (mail,) = OutboxEntry.objects.all()
    code = sent_code(mail)
    assert (mail.channel, mail.to) == ("email", "ben@example.org")
    assert mail.subject == "Your Engage sign-in code"
    assert mail.body.startswith(f"Your Engage sign-in code is:\n\n{code}\n\n")

    response = client.post(CONFIRM_CODE_URL, {"code": code})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == world.ben.id
    assert client.get("/")["Location"] == "/join/consent/"


@pytest.mark.parametrize(
    ("seconds_later", "is_accepted"),
    [(CODE_TIMEOUT, True), (CODE_TIMEOUT + 1, False)],
    ids=["at-the-timeout", "one-second-after"],
)
def test_code_expires_after_the_timeout(client, pat, frozen, seconds_later, is_accepted):
    assert settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT == 600
    client.post(REQUEST_CODE_URL, {"phone": PAT_PHONE})
    code = sent_code(OutboxEntry.objects.get())
    frozen.shift(seconds_later)

    response = client.post(CONFIRM_CODE_URL, {"code": code})

    assert response.status_code == 302
    assert response["Location"] == ("/" if is_accepted else REQUEST_CODE_URL)
    assert is_signed_in(client) is is_accepted


def test_code_works_only_once(client, pat):
    client.post(REQUEST_CODE_URL, {"phone": PAT_PHONE})
    code = sent_code(OutboxEntry.objects.get())
    assert client.post(CONFIRM_CODE_URL, {"code": code})["Location"] == "/"
    client.post("/accounts/logout/")
    assert is_signed_in(client) is False

    response = client.post(CONFIRM_CODE_URL, {"code": code})

    assert (response.status_code, response["Location"]) == (302, REQUEST_CODE_URL)
    assert is_signed_in(client) is False


def test_wrong_codes_are_limited_then_even_the_right_code_fails(client, pat):
    assert settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS == 3
    client.post(REQUEST_CODE_URL, {"phone": PAT_PHONE})
    code = sent_code(OutboxEntry.objects.get())

    first = client.post(CONFIRM_CODE_URL, {"code": WRONG_CODE})
    second = client.post(CONFIRM_CODE_URL, {"code": WRONG_CODE})
    third = client.post(CONFIRM_CODE_URL, {"code": WRONG_CODE})
    after = client.post(CONFIRM_CODE_URL, {"code": code})

    assert first.status_code == second.status_code == 200
    assert "Incorrect code." in first.content.decode()
    assert (third.status_code, third["Location"]) == (302, REQUEST_CODE_URL)
    assert (after.status_code, after["Location"]) == (302, REQUEST_CODE_URL)
    assert is_signed_in(client) is False
    page = client.get(REQUEST_CODE_URL)
    assert TOO_MANY in page.content.decode()


def test_code_requests_are_limited_per_number_however_it_is_typed(pat, frozen):
    # Each request from a new browser: one with a code pending is sent back to its code page.
    for typed in [PAT_PHONE, "(312) 555-0142", "312-555-0142"]:
        response = request_code_afresh(phone=typed, ip=IP_A)
        assert (response.status_code, response["Location"]) == (302, CONFIRM_CODE_URL)

    refused = request_code_afresh(phone="312 555 0142", ip=IP_B)

    assert refused.status_code == 200
    assert TOO_MANY in refused.content.decode()
    assert OutboxEntry.objects.filter(to=PAT_PHONE).count() == 3
    frozen.shift(15 * 60)
    assert request_code_afresh(phone=PAT_PHONE, ip=IP_B).status_code == 302
    assert OutboxEntry.objects.filter(to=PAT_PHONE).count() == 4


def test_code_requests_are_limited_per_ip(pat, frozen):
    # 10 requests an hour from one IP, over any numbers (3 each at most, the per-number limit).
    for digit in range(10):
        response = request_code_afresh(phone=f"+1312555010{digit}", ip=IP_A)
        assert (response.status_code, response["Location"]) == (302, CONFIRM_CODE_URL)

    refused = request_code_afresh(phone=PAT_PHONE, ip=IP_A)
    elsewhere = request_code_afresh(phone=PAT_PHONE, ip=IP_B)

    assert refused.status_code == 200
    assert TOO_MANY in refused.content.decode()
    assert elsewhere.status_code == 302
    assert list(OutboxEntry.objects.values_list("to", flat=True)) == [PAT_PHONE]


def test_unknown_number_gets_nothing_and_the_same_page(client, pat, django_user_model):
    known, unknown = client, Client()

    known_reply = known.post(REQUEST_CODE_URL, {"phone": PAT_PHONE})
    unknown_reply = unknown.post(REQUEST_CODE_URL, {"phone": UNKNOWN_PHONE})

    assert (known_reply.status_code, known_reply["Location"]) == (302, CONFIRM_CODE_URL)
    assert (unknown_reply.status_code, unknown_reply["Location"]) == (302, CONFIRM_CODE_URL)
    known_page = known.get(CONFIRM_CODE_URL).content.decode().replace(PAT_PHONE, "NUMBER")
    unknown_page = unknown.get(CONFIRM_CODE_URL).content.decode().replace(UNKNOWN_PHONE, "NUMBER")
    assert comparable(known_page) == comparable(unknown_page)
    assert list(OutboxEntry.objects.values_list("to", flat=True)) == [PAT_PHONE]
    assert not django_user_model.objects.filter(phone=UNKNOWN_PHONE).exists()
    wrong = unknown.post(CONFIRM_CODE_URL, {"code": WRONG_CODE})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()


def test_unknown_email_gets_nothing_and_the_same_page(client, world, outbox_mail):
    known, unknown = client, Client()

    known.post(REQUEST_CODE_URL, {"email": "ben@example.org"})
    unknown.post(REQUEST_CODE_URL, {"email": "nobody@example.org"})

    known_page = known.get(CONFIRM_CODE_URL).content.decode().replace("ben@", "ADDRESS@")
    unknown_page = unknown.get(CONFIRM_CODE_URL).content.decode().replace("nobody@", "ADDRESS@")
    assert comparable(known_page) == comparable(unknown_page)
    assert list(OutboxEntry.objects.values_list("to", flat=True)) == ["ben@example.org"]


def test_a_number_that_is_not_a_phone_number_is_refused(client, pat):
    response = client.post(REQUEST_CODE_URL, {"phone": "(312) 555-014"})

    assert response.status_code == 200
    assert "Enter a valid mobile number." in response.content.decode()
    assert OutboxEntry.objects.count() == 0


# --- Staff: email and password ------------------------------------------------------------


def test_staff_signs_in_with_email_and_password(client, world):
    response = client.post(LOGIN_URL, {"login": "tom@example.org", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == world.tom.id
    assert client.get("/")["Location"] == "/teach/"
    assert client.get("/teach/").status_code == 200


def test_password_sign_in_accepts_a_phone_number_in_national_format(client, world):
    user = do_create_user(
        email="sky@example.org", phone="+13125550177", password=PASSWORD, actor=SYSTEM
    )

    response = client.post(LOGIN_URL, {"login": "(312) 555-0177", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == user.id


def test_five_bad_passwords_lock_the_identifier_from_that_ip_only(client, world, frozen):
    for _attempt in range(5):
        response = client.post(
            LOGIN_URL, {"login": "tom@example.org", "password": "wrong"}, REMOTE_ADDR=IP_A
        )
        assert response.status_code == 200
        assert WRONG_PASSWORD in response.content.decode()

    locked = client.post(
        LOGIN_URL, {"login": "TOM@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )
    other_person = Client().post(
        LOGIN_URL, {"login": "tina@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )
    other_ip = Client().post(
        LOGIN_URL, {"login": "tom@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_B
    )

    assert locked.status_code == 200
    assert TOO_MANY in locked.content.decode()
    assert is_signed_in(client) is False
    assert (other_person.status_code, other_person["Location"]) == (302, "/")
    assert (other_ip.status_code, other_ip["Location"]) == (302, "/")
    frozen.shift(15 * 60)
    unlocked = client.post(
        LOGIN_URL, {"login": "tom@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )
    assert (unlocked.status_code, unlocked["Location"]) == (302, "/")


def test_twenty_bad_passwords_a_minute_lock_the_ip_for_everyone(client, world, frozen):
    # The per-IP limit (login_failed 20/m/ip) stops password spraying: 4 people x 5 tries here.
    for key in ["tom", "tina", "mo", "sam"]:
        for _attempt in range(5):
            response = client.post(
                LOGIN_URL, {"login": f"{key}@example.org", "password": "wrong"}, REMOTE_ADDR=IP_A
            )
            assert WRONG_PASSWORD in response.content.decode()

    same_ip = Client().post(
        LOGIN_URL, {"login": "ben@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )
    other_ip = Client().post(
        LOGIN_URL, {"login": "ben@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_B
    )

    assert same_ip.status_code == 200
    assert TOO_MANY in same_ip.content.decode()
    assert (other_ip.status_code, other_ip["Location"]) == (302, "/")
    frozen.shift(60)
    after_a_minute = Client().post(
        LOGIN_URL, {"login": "ben@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )
    assert (after_a_minute.status_code, after_a_minute["Location"]) == (302, "/")


def test_behind_a_trusted_proxy_the_lockout_follows_the_forwarded_client_ip(
    world, frozen, settings
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def attempt(password: str, forwarded_for: str):
        return Client().post(
            LOGIN_URL,
            {"login": "tom@example.org", "password": password},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    for _attempt in range(5):
        assert WRONG_PASSWORD in attempt("wrong", IP_A).content.decode()

    assert TOO_MANY in attempt(PASSWORD, IP_A).content.decode()
    assert attempt(PASSWORD, IP_B)["Location"] == "/"
