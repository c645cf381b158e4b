"""The privacy console's requests queue: who sees which request, due dates, answering a
correction (R14) and carrying out a request to be forgotten now (R5)."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guardians.models import GuardianLink
from privacy.audit import Actor
from privacy.models import AuditEvent, PrivacyRequest
from privacy.requests import do_create_request
from tenants.actions import do_create_user
from tests.counts import SESSION_QUERIES
from tests.tenants.test_cross_tenant_sweep import row_counts

SYSTEM = Actor.system()
Kind = PrivacyRequest.Kind
Status = PrivacyRequest.Status
# 09:00 in Chicago (Lakeside) on Monday 23 November 2026.
MONDAY = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)


def _request(world, kind, requester, *, school=None, details="", days_ago=0):
    with time_machine.travel(MONDAY - datetime.timedelta(days=days_ago), tick=False):
        return do_create_request(
            world.lakeside,
            kind=kind,
            requester=requester,
            school=school,
            details=details,
            actor=SYSTEM,
        )


@pytest.fixture
def requests(world):
    """Lakeside's requests: Ana's correction to Lakeside Elementary (a1) and her request for a
    copy (district-wide: she has Mia at a1 and Leo at a2), Ben's request to be forgotten
    (district-wide, Noah at a1), Cal's correction to a1 (Mia's father, "no access"), Dana's
    deletion of Lakeside Middle (a2); and Dee's correction in Hillcrest."""
    made = {
        "ana_correction": _request(
            world,
            Kind.CORRECTION,
            world.ana,
            school=world.a1,
            details="Mia's date of birth is 4 March 2018, not 3 April.",
            days_ago=20,
        ),
        "ana_access": _request(world, Kind.ACCESS, world.ana, days_ago=2),
        "ben_erasure": _request(world, Kind.ERASURE, world.ben, days_ago=25),
        "cal_correction": _request(
            world, Kind.CORRECTION, world.cal, school=world.a1, details="New phone.", days_ago=1
        ),
        "a2_deletion": _request(
            world, Kind.SCHOOL_DELETION, world.dana, school=world.a2, days_ago=3
        ),
    }
    with time_machine.travel(MONDAY, tick=False):
        made["dee_correction"] = do_create_request(
            world.hillcrest,
            kind=Kind.CORRECTION,
            requester=world.dee,
            school=world.b1,
            details="Zoe's grade.",
            actor=SYSTEM,
        )
    return made


def _rows(response):
    return [
        (row.get_kind_display(), str(row.requester), row.due_at.date().isoformat(), row.days_left)
        for row in response.context["page"]
    ]


def _get(client, url, data=None):
    with time_machine.travel(MONDAY, tick=False):
        return client.get(url, data)


def test_school_admin_reads_their_schools_and_their_families_requests(
    world, client, login, requests
):
    """Priya (a1) sees the corrections sent to her school and the district-wide requests of
    families with a child at her school, oldest due first; not a2's deletion, not Hillcrest."""
    login(world.priya)
    response = _get(client, reverse("privacy:console"))
    assert response.status_code == 200
    assert _rows(response) == [
        ("To be forgotten", "Ben Brooks", "2026-11-28", 5),
        ("Correction", "Ana Alvarez", "2026-12-03", 10),
        ("Copy of my data", "Ana Alvarez", "2026-12-21", 28),
        ("Correction", "Cal Alvarez", "2026-12-22", 29),
    ]
    assert b"Zoe" not in response.content and b"Dee" not in response.content


def test_another_school_sees_only_the_families_it_shares(world, client, login, requests):
    login(world.quinn)
    assert _rows(_get(client, reverse("privacy:console"))) == [
        ("Deletion of a school's data", "Dana Diaz", "2026-12-10", 17),
        ("Copy of my data", "Ana Alvarez", "2026-12-21", 28),
    ]


def test_district_admin_reads_every_request_of_the_district(world, client, login, requests):
    login(world.dana)
    response = _get(client, reverse("privacy:console"))
    assert [row[:2] for row in _rows(response)] == [
        ("To be forgotten", "Ben Brooks"),
        ("Correction", "Ana Alvarez"),
        ("Deletion of a school's data", "Dana Diaz"),
        ("Copy of my data", "Ana Alvarez"),
        ("Correction", "Cal Alvarez"),
    ]
    assert "Lakeside Elementary" in response.content.decode()
    login(world.hank)
    assert _rows(_get(client, reverse("privacy:console"))) == [
        ("Correction", "Dee Dawson", "2026-12-23", 30)
    ]


