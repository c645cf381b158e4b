"""Every figure on the dashboards, with exact values on the known world (conftest.py)."""

import datetime

import pytest
import time_machine

from dashboards import queries
from dashboards.models import Dim
from notifications.actions import do_apply_delivery_event
from notifications.dispatch import send_deliveries
from notifications.models import Delivery
from tests.activities.helpers import scope_of
from tests.dashboards.conftest import NOW

pytestmark = pytest.mark.django_db

H = "fewer than 5"


def texts(cells: dict, names) -> dict:
    return {name: cells[name].text for name in names}


ROW = [
    "families",
    "invited",
    "connected",
    "connected_rate",
    "active_30d",
    "families_completed",
    "completions",
    "participation",
]


def test_school_headline(dash):
    board = queries.get_school_dashboard(scope_of(dash.world.priya), dash.world.a1)
    assert board.period.key == "Y2026"
    assert texts(board.headline, [*ROW, "activities_published"]) == {
        "families": "17",
        "invited": "14",
        "connected": "10",
        "connected_rate": "59%",
        "active_30d": "12",
        "families_completed": "11",
        "completions": "13",
        "participation": "65%",
        "activities_published": "2",
    }
    assert texts(board.unreachable, ["not_accepted", "no_contact", "opted_out"]) == {
        "not_accepted": "6",
        "no_contact": "0",
        "opted_out": H,
    }


def test_school_classrooms_with_secondary_suppression(dash):
    board = queries.get_school_dashboard(scope_of(dash.world.priya), dash.world.a1)
    assert [(row["name"], texts(row, ROW)) for row in board.rows] == [
        (
            "Room 1",
            {
                "families": "10",
                # Room 2's 4 connected families are hidden; Room 1's 6 too, or 10 - 6 = 4.
                "invited": "8",
                "connected": H,
                "connected_rate": H,
                "active_30d": "7",
                "families_completed": "6",
                "completions": "8",
                "participation": "60%",
            },
        ),
        (
            "Room 2",
            {
                "families": "7",
                "invited": "6",
                "connected": H,
                "connected_rate": H,
                "active_30d": "5",
                "families_completed": "5",
                "completions": "5",
                "participation": "71%",
            },
        ),
    ]


def test_breakdowns_and_the_disadvantage_gap(dash):
    board = queries.get_school_dashboard(scope_of(dash.world.priya), dash.world.a1)
    summary = {
        dim: [(row["value"], row["families"].text, row["participation"].text) for row in rows]
        for dim, rows in board.breakdowns.items()
    }
    assert summary == {
        Dim.GRADE: [("03", "10", "60%"), ("04", "7", "71%")],
        # Spanish: 3 families, hidden; English hidden too (17 - 14 would give it back).
        Dim.LANGUAGE: [("en", H, H), ("es", H, H)],
        Dim.DISADVANTAGED: [("no", "12", "50%"), ("yes", "5", "100%")],
    }
    # 100% - 50% = 50 points.
    assert board.gap.value == 50


def test_weekly_trend(dash):
    board = queries.get_school_dashboard(scope_of(dash.world.priya), dash.world.a1)
    assert len(board.trend) == 12
    assert board.trend[-1]["key"] == "W2026-47"
    assert str(board.trend[-1]["monday"]) == "2026-11-16"
    last = board.trend[-1]
    assert texts(
        last, ["families_completed", "families_active", "completions", "activities_published"]
    ) == {
        "families_completed": "11",
        "families_active": "12",
        "completions": "13",
        "activities_published": "2",
    }
    assert {row["families_completed"].text for row in board.trend[:-1]} == {"0"}


def test_message_reach_follows_delivery_events(dash, django_capture_on_commit_callbacks):
    pending = Delivery.objects.filter(message__school=dash.world.a1).values_list("id", flat=True)
    with django_capture_on_commit_callbacks(execute=True):
        send_deliveries(list(pending))
    sent = list(
        Delivery.objects.filter(message__school=dash.world.a1, channel="email")
        .exclude(status="suppressed")
        .order_by("id")
    )
    total = Delivery.objects.filter(message__school=dash.world.a1).count()
    suppressed = Delivery.objects.filter(message__school=dash.world.a1, status="suppressed").count()
    # 14 invites; Tom's quiz and Priya's task to the joined and rostered families, never to d6,
    # who opted out before them.
    assert (total, suppressed) == (39, 0)
    assert not Delivery.objects.filter(recipient=dash.guardians["d6"], message__kind="new_activity")
    with django_capture_on_commit_callbacks(execute=True):
        for delivery in sent[:20]:
            do_apply_delivery_event(
                provider="sendgrid", status="delivered", delivery_id=delivery.id
            )
        for delivery in sent[:10]:
            do_apply_delivery_event(provider="sendgrid", status="opened", delivery_id=delivery.id)
        do_apply_delivery_event(provider="sendgrid", status="bounced", delivery_id=sent[30].id)
    board = queries.get_school_dashboard(scope_of(dash.world.priya), dash.world.a1)
    reach = [
        (
            r["channel"],
            *(
                r[name].text
                for name in ("recipients", "sent", "delivered", "opened", "failed", "suppressed")
            ),
        )
        for r in board.reach
    ]
    # All 39 sent: 20 delivered (51%), 10 of them opened (26%), one bounce.
    assert reach == [("email", "39", "39", "51%", "26%", "1", "0")]


