"""Joining without an invite: self-registration checked against the roster (PROMISES C8), and
classroom join codes with staff approval (issue 4, item 7)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from guardians.actions.manage import do_update_child
from guardians.models import Child, GuardianLink, JoinCode, JoinRequest
from notifications.models import OutboxEntry
from privacy.audit import Actor
from privacy.models import AuditEvent, Consent
from tenants.models import Membership, Role, User
from tests.counts import SESSION_QUERIES
from tests.guardians.helpers import (
    MORNING,
    PHONES,
    give_phones,
    last_code_sent_to,
    mails_to,
    outbox_to,
)

pytestmark = pytest.mark.django_db

MIA_BIRTH_DATE = datetime.date(2018, 4, 12)


@pytest.fixture
def roster(world):
    give_phones(world)
    # through the action: birth dates are encrypted and found by their keyed hash
    do_update_child(world.mia, birth_date=MIA_BIRTH_DATE, actor=Actor.system())
    return world


def register_data(**changes):
    data = {
        "first_name": "Ana",
        "last_name": "Alvarez",
        "child_first_name": "mia",
        "child_last_name": "ALVAREZ",
        "child_birth_date": "2018-04-12",
        "contact": "(312) 555-0101",
    }
    return data | changes


def register(client, world, **changes):
    url = reverse("join:register", args=[world.lakeside.slug])
    return client.post(url, register_data(**changes))


def test_C8_a_matching_parent_gets_a_code_on_the_roster_contact_and_joins(roster, client):
    world = roster
    response = register(client, world)
    assert response.status_code == 302
    assert response.url == reverse("join:register_code", args=["lakeside"])
    code = last_code_sent_to(PHONES["ana"])
    page = client.get(response.url).content.decode()
    assert "If what you entered matches the school's records" in page
    response = client.post(response.url, {"code": code})
    assert response.status_code == 302 and response.url == reverse("join:consent")
    world.ana.refresh_from_db()
    assert world.ana.phone_verified is True
    # Signed in, but nothing of the family until she agrees to the policy (PROMISES C2).
    assert client.get(reverse("guardians:home")).url == reverse("join:consent")
    attempt = AuditEvent.objects.get(action="join.registration_attempted")
    assert attempt.metadata == {"matched": True, "channel": "sms"}
    assert AuditEvent.objects.filter(action="join.registered", target_id=str(world.ana.id)).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"child_birth_date": "2018-04-13"},  # wrong birth date
        {"first_name": "Anna"},  # wrong parent name
        {"child_first_name": "Noah"},  # another child
        {"contact": "+13125550199"},  # a number the roster does not have: never texted
        {"contact": "ana@elsewhere.example"},
    ],
)
def test_no_match_gets_the_same_reply_and_nothing_is_sent(roster, client, changes):
    response = register(client, roster, **changes)
    assert response.status_code == 302
    assert response.url == reverse("join:register_code", args=["lakeside"])
    page = client.get(response.url).content.decode()
    assert "If what you entered matches the school's records" in page
    assert OutboxEntry.objects.count() == 0
    # Whatever is typed, no code works.
    for code in ("000000", "123456"):
        client.post(response.url, {"code": code})
    assert "_auth_user_id" not in client.session
    attempt = AuditEvent.objects.get(action="join.registration_attempted")
    assert attempt.metadata["matched"] is False


def test_the_email_on_the_roster_works_too(roster, client):
    register(client, roster, contact="ANA@example.org")
    assert "Su código de Engage es" in mails_to("ana@example.org")[0].body  # her language


def test_a_no_access_guardian_cannot_register_to_the_child(roster, client):
    register(client, roster, first_name="Cal", contact=PHONES["cal"])
    assert OutboxEntry.objects.count() == 0


def test_self_registration_is_rate_limited_per_ip(roster, client):
    url = reverse("join:register", args=["lakeside"])
    statuses = [
        client.post(url, register_data(contact=f"+1312555{n:04d}")).status_code for n in range(11)
    ]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


def test_codes_to_one_address_are_rate_limited(roster, client):
    statuses = [register(client, roster).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(outbox_to(PHONES["ana"])) == 3


def test_a_code_allows_three_guesses(roster, client):
    response = register(client, roster)
    code = last_code_sent_to(PHONES["ana"])
    wrong = "000000" if code != "000000" else "111111"
    page = client.post(response.url, {"code": wrong})
    assert "You can try 2 more times." in page.content.decode()
    page = client.post(response.url, {"code": wrong})
    assert "You can try 1 more time." in page.content.decode()
    page = client.post(response.url, {"code": wrong})
    assert "That code no longer works" in page.content.decode()
    page = client.post(response.url, {"code": code})
    assert "That code no longer works" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_guesses_are_counted_outside_the_session(roster, client):
    """Parallel requests share one session snapshot: the count lives in the cache instead."""
    response = register(client, roster)
    code = last_code_sent_to(PHONES["ana"])
    wrong = "000000" if code != "000000" else "111111"
    snapshot = dict(client.session)  # what every parallel request would have read
    for _ in range(3):
        session = client.session
        session.update(snapshot)
        session.save()
        client.post(response.url, {"code": wrong})
    session = client.session
    session.update(snapshot)
    session.save()
    page = client.post(response.url, {"code": code})
    assert "That code no longer works" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_account_with_two_factor_is_not_signed_in_by_a_code(roster, client):
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(roster.ana, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    response = register(client, roster)
    page = client.post(response.url, {"code": last_code_sent_to(PHONES["ana"])})
    assert "You already have an Engage account" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_provider_error_never_shows(roster, client, monkeypatch):
    """A roster number that stopped texts fails at the provider: the reply is the same."""
    from notifications.providers.base import PermanentProviderError

    def refuse(**kwargs):
        raise PermanentProviderError("unsubscribed", code="21610")

    monkeypatch.setattr("guardians.verification.send_sms", refuse)
    response = register(client, roster)
    assert response.status_code == 302
    assert "matches the school's records" in client.get(response.url).content.decode()


def test_a_code_of_punctuation_only_is_a_form_error(world, client):
    page = client.get(reverse("join:start"), {"code": "---"})
    assert page.status_code == 200
    assert "Type the code printed on your invitation." in page.content.decode()


def test_a_code_expires(roster, client):
    with time_machine.travel(MORNING, tick=False):
        response = register(client, roster)
        code = last_code_sent_to(PHONES["ana"])
    with time_machine.travel(MORNING + datetime.timedelta(minutes=10, seconds=1), tick=False):
        page = client.post(response.url, {"code": code})
    assert "That code no longer works" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_district_is_404(world, client):
    assert client.get(reverse("join:register", args=["nowhere"])).status_code == 404


def test_staff_are_not_signed_in_by_a_joining_code(roster, client):
    """Tess is a teacher at Hillcrest and Ivy's mother: she must sign in with her password and
    two-factor check, not with a code."""
    world = roster
    do_update_child(world.ivy, birth_date=MIA_BIRTH_DATE, actor=Actor.system())
    response = register(
        client,
        world,
        first_name="Tess",
        last_name="Taylor",
        child_first_name="Ivy",
        child_last_name="Taylor",
        contact="tess@example.org",
    )
    code = last_code_sent_to("tess@example.org")
    page = client.post(response.url, {"code": code})
    assert "You already have an Engage account" in page.content.decode()
    assert "_auth_user_id" not in client.session


# --- join codes -------------------------------------------------------------------------------


@pytest.fixture
def join_code(world, client, login):
    login(world.tom)
    with time_machine.travel(MORNING, tick=False):
        client.post(reverse("onboarding:join_codes", args=[world.room1.id]))
    client.logout()
    return JoinCode.objects.get()


def test_teacher_makes_a_join_code_and_prints_it_in_two_languages(world, join_code, client, login):
    assert join_code.classroom_id == world.room1.id and join_code.school_id == world.a1.id
    assert len(join_code.code) == 8 and join_code.expires_at == MORNING + datetime.timedelta(
        days=30
    )
    login(world.tom)
    page = client.get(reverse("onboarding:join_code_print", args=[join_code.id]))
    content = page.content.decode()
    assert page.status_code == 200 and join_code.code in content and "<svg" in content
    assert "Join Room 1 at Lakeside Elementary on Engage" in content
    assert 'lang="es"' in content


def request_data(**changes):
    data = {
        "first_name": "Gloria",
        "last_name": "Gomez",
        "contact": "312-555-0177",
        "relationship": "grandparent",
        "child_first_name": "Mia",
        "child_last_name": "Alvarez",
        "child_birth_date": "",
    }
    return data | changes


def ask_to_join(client, join_code, **changes):
    url = reverse("join:code", args=[join_code.code.lower()])
    response = client.post(url, request_data(**changes))
    assert response.status_code == 302, response.content.decode()
    code = last_code_sent_to("+13125550177")
    return client.post(response.url, {"code": code})


def test_a_family_asks_to_join_and_the_teacher_approves(world, join_code, client, login):
    with time_machine.travel(MORNING, tick=False):
        response = ask_to_join(client, join_code)
    assert response.status_code == 302 and response.url == reverse("join:consent")
    gloria = User.objects.get(phone="+13125550177")
    assert (gloria.first_name, gloria.last_name, gloria.phone_verified) == ("Gloria", "Gomez", True)
    join_request = JoinRequest.objects.get()
    assert (join_request.status, join_request.classroom_id, join_request.relationship) == (
        "pending",
        world.room1.id,
        "grandparent",
    )
    # Consent is asked at registration too (C2), then the request page.
    client.post(reverse("join:consent"), {"is_policy_accepted": "on"})
    response = client.post(reverse("join:profile"), {"skip": "1"})
    assert response.url == reverse("join:requested")
    assert Consent.objects.filter(user=gloria, kind="privacy_policy", is_granted=True).count() == 1
    assert not Membership.objects.filter(user=gloria).exists()

    client.logout()
    login(world.tom)
    page = client.get(reverse("onboarding:join_request_detail", args=[join_request.id]))
    assert "Mia Alvarez" in page.content.decode()  # the roster child is offered
    with time_machine.travel(MORNING, tick=False):
        response = client.post(
            reverse("onboarding:join_request_detail", args=[join_request.id]),
            {"child": str(world.mia.id), "approve": "1"},
        )
    assert response.status_code == 302
    join_request.refresh_from_db()
    assert join_request.status == "approved" and join_request.child_id == world.mia.id
    link = GuardianLink.objects.get(guardian=gloria, child=world.mia)
    assert (link.relationship, link.has_access) == ("grandparent", True)
    assert Membership.objects.filter(user=gloria, role=Role.GUARDIAN, is_active=True).count() == 1
    assert AuditEvent.objects.filter(action="join_request.approved").count() == 1


def test_an_existing_account_asking_to_join_is_not_signed_in(world, join_code, client):
    """A join code is no way into an account: Ana's phone confirms the request, not a sign-in."""
    give_phones(world)
    url = reverse("join:code", args=[join_code.code])
    response = client.post(url, request_data(contact=PHONES["ana"]))
    page = client.post(response.url, {"code": last_code_sent_to(PHONES["ana"])})
    content = page.content.decode()
    assert "You already have an Engage account" in content
    assert "your request is with the school" in content
    assert "_auth_user_id" not in client.session
    assert JoinRequest.objects.get().requester_id == world.ana.id


