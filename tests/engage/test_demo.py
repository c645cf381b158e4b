"""The demo seed: idempotent, and every demo person can sign in and reach their home page."""

import datetime
import re
import time
from io import StringIO

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management import CommandError, call_command
from django.urls import reverse

from guardians.models import Child, Enrollment, GuardianLink
from notifications.models import OutboxEntry
from privacy.models import AuditEvent
from tenants.models import Classroom, District, Membership, Role, School, SchoolYear, User
from tenants.roles import home_url_name, requires_two_factor

COUNTED = [
    District,
    School,
    SchoolYear,
    Classroom,
    User,
    Membership,
    Child,
    Enrollment,
    GuardianLink,
    Authenticator,
    AuditEvent,
]


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _printed_sign_ins(printout: str) -> dict[str, tuple[str, str]]:
    """{sign-in: (role label, password)} from the printed table (columns: 2+ spaces apart)."""
    rows = [re.split(r" {2,}", line) for line in printout.splitlines() if "  http" in line]
    return {sign_in: (role, password) for role, _name, sign_in, password, _home in rows}


def _printed_totp_secret(printout: str) -> str:
    return re.search(r"TOTP secret is ([A-Z2-7]+)", printout).group(1)


def _current_code(secret: str) -> str:
    """The code of this 30-second window, never in its last second (no tolerance: it would flake)."""
    remaining = 30 - time.time() % 30
    if remaining < 1:
        time.sleep(remaining)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture
def printout(db):
    return _seed()


@pytest.mark.django_db
def test_seed_demo_twice_writes_once():
    first = _seed()
    counts = _counts()
    second = _seed()

    assert "Seeded Riverbend Unified." in first
    assert "already seeded; nothing was written" in second
    assert _counts() == counts
    assert counts["District"] == 1
    assert counts["School"] == 2
    assert counts["Classroom"] == 5
    assert counts["Child"] == 14 + 50  # the named families' children, and ten per classroom
    assert counts["Authenticator"] == 2  # the district admin and the principal


@pytest.mark.django_db
def test_seed_demo_people():
    _seed()
    district = District.objects.get(slug="riverbend")
    assert SchoolYear.objects.get(district=district, is_current=True)

    maria = User.objects.get(email="maria.alvarez@riverbend.example")
    schools = set(
        GuardianLink.objects.filter(guardian=maria).values_list("child__school__slug", flat=True)
    )
    assert schools == {"elementary", "middle"}

    lucia = User.objects.get(email="lucia.hernandez@riverbend.example")
    assert lucia.preferred_language == "es"

    phone_only = User.objects.get(phone="+13125550142")
    assert phone_only.email is None
    assert not phone_only.has_usable_password()
    assert Membership.objects.filter(user=phone_only, role=Role.GUARDIAN).exists()

    roles_seeded = set(Membership.objects.filter(district=district).values_list("role", flat=True))
    assert roles_seeded == set(Role.values)


# One demo person per kind, and the first name their home page greets them with.
DEMO_PEOPLE = [
    ("tara.brooks@riverbend.example", Role.TEACHER, "Tara"),
    ("maria.alvarez@riverbend.example", Role.GUARDIAN, "Maria"),
    ("lucia.hernandez@riverbend.example", Role.GUARDIAN, "Lucía"),
    ("omar.haddad@riverbend.example", Role.STAFF, "Omar"),
    ("paul.nguyen@riverbend.example", Role.SCHOOL_ADMIN, "Paul"),
    ("diane.okafor@riverbend.example", Role.DISTRICT_ADMIN, "Diane"),
    ("beatrice.lund@riverbend.example", Role.VIEWER, "Beatrice"),
]


def _sign_in(client, printout: str, email: str, role: str) -> None:
    """Sign in through allauth's form as the printout says, with the TOTP stage for admins."""
    sign_ins = _printed_sign_ins(printout)
    assert email in sign_ins, f"{email} is not in the printed sign-ins"
    _label, password = sign_ins[email]

    response = client.post(reverse("account_login"), {"login": email, "password": password})

    assert response.status_code == 302, response.content.decode()[:2000]
    if requires_two_factor(role):
        assert response.url.startswith(reverse("mfa_authenticate"))
        code = _current_code(_printed_totp_secret(printout))
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert not response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("email", "role", "name"), DEMO_PEOPLE)
def test_demo_person_signs_in_and_lands_on_their_home(client, printout, email, role, name):
    _sign_in(client, printout, email, role)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse(home_url_name(role))
    assert response.status_code == 200


@pytest.mark.parametrize(("email", "role", "name"), DEMO_PEOPLE)
def test_demo_person_home_page_names_them(client, printout, email, role, name):
    _sign_in(client, printout, email, role)
    client.get("/", follow=True)  # shows, and so uses up, the "Successfully signed in as" message

    response = client.get(reverse(home_url_name(role)))

    assert response.status_code == 200
    assert name in response.content.decode()


def test_phone_only_guardian_signs_in_with_a_code_from_the_outbox(client, printout):
    assert re.search(r"^.*Sam Rivera +\+13125550142 +\(one-time code\)", printout, re.MULTILINE)

    response = client.post(reverse("account_request_login_code"), {"phone": "+13125550142"})

    assert response.status_code == 302, response.content.decode()[:2000]
    (sms,) = OutboxEntry.objects.filter(to="+13125550142")
    code = re.search(r"code is (\S+)\.", sms.body).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("guardians:home")
    assert "Noah Rivera" in response.content.decode()