def test_a_family_that_left_the_school_leaves_its_queue(world, client, login, requests):
    GuardianLink.objects.filter(guardian=world.ben).update(is_active=False)
    login(world.priya)
    kinds = [row[0] for row in _rows(_get(client, reverse("privacy:console")))]
    assert "To be forgotten" not in kinds


def test_overdue_requests_are_highlighted_with_the_days_past(world, client, login, requests):
    login(world.priya)
    with time_machine.travel(MONDAY + datetime.timedelta(days=7), tick=False):
        response = client.get(reverse("privacy:console"))
    page = response.content.decode()
    rows = list(response.context["page"])
    assert [(row.is_overdue, row.days_left) for row in rows] == [
        (True, -2),
        (False, 3),
        (False, 21),
        (False, 22),
    ]
    assert page.count('class="is-overdue"') == 1
    assert "Overdue by 2 days" in page and "3 days left" in page


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"kind": "correction"}, [("Correction", "Ana Alvarez"), ("Correction", "Cal Alvarez")]),
        ({"kind": "erasure"}, [("To be forgotten", "Ben Brooks")]),
        ({"status": "done"}, []),
        ({"status": "all", "kind": "access"}, [("Copy of my data", "Ana Alvarez")]),
        ({"status": "nonsense"}, None),
    ],
)
def test_filter_by_status_and_kind(world, client, login, requests, query, expected):
    login(world.priya)
    response = _get(client, reverse("privacy:console"), query)
    if expected is None:  # an unknown status is shown as an error, and open requests listed
        assert "status" in response.context["search"].errors
        assert len(_rows(response)) == 4
    else:
        assert [row[:2] for row in _rows(response)] == expected


def test_closed_requests_are_listed_with_any_status(world, client, login, requests):
    login(world.priya)
    client.post(
        reverse("privacy:console_request", args=[requests["cal_correction"].id]),
        {"status": "done", "response": "Updated the number."},
    )
    response = _get(client, reverse("privacy:console"), {"status": "done"})
    assert [(row.kind, str(row.requester), row.status) for row in response.context["page"]] == [
        ("correction", "Cal Alvarez", "done")
    ]


def test_queue_query_count_is_fixed(world, client, login, requests, assert_num_queries):
    """The count and the rows with requester and school (the user and scope are cached)."""
    login(world.dana)
    url = reverse("privacy:console")
    _get(client, url)
    with assert_num_queries(SESSION_QUERIES + 2):
        _get(client, url)
    for i in range(6):
        parent = do_create_user(email=f"p{i}@example.org", first_name=f"P{i}", actor=SYSTEM)
        _request(world, Kind.ACCESS, parent)
    with assert_num_queries(SESSION_QUERIES + 2):
        response = _get(client, url)
    assert len(response.context["page"]) == 11


def test_school_admin_queue_query_count_is_fixed(world, client, login, requests):
    login(world.priya)
    url = reverse("privacy:console")
    _get(client, url)
    with CaptureQueriesContext(connection) as small:
        _get(client, url)
    for i in range(4):
        _request(
            world,
            Kind.CORRECTION,
            do_create_user(email=f"c{i}@example.org", actor=SYSTEM),
            school=world.a1,
        )
    with CaptureQueriesContext(connection) as large:
        response = _get(client, url)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(response.context["page"]) == 8


# --- answering a correction (R14) ------------------------------------------------------------


def test_R14_correction_answered_by_the_school(world, client, login, requests):
    """Priya reads Ana's words, finds Mia's record from the request, and closes it as done with
    what she changed; the family's answer, the handler and the time are recorded and audited."""
    correction = requests["ana_correction"]
    url = reverse("privacy:console_request", args=[correction.id])
    login(world.priya)
    page = _get(client, url).content.decode()
    assert "Mia&#x27;s date of birth is 4 March 2018, not 3 April." in page
    assert reverse("manage:child_detail", args=[world.mia.id]) in page
    assert reverse("manage:child_detail", args=[world.leo.id]) not in page  # a2: not Priya's
    assert "Noah" not in page  # another family's child
    assert "10 days left" in page
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(
            url,
            {"status": "done", "response": " Changed the date of birth to 4 March 2018. "},
            REMOTE_ADDR="198.51.100.9",
        )
    assert response.status_code == 302 and response["Location"] == url
    correction.refresh_from_db()
    assert (
        correction.status,
        correction.response,
        correction.handled_by,
        correction.completed_at,
    ) == ("done", "Changed the date of birth to 4 March 2018.", world.priya, MONDAY)
    event = AuditEvent.objects.get(action="privacy_request.done")
    assert (event.actor, event.target_id, event.district_id, event.school_id, event.ip_address) == (
        world.priya,
        str(correction.id),
        world.lakeside.id,
        world.a1.id,
        "198.51.100.9",
    )
    page = _get(client, url).content.decode()
    assert "Changed the date of birth to 4 March 2018." in page and "Close the request" not in page