def test_approving_a_child_the_roster_missed_adds_them(world, join_code, client, login):
    ask_to_join(
        client,
        join_code,
        child_first_name="Pablo",
        child_last_name="Gomez",
        child_birth_date="2019-02-03",
    )
    join_request = JoinRequest.objects.get()
    client.logout()
    login(world.priya)
    client.post(
        reverse("onboarding:join_request_detail", args=[join_request.id]),
        {"child": "new", "approve": "1"},
    )
    child = Child.objects.get(first_name="Pablo")
    assert (child.school_id, child.birth_date, child.grade_level) == (
        world.a1.id,
        datetime.date(2019, 2, 3),
        "03",
    )
    assert child.enrollments.get().classroom_id == world.room1.id


def test_a_teacher_is_offered_only_their_own_classrooms_children(world, join_code, client, login):
    """Ivy is in Room 2: Tom (Room 1) must not be able to attach a stranger to her."""
    ask_to_join(client, join_code, child_first_name="Ivy", child_last_name="Taylor")
    join_request = JoinRequest.objects.get()
    client.logout()
    login(world.tom)
    url = reverse("onboarding:join_request_detail", args=[join_request.id])
    assert f'value="{world.ivy.id}"' not in client.get(url).content.decode()
    assert client.post(url, {"child": str(world.ivy.id), "approve": "1"}).status_code == 404
    assert not GuardianLink.objects.filter(child=world.ivy, guardian__phone="+13125550177")
    assert JoinRequest.objects.get().status == "pending"
    login(world.priya)  # the school admin sees the whole school
    assert f'value="{world.ivy.id}"' in client.get(url).content.decode()