def test_admins_cannot_skip_the_second_factor(client, printout):
    email = "diane.okafor@riverbend.example"
    _label, password = _printed_sign_ins(printout)[email]

    response = client.post(reverse("account_login"), {"login": email, "password": password})

    assert response.url.startswith(reverse("mfa_authenticate"))
    response = client.get(reverse("tenants:district_home"))
    assert response.status_code == 302
    assert not response.url.startswith(reverse("tenants:district_home"))


def test_demo_totp_prints_the_current_code(printout, settings):
    settings.DEBUG = True
    out = StringIO()
    expected = _current_code(_printed_totp_secret(printout))

    call_command("demo_totp", "diane.okafor@riverbend.example", stdout=out, stderr=StringIO())

    assert out.getvalue().strip() == expected


def test_demo_totp_refuses_outside_debug(printout, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp", "diane.okafor@riverbend.example")


@time_machine.travel(datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC), tick=True)
def test_demo_teacher_announcement_reaches_the_family(
    client, printout, django_capture_on_commit_callbacks
):
    """A teacher sends a class announcement; the family reads it in the outbox and the inbox;
    the delivery report shows it. (Mid-morning in the district: outside quiet hours.)"""
    from notifications.models import Message

    _sign_in(client, printout, "tara.brooks@riverbend.example", Role.TEACHER)
    room = Classroom.objects.get(name="Room 1", school__slug="elementary")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/messages/new/",
            {
                "audience_type": "classrooms",
                "classroom_ids": [room.id],
                "channels": ["email"],
                "subject": "Library day",
                "body": "Bring your library book on Thursday.",
                "subject_es": "Día de biblioteca",
                "body_es": "Traigan el libro el jueves.",
            },
        )
    message = Message.objects.get(
        author__email="tara.brooks@riverbend.example", kind="announcement"
    )
    assert response.url == f"/messages/{message.id}/"
    spanish = OutboxEntry.objects.get(to="lucia.hernandez@riverbend.example")
    assert spanish.subject == "Día de biblioteca"
    assert "Traigan el libro el jueves." in spanish.body
    report = client.get(response.url).context["report"]
    # Room 1's three named families, and the ten the demo fills each class with.
    assert report["email"]["sent"] == message.recipients_count == 13
    client.logout()
    _sign_in(client, printout, "lucia.hernandez@riverbend.example", Role.GUARDIAN)
    inbox = client.get("/inbox/").content.decode()
    assert "Día de biblioteca" in inbox
    assert "Traigan el libro el jueves." in client.get(f"/inbox/{message.id}/").content.decode()


# --- the joining journeys the printout describes ----------------------------------------------


def _last_code(phone: str) -> str:
    body = OutboxEntry.objects.filter(to=phone).order_by("id").last().body
    return re.search(r"\b(\d{6})\b", body).group(1)


@time_machine.travel(datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC), tick=True)
def test_demo_invite_journey_sms_code_consent_profile_home(
    client, printout, django_capture_on_commit_callbacks
):
    """Tara invites Room 1; Rosa opens the texted link, confirms by code, consents, gives her
    relationship, and lands on her home with Elena."""
    assert "Invite: sign in as Tara Brooks" in printout
    _sign_in(client, printout, "tara.brooks@riverbend.example", Role.TEACHER)
    room = Classroom.objects.get(name="Room 1", school__slug="elementary")
    url = reverse("onboarding:classroom_invites", args=[room.id])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"channels": ["sms", "email"]}, follow=True)
    # The other Room 1 families joined already: only Rosa is invited.
    assert "1 invitation sent." in response.content.decode()
    assert "3 families have already joined." in response.content.decode()
    client.logout()

    (sms,) = OutboxEntry.objects.filter(to="+13125550177")
    link = re.search(r"http://[^/]+(/join/i/\S+/)", sms.body).group(1)
    assert "Welcome, Rosa" in client.get(link).content.decode()
    client.post(link, {"channel": "sms"})
    response = client.post(f"{link}code/", {"code": _last_code("+13125550177")})
    assert response.url == reverse("join:consent")
    response = client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    assert response.url == reverse("join:profile")
    response = client.post(reverse("join:profile"), {"relationship": "mother"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("guardians:home")
    assert "Elena Diaz" in response.content.decode()


def test_demo_self_registration_journey(client, printout):
    """Ahmed registers with the details the printout gives and lands on his home with Yusuf."""
    assert "Ahmed Karim, child Yusuf Karim, born 2019-09-02" in printout
    response = client.post(
        reverse("join:register", args=["riverbend"]),
        {
            "first_name": "Ahmed",
            "last_name": "Karim",
            "child_first_name": "Yusuf",
            "child_last_name": "Karim",
            "child_birth_date": "2019-09-02",
            "contact": "(312) 555-0166",
        },
    )
    response = client.post(response.url, {"code": _last_code("+13125550166")})
    assert response.url == reverse("join:consent")
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    response = client.post(reverse("join:profile"), {"skip": "1"}, follow=True)
    assert "Yusuf Karim" in response.content.decode()


def test_demo_join_code_is_printed_and_works(client, printout):
    code = re.search(r"Room 3's code (\w+)", printout).group(1)
    page = client.get(reverse("join:code", args=[code]))
    assert (
        page.status_code == 200 and "Join Room 3 at Riverbend Elementary" in page.content.decode()
    )