def test_R14_a_correction_declined_with_a_reason(world, client, login, requests):
    correction = requests["cal_correction"]
    login(world.priya)
    client.post(
        reverse("privacy:console_request", args=[correction.id]),
        {"status": "declined", "response": "We could not confirm the number with you."},
    )
    correction.refresh_from_db()
    assert (correction.status, correction.response) == (
        "declined",
        "We could not confirm the number with you.",
    )


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"status": "declined", "response": " "}, "response", "Say why the request is declined."),
        ({"status": "done", "response": ""}, "response", "Say what was changed or sent."),
        ({"response": "x"}, "status", "This field is required."),
    ],
)
def test_an_answer_without_words_is_refused_and_nothing_written(
    world, client, login, requests, data, field, message
):
    correction = requests["ana_correction"]
    login(world.priya)
    before = row_counts()
    response = client.post(reverse("privacy:console_request", args=[correction.id]), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert row_counts() == before
    correction.refresh_from_db()
    assert correction.status == "open"


def test_a_closed_request_cannot_be_answered_again(world, client, login, requests):
    correction = requests["ana_correction"]
    url = reverse("privacy:console_request", args=[correction.id])
    login(world.priya)
    client.post(url, {"status": "done", "response": "Changed."})
    login(world.dana)
    response = client.post(url, {"status": "declined", "response": "No."})
    assert response.context["form"].non_field_errors() == ["This request is already closed."]
    correction.refresh_from_db()
    assert (correction.status, correction.response, correction.handled_by) == (
        "done",
        "Changed.",
        world.priya,
    )


def test_an_erasure_or_a_deletion_is_never_marked_done_by_a_click(world, client, login, requests):
    login(world.dana)
    for key in ("ben_erasure", "a2_deletion"):
        url = reverse("privacy:console_request", args=[requests[key].id])
        response = client.post(url, {"status": "done", "response": "Done."})
        assert "status" in response.context["form"].errors
        requests[key].refresh_from_db()
        assert requests[key].status == "open"
    declined = client.post(
        reverse("privacy:console_request", args=[requests["a2_deletion"].id]),
        {"status": "declined", "response": "Sent by mistake."},
    )
    assert declined.status_code == 302


# --- carrying out a request to be forgotten now (R5) ----------------------------------------


def test_R5_erase_now_from_the_console_after_a_confirmation(world, client, login, requests):
    erasure = requests["ben_erasure"]
    url = reverse("privacy:console_erase", args=[erasure.id])
    login(world.priya)
    detail = _get(client, reverse("privacy:console_request", args=[erasure.id])).content.decode()
    assert url in detail
    confirm = _get(client, url)
    assert confirm.status_code == 200
    assert "Erase Ben Brooks's data now?" in confirm.content.decode()
    assert [c.display_name for c in confirm.context["children"]] == ["Noah Brooks"]
    world.ben.refresh_from_db()
    assert world.ben.first_name == "Ben"  # the confirmation page changed nothing

    response = client.post(url)
    assert response["Location"] == reverse("privacy:console_request", args=[erasure.id])
    erasure.refresh_from_db()
    world.ben.refresh_from_db()
    world.noah.refresh_from_db()
    assert (erasure.status, erasure.handled_by, erasure.response) == ("done", world.priya, "erased")
    assert erasure.certificate["counts"]["children"] == 1
    assert (world.ben.first_name, world.ben.email, world.ben.is_active) == (
        "",
        f"erased-{world.ben.id}@erased.invalid",
        False,
    )
    assert (world.noah.first_name, world.noah.pupil_number) == ("", "")
    assert AuditEvent.objects.filter(action="family.erased", actor=world.priya).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert reverse("privacy:console_request_certificate", args=[erasure.id]) in page

    again = client.post(url)  # a second click finds it closed and does nothing
    assert again.status_code == 302
    assert AuditEvent.objects.filter(action="family.erased").count() == 1


def test_erase_is_only_for_requests_to_be_forgotten(world, client, login, requests):
    login(world.priya)
    before = row_counts()
    url = reverse("privacy:console_erase", args=[requests["ana_correction"].id])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert row_counts() == before