def test_declining_links_nothing(world, join_code, client, login):
    ask_to_join(client, join_code)
    join_request = JoinRequest.objects.get()
    client.logout()
    login(world.tom)
    client.post(reverse("onboarding:join_request_detail", args=[join_request.id]), {"decline": "1"})
    join_request.refresh_from_db()
    assert join_request.status == "rejected"
    assert not GuardianLink.objects.filter(guardian__phone="+13125550177").exists()
    # Decided once: a second decision is refused.
    response = client.post(
        reverse("onboarding:join_request_detail", args=[join_request.id]),
        {"child": "new", "approve": "1"},
        follow=True,
    )
    assert "already been decided" in response.content.decode()
    assert JoinRequest.objects.get().status == "rejected"


def test_an_expired_or_stopped_join_code_does_not_work(world, join_code, client, login):
    url = reverse("join:code", args=[join_code.code])
    with time_machine.travel(MORNING + datetime.timedelta(days=30, seconds=1), tick=False):
        assert client.get(url).status_code == 410
    assert client.get(url).status_code == 200
    login(world.tom)
    client.post(reverse("onboarding:join_code_revoke", args=[join_code.id]))
    client.logout()
    assert client.get(url).status_code == 410
    assert client.post(url, request_data()).status_code == 410
    assert OutboxEntry.objects.count() == 0