def test_district_rows_hide_a_school_of_one_family_and_its_complement(dash):
    board = queries.get_district_dashboard(scope_of(dash.world.dana))
    assert board.headline["families"].text == "18"  # Leo's family at Lakeside Middle too
    assert board.headline["families_completed"].text == "11"
    assert [
        (row["name"], row["families"].text, row["participation"].text) for row in board.rows
    ] == [
        ("Lakeside Elementary", H, H),
        ("Lakeside Middle", H, H),
    ]


def test_another_district_sees_none_of_it(dash):
    board = queries.get_district_dashboard(scope_of(dash.world.hank))
    assert board.headline["families"].text == H  # Zoe's family alone
    assert board.headline["completions"].text == H  # a group of fewer than 5 hides it all


def test_classroom_headline_and_trend(dash):
    board, _families = queries.get_classroom_dashboard(scope_of(dash.world.tom), dash.world.room1)
    assert texts(board.headline, ROW) == {
        "families": "10",
        "invited": "8",
        "connected": "6",
        "connected_rate": "60%",
        "active_30d": "7",
        "families_completed": "6",
        "completions": "8",
        "participation": "60%",
    }
    last = board.trend[-1]
    assert (last["families_completed"].text, last["completions"].text) == ("6", "8")
    assert last["families_active"].text == "7"  # c7 signed in


def test_grade_filter(dash):
    board = queries.get_school_dashboard(scope_of(dash.world.priya), dash.world.a1, grade="04")
    assert texts(board.headline, ["families", "families_completed", "completions"]) == {
        "families": "7",
        "families_completed": "5",
        "completions": "5",
    }
    assert [row["name"] for row in board.rows] == ["Room 2"]


def test_active_in_the_last_30_days_ends_after_30_days(dash):
    scope = scope_of(dash.world.priya)
    with time_machine.travel(NOW + datetime.timedelta(days=29, hours=23), tick=False):
        assert (
            queries.get_school_dashboard(scope, dash.world.a1).headline["active_30d"].text == "12"
        )
    with time_machine.travel(NOW + datetime.timedelta(days=30, minutes=1), tick=False):
        board = queries.get_school_dashboard(scope, dash.world.a1)
        assert board.headline["active_30d"].text == "0"
        # The school year's figures stay.
        assert board.headline["families_completed"].text == "11"


def test_periods_split_by_week_and_month(dash):
    scope = scope_of(dash.world.priya)
    week = queries.get_school_dashboard(scope, dash.world.a1, period_key="W2026-47")
    assert week.period.label == "This week"
    assert week.headline["completions"].text == "13"
    last_month = queries.get_school_dashboard(scope, dash.world.a1, period_key="M2026-10")
    assert last_month.period.label == "Last month"
    assert last_month.headline["completions"].text == "0"
    assert last_month.headline["activities_published"].text == "0"
    # An unknown period falls back to this school year.
    assert queries.get_school_dashboard(scope, dash.world.a1, period_key="X").period.key == "Y2026"


def test_families_by_channel(dash):
    board = queries.get_school_dashboard(scope_of(dash.world.priya), dash.world.a1)
    # 16 families by email only and d6's, whose only address opted out: 1 is hidden, and so is
    # 16, which would give it back from the 17 families of the headline.
    assert [
        (row["value"], row["families"].text, row["connected"].text, row["connected_rate"].text)
        for row in board.channels
    ] == [("email", H, H, H), ("none", H, H, H)]


def test_a_familys_channel():
    from dashboards.rebuild import FamilyContacts

    def channel(*links, suppressed=()):
        contacts = FamilyContacts({1: list(links)}, set(), set(), set(suppressed))
        return contacts.channel(1)

    # (guardian, language, email, phone, last login, active)
    assert channel((1, "en", "a@x.org", "", None, True)) == "email"
    assert channel((1, "en", "", "+13125550100", None, True)) == "sms"
    assert (
        channel((1, "en", "a@x.org", "", None, True), (2, "en", "", "+1312", None, True)) == "both"
    )
    assert channel((1, "en", "a@x.org", "", None, True), suppressed=["a@x.org"]) == "none"
    assert channel((1, "en", "a@x.org", "+1312", None, False)) == "none"  # deactivated
    assert channel() == "none"
