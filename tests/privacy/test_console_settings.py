"""The privacy console's policy windows: district admins set them within the platform's bounds,
school admins may only tighten them, every change audited (/privacy/console/settings/)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from privacy.actions_settings import do_update_policy_settings
from privacy.audit import Actor
from privacy.models import AuditEvent, PrivacyRequest, PrivacySettings
from privacy.policy import WINDOWS, PolicyError, default_values
from privacy.queries import get_policy
from privacy.requests import do_create_request
from tenants.actions import ActionError
from tests.counts import SESSION_QUERIES
from tests.tenants.test_cross_tenant_sweep import row_counts

URL = "privacy:console_settings"
MONDAY = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)


def _district_form(**changes) -> dict:
    return {**default_values(), **changes}


def _settings(world, school=None) -> dict | None:
    row = PrivacySettings.objects.filter(district=world.lakeside, school=school).first()
    return row.values if row else None


def test_district_admin_reads_every_window_with_default_bounds_and_promise(world, client, login):
    login(world.dana)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    rows = response.context["windows"]
    assert len(rows) == len(WINDOWS) == 15
    assert {k: str(v) for k, v in rows[0].items()} == {
        "label": "Deleted accounts, children and work can be restored for",
        "promise": "R1",
        "default": "30 days",
        "minimum": "7 days",
        "maximum": "30 days",
        "district": "30 days",
        "effective": "30 days",
    }
    assert str(rows[7]["effective"]) == "14 business days"
    assert str(rows[12]["effective"]) == "12 months"
    assert response.context["form"].initial == default_values()
    page = response.content.decode()
    assert "Clocks already running keep the date they were given" in page
    assert "Default: 30 days. Allowed: 7 to 30 days. Promise R1." in page


def test_district_admin_edits_within_bounds_and_only_differences_are_stored(world, client, login):
    login(world.dana)
    response = client.post(
        reverse(URL),
        _district_form(restore_days=14, message_log_months=60),
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302 and response["Location"] == reverse(URL)
    assert _settings(world) == {"restore_days": 14, "message_log_months": 60}
    assert get_policy(world.lakeside.id).restore_days == 14
    assert get_policy(world.hillcrest.id).restore_days == 30
    event = AuditEvent.objects.get(action="privacy_settings.updated")
    assert (event.actor, event.district_id, event.school_id, event.ip_address, event.metadata) == (
        world.dana,
        world.lakeside.id,
        None,
        "198.51.100.4",
        {"old": {}, "new": {"restore_days": 14, "message_log_months": 60}},
    )

    client.post(reverse(URL), _district_form(message_log_months=60))  # restore back to 30
    assert _settings(world) == {"message_log_months": 60}
    last = AuditEvent.objects.filter(action="privacy_settings.updated").latest("id")
    assert last.metadata == {
        "old": {"restore_days": 14, "message_log_months": 60},
        "new": {"message_log_months": 60},
    }
    page = client.get(reverse(URL)).content.decode()
    assert "Last changed by Dana Diaz" in page


def test_saving_the_same_values_writes_nothing(world, client, login):
    login(world.dana)
    before = row_counts()
    response = client.post(reverse(URL), _district_form(), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Nothing changed."]
    assert row_counts() == before


@pytest.mark.parametrize(
    "changes,errors",
    [
        (
            {"restore_days": 31},
            {"restore_days": ["Ensure this value is less than or equal to 30."]},
        ),
        (
            {"message_log_months": 47, "erasure_days": 0},
            {
                "message_log_months": ["Ensure this value is greater than or equal to 48."],
                "erasure_days": ["Ensure this value is greater than or equal to 1."],
            },
        ),
        ({"inactivity_months": "a year"}, {"inactivity_months": ["Enter a whole number."]}),
        ({"security_log_months": ""}, {"security_log_months": ["This field is required."]}),
    ],
)
def test_district_values_outside_the_bounds_are_refused_per_field(
    world, client, login, changes, errors
):
    login(world.dana)
    before = row_counts()
    response = client.post(reverse(URL), _district_form(**changes))
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert "Nothing was saved: please correct the values marked below." in response.content.decode()
    assert row_counts() == before


def test_policy_settings_school_may_only_tighten(world, client, login):
    do_update_policy_settings(
        world.lakeside, values=_district_form(restore_days=20), actor=Actor(user=world.dana)
    )
    login(world.priya)
    page = client.get(reverse(URL))
    assert page.context["form"].initial == {}
    assert "District: 20 days; leave empty to follow it." in page.content.decode()
    before = row_counts()
    refused = client.post(reverse(URL), {"restore_days": 25, "inactivity_notice_days": 20})
    assert refused.context["form"].errors == {
        "restore_days": ["A school may only keep data for less than the district's 20 days."],
        "inactivity_notice_days": [
            "A school may only give more notice than the district's 30 days."
        ],
    }
    assert row_counts() == before

    client.post(reverse(URL), {"restore_days": 10, "inactivity_notice_days": 45})
    assert _settings(world, world.a1) == {"restore_days": 10, "inactivity_notice_days": 45}
    a1, a2 = get_policy(world.lakeside.id, world.a1.id), get_policy(world.lakeside.id, world.a2.id)
    assert (a1.restore_days, a1.inactivity_notice_days) == (10, 45)
    assert (a2.restore_days, a2.inactivity_notice_days) == (20, 30)
    event = AuditEvent.objects.filter(action="privacy_settings.updated").latest("id")
    assert (event.actor, event.school_id, event.metadata) == (
        world.priya,
        world.a1.id,
        {"old": {}, "new": {"restore_days": 10, "inactivity_notice_days": 45}},
    )
    rows = client.get(reverse(URL)).context["windows"]
    assert (str(rows[0]["district"]), str(rows[0]["effective"])) == ("20 days", "10 days")


def test_a_school_value_the_district_later_overtakes_loses(world, client, login):
    priya, dana = Actor(user=world.priya), Actor(user=world.dana)
    do_update_policy_settings(
        world.lakeside, school=world.a1, values={"restore_days": 20}, actor=priya
    )
    do_update_policy_settings(world.lakeside, values=_district_form(restore_days=10), actor=dana)
    assert get_policy(world.lakeside.id, world.a1.id).restore_days == 10
    login(world.priya)
    response = client.post(reverse(URL), {"restore_days": 20, "erasure_days": 5})
    assert response.context["form"].errors == {
        "restore_days": ["A school may only keep data for less than the district's 10 days."]
    }


def test_the_action_checks_again_whatever_the_form_said(world):
    priya = Actor(user=world.priya)
    with pytest.raises(PolicyError) as error:
        do_update_policy_settings(
            world.lakeside, school=world.a1, values={"restore_days": 31}, actor=priya
        )
    assert error.value.errors == {"restore_days": "must be between 7 and 30 days"}
    with pytest.raises(PolicyError):
        do_update_policy_settings(
            world.lakeside, school=world.a1, values={"message_log_months": 50}, actor=priya
        )  # more than the district's 48 months
    with pytest.raises(ActionError):
        do_update_policy_settings(world.lakeside, school=world.b1, values={}, actor=priya)
    assert PrivacySettings.objects.count() == 0


def test_changing_a_window_does_not_move_running_clocks(world, client, login):
    """A request keeps the due date the family was given; new requests use the new window."""
    with time_machine.travel(MONDAY, tick=False):
        before = do_create_request(
            world.lakeside, kind=PrivacyRequest.Kind.ACCESS, requester=world.ana, actor=Actor(None)
        )
        login(world.dana)
        client.post(reverse(URL), _district_form(access_request_days=10))
        after = do_create_request(
            world.lakeside, kind=PrivacyRequest.Kind.ACCESS, requester=world.ben, actor=Actor(None)
        )
    before.refresh_from_db()
    assert before.due_at == MONDAY + datetime.timedelta(days=30)
    assert after.due_at == MONDAY + datetime.timedelta(days=10)


def test_settings_page_query_count(world, client, login, assert_num_queries):
    """The two settings rows (with who changed them) in one query, nothing per window; and,
    for a school admin, the school's district (the scope's time zone reads it)."""
    login(world.priya)
    client.get(reverse(URL))
    with assert_num_queries(SESSION_QUERIES + 2):
        client.get(reverse(URL))
    do_update_policy_settings(world.lakeside, values={"restore_days": 20}, actor=Actor(world.dana))
    do_update_policy_settings(
        world.lakeside, school=world.a1, values={"restore_days": 9}, actor=Actor(world.priya)
    )
    with assert_num_queries(SESSION_QUERIES + 2):
        client.get(reverse(URL))