def test_the_start_page_takes_a_typed_code(world, join_code, client):
    response = client.get(
        reverse("join:start"), {"code": f" {join_code.code[:4].lower()}-{join_code.code[4:]} "}
    )
    assert response.status_code == 302 and response.url == reverse(
        "join:code", args=[join_code.code]
    )


@pytest.mark.parametrize(
    "person,role,status",
    [
        ("tina", "teacher", 404),
        ("quinn", "school_admin", 404),
        ("hank", "district_admin", 404),
        ("vera", "viewer", 403),
        ("ben", "guardian", 403),
    ],
)
def test_only_staff_of_the_classroom_approve(world, join_code, client, login, person, role, status):
    ask_to_join(client, join_code)
    join_request = JoinRequest.objects.get()
    client.logout()
    login(world.people[person], role=role)
    url = reverse("onboarding:join_request_detail", args=[join_request.id])
    assert client.post(url, {"child": "new", "approve": "1"}).status_code == status
    assert JoinRequest.objects.get().status == "pending"
    assert not Child.objects.filter(first_name="Mia").exclude(id=world.mia.id).exists()


def test_join_request_list_counts_queries(world, join_code, client, login, assert_num_queries):
    ask_to_join(client, join_code)
    ask_to_join(client, join_code, child_first_name="Pablo")
    client.logout()
    login(world.tom)
    client.get(reverse("onboarding:join_requests"))
    with assert_num_queries(SESSION_QUERIES + 2):  # the user, the requests with their people
        page = client.get(reverse("onboarding:join_requests"))
    assert page.content.decode().count("Gloria Gomez") == 2
