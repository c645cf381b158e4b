"""Two-factor authentication: school and district admins must use TOTP; nobody else is forced.

The codes are computed from the secret allauth keeps in the session while activating, with
allauth's own TOTP helpers, at frozen times (a TOTP code is valid for one 30-second step and
allauth refuses to accept the same code twice).
"""

import datetime as dt

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value

from tests.world import PASSWORD

LOGIN_URL = "/accounts/login/"
ACTIVATE_URL = "/accounts/2fa/totp/activate/"
DEACTIVATE_URL = "/accounts/2fa/totp/deactivate/"
AUTHENTICATE_URL = "/accounts/2fa/authenticate/"
RECOVERY_CODES_URL = "/accounts/2fa/recovery-codes/"
REAUTHENTICATE_URL = "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
START = dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC)
TOTP_STEP = 30


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def sign_in_with_password(client, key: str):
    return client.post(LOGIN_URL, {"login": f"{key}@example.org", "password": PASSWORD})


def current_totp_code(secret: str) -> str:
    counter = int(dt.datetime.now(dt.UTC).timestamp()) // TOTP_STEP
    return format_hotp_value(hotp_value(secret, counter))


def activate_totp(client) -> str:
    """Activate TOTP through allauth's page, as a person with an authenticator app would.

    allauth asks for the password again first (a fresh sign-in does not count): a stolen
    session alone cannot enrol the thief's authenticator and lock the owner out.
    """
    response = client.get(ACTIVATE_URL)
    assert (response.status_code, response["Location"]) == (302, REAUTHENTICATE_URL)
    response = client.post(REAUTHENTICATE_URL, {"password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, ACTIVATE_URL)
    assert client.get(ACTIVATE_URL).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(ACTIVATE_URL, {"code": current_totp_code(secret)})
    assert (response.status_code, response["Location"]) == (302, RECOVERY_CODES_URL)
    return secret


def wrong_totp_code(secret: str) -> str:
    return f"{(int(current_totp_code(secret)) + 1) % 10**6:06d}"


def totp_count(user) -> int:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count()


@pytest.mark.parametrize(("key", "home"), [("priya", "/school/"), ("dana", "/district/")])
def test_admin_without_totp_is_sent_to_set_it_up_from_every_page(client, world, key, home):
    assert sign_in_with_password(client, key)["Location"] == "/"

    pages = ["/", home, "/staff/", "/preferences/", "/family/", "/api/v1/me/", "/admin/"]
    answers = {page: client.get(page) for page in pages}

    redirects = {page: (answer.status_code, answer["Location"]) for page, answer in answers.items()}
    assert redirects == dict.fromkeys(pages, (302, ACTIVATE_URL))
    assert client.post("/switch/", {"context": "x"})["Location"] == ACTIVATE_URL
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert totp_count(world.people[key]) == 0


def test_admin_who_activates_totp_reaches_home_and_then_needs_a_code_to_sign_in(
    client, world, frozen
):
    priya = world.priya
    sign_in_with_password(client, "priya")

    secret = activate_totp(client)

    assert totp_count(priya) == 1
    assert client.get("/")["Location"] == "/school/"
    assert client.get("/school/").status_code == 200

    client.post("/accounts/logout/")
    frozen.shift(TOTP_STEP)
    response = sign_in_with_password(client, "priya")

    assert (response.status_code, response["Location"]) == (302, AUTHENTICATE_URL)
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"] == "/accounts/login/?next=/"
    wrong = client.post(AUTHENTICATE_URL, {"code": wrong_totp_code(secret)})
    assert "Incorrect code." in wrong.content.decode()
    response = client.post(AUTHENTICATE_URL, {"code": current_totp_code(secret)})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert int(client.session["_auth_user_id"]) == priya.id
    assert client.get("/")["Location"] == "/school/"
    assert client.get("/school/").status_code == 200


def test_a_totp_code_is_accepted_only_once(client, world, frozen):
    sign_in_with_password(client, "dana")
    secret = activate_totp(client)
    client.post("/accounts/logout/")
    frozen.shift(TOTP_STEP)
    sign_in_with_password(client, "dana")
    code = current_totp_code(secret)
    assert client.post(AUTHENTICATE_URL, {"code": code})["Location"] == "/"
    client.post("/accounts/logout/")

    sign_in_with_password(client, "dana")
    replayed = client.post(AUTHENTICATE_URL, {"code": code})

    assert replayed.status_code == 200
    assert "Incorrect code." in replayed.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_does_not_activate_totp(client, world, frozen):
    sign_in_with_password(client, "priya")
    client.post(REAUTHENTICATE_URL, {"password": PASSWORD})
    assert client.get(ACTIVATE_URL).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(ACTIVATE_URL, {"code": wrong_totp_code(secret)})

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert totp_count(world.priya) == 0
    assert client.get("/")["Location"] == ACTIVATE_URL


@pytest.mark.parametrize(
    ("key", "home"),
    [("tom", "/teach/"), ("sam", "/school/"), ("vera", "/overview/"), ("ben", "/join/consent/")],
)
def test_teachers_staff_viewers_and_guardians_are_not_forced(client, world, key, home):
    sign_in_with_password(client, key)

    assert client.get("/")["Location"] == home
    assert client.get(home).status_code == 200
    assert totp_count(world.people[key]) == 0


def test_admin_cannot_turn_totp_off(client, world, frozen):
    sign_in_with_password(client, "priya")
    activate_totp(client)

    response = client.post(DEACTIVATE_URL)

    assert response.status_code == 200
    assert "You cannot deactivate two-factor authentication." in response.content.decode()
    assert totp_count(world.priya) == 1


def test_teacher_may_turn_totp_on_and_off(client, world, frozen):
    sign_in_with_password(client, "tom")
    activate_totp(client)
    assert totp_count(world.tom) == 1

    response = client.post(DEACTIVATE_URL)

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/")
    assert totp_count(world.tom) == 0
