"""The privacy console's audit log (S3): the district's events only, filters, keyset pages, and a
CSV export that streams and that no spreadsheet runs as a formula."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse

from privacy.actions_settings import do_update_policy_settings
from privacy.audit import Actor, record_audit_event
from privacy.models import AuditEvent
from tenants.actions import do_create_user
from tests.counts import SESSION_QUERIES

# A week before the world is built (it is built at the real time): only these events are then.
MONDAY = datetime.datetime(2026, 11, 16, 15, 0, tzinfo=datetime.UTC)
LOG = "privacy:console_audit"
EXPORT = "privacy:console_audit_export"
THAT_DAY = {"start": "2026-11-16", "end": "2026-11-16"}


def _at(minutes: int):
    return time_machine.travel(MONDAY + datetime.timedelta(minutes=minutes), tick=False)


@pytest.fixture
def events(world):
    """Settings changes on Monday afternoon in both districts, and two events at a1."""
    with _at(0):
        do_update_policy_settings(
            world.lakeside,
            values={"restore_days": 20},
            actor=Actor(user=world.dana, ip="198.51.100.1"),
        )
    with _at(5):
        do_update_policy_settings(
            world.lakeside,
            school=world.a1,
            values={"restore_days": 10},
            actor=Actor(user=world.priya, ip="198.51.100.2"),
        )
    with _at(10):
        do_update_policy_settings(
            world.hillcrest, values={"restore_days": 7}, actor=Actor(user=world.hank)
        )
    with _at(15):
        record_audit_event(
            actor=Actor(user=world.priya),
            action="child.deleted",
            target=world.noah,
            metadata={"reason": "added twice"},
        )


def _rows(response):
    return [(str(e.actor), e.action, e.target_type) for e in response.context["events"]]


def test_S3_district_admin_reads_the_districts_events_newest_first(world, client, login, events):
    login(world.dana)
    response = client.get(reverse(LOG), THAT_DAY)
    assert response.status_code == 200
    assert _rows(response) == [
        ("Priya Patel", "child.deleted", "guardians.child"),
        ("Priya Patel", "privacy_settings.updated", "privacy.privacysettings"),
        ("Dana Diaz", "privacy_settings.updated", "privacy.privacysettings"),
    ]
    page = response.content.decode()
    assert "198.51.100.1" in page and "added twice" in page
    assert "Hank" not in page


def test_S3_a_school_admin_reads_their_schools_events_only(world, client, login, events):
    login(world.priya)
    assert _rows(client.get(reverse(LOG), THAT_DAY)) == [
        ("Priya Patel", "child.deleted", "guardians.child"),
        ("Priya Patel", "privacy_settings.updated", "privacy.privacysettings"),
    ]
    login(world.quinn)
    assert _rows(client.get(reverse(LOG), THAT_DAY)) == []
    login(world.hank)
    assert _rows(client.get(reverse(LOG), THAT_DAY)) == [
        ("Hank Hill", "privacy_settings.updated", "privacy.privacysettings")
    ]


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"action": "privacy_settings"}, ["privacy_settings.updated"] * 2),
        ({"action": "child."}, ["child.deleted"]),
        ({"action": "nothing"}, []),
        # Dates are whole days in Chicago (Lakeside): Monday 09:00-09:15 there.
        ({"start": "2026-11-17", "end": "2026-11-17"}, []),
        ({"start": "2026-11-15", "end": "2026-11-15"}, []),
    ],
)
def test_S3_filter_by_action_and_dates(world, client, login, events, query, expected):
    login(world.dana)
    response = client.get(reverse(LOG), {**THAT_DAY, **query})
    assert [e.action for e in response.context["events"]] == expected


def test_a_date_range_backwards_is_an_error_and_not_applied(world, client, login, events):
    login(world.dana)
    response = client.get(reverse(LOG), {"start": "2026-11-17", "end": "2026-11-16"})
    assert response.context["search"].errors == {"end": ["The end date is before the start date."]}
    unfiltered = client.get(reverse(LOG))
    assert response.context["events"] == unfiltered.context["events"]
    assert len(unfiltered.context["events"]) == 35  # the world's own 32, and Monday's 3


def test_S3_keyset_pages_cover_every_event_once(world, client, login, assert_num_queries):
    """120 events, ten sharing one timestamp: three pages of 50, 50 and 20, none twice, none
    missing; a page is one query, deep or not, and there is no count."""
    for i in range(120):
        with _at(i if i >= 10 else 0):
            record_audit_event(actor=Actor.system(), action=f"test.event{i}", target=world.lakeside)
    login(world.dana)
    client.get(reverse(LOG))
    seen, cursor, pages = [], "", 0
    while True:
        query = {**THAT_DAY, **({"after": cursor} if cursor else {})}
        with assert_num_queries(SESSION_QUERIES + 1):
            response = client.get(reverse(LOG), query)
        seen.extend(e.action for e in response.context["events"])
        pages += 1
        cursor = response.context["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert seen[:3] == ["test.event119", "test.event118", "test.event117"]
    assert sorted(seen[-10:]) == sorted(f"test.event{i}" for i in range(10))


def test_a_cursor_that_does_not_parse_starts_over(world, client, login, events):
    login(world.dana)
    response = client.get(reverse(LOG), {**THAT_DAY, "after": "drop table"})
    assert len(response.context["events"]) == 3


# --- the CSV export --------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_S3_audit_log_export_streams_the_filtered_events(world, client, login, events):
    login(world.dana)
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)):
        response = client.get(reverse(EXPORT), THAT_DAY, REMOTE_ADDR="198.51.100.8")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="audit-lakeside-20261120-1200.csv"'
    )
    rows = _csv(response)
    assert rows[0] == [
        "time_utc",
        "action",
        "actor_id",
        "actor",
        "target_type",
        "target_id",
        "school_id",
        "ip_address",
        "details",
    ]
    assert [row[:4] + row[6:8] for row in rows[1:]] == [
        [
            "2026-11-16T15:15:00+00:00",
            "child.deleted",
            str(world.priya.id),
            "Priya Patel",
            str(world.a1.id),
            "",
        ],
        [
            "2026-11-16T15:05:00+00:00",
            "privacy_settings.updated",
            str(world.priya.id),
            "Priya Patel",
            str(world.a1.id),
            "198.51.100.2",
        ],
        [
            "2026-11-16T15:00:00+00:00",
            "privacy_settings.updated",
            str(world.dana.id),
            "Dana Diaz",
            "",
            "198.51.100.1",
        ],
    ]
    assert rows[3][8] == '{"new": {"restore_days": 20}, "old": {}}'
    export = AuditEvent.objects.get(action="audit_log.exported")
    assert (export.actor, export.district_id, export.ip_address, export.metadata) == (
        world.dana,
        world.lakeside.id,
        "198.51.100.8",
        {"action": "", "start": "2026-11-16T00:00:00-06:00", "end": "2026-11-17T00:00:00-06:00"},
    )


def test_S3_audit_log_export_is_formula_safe(world, client, login):
    """Names and reasons that a spreadsheet would run as formulas arrive as text."""
    dangerous = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)"]
    with _at(0):
        for i, text in enumerate(dangerous):
            person = do_create_user(
                email=f"evil{i}@example.org", first_name=text, actor=Actor.system()
            )
            record_audit_event(
                actor=Actor(user=person),
                action="child.deleted",
                target=world.noah,
                metadata={"reason": text},
            )
    login(world.dana)
    rows = _csv(client.get(reverse(EXPORT), {**THAT_DAY, "action": "child."}))
    actors = sorted(row[3] for row in rows[1:])
    assert actors == sorted(f"'{text}" for text in dangerous)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_the_export_holds_only_the_scopes_events(world, client, login, events):
    login(world.hank)
    rows = _csv(client.get(reverse(EXPORT), THAT_DAY))
    assert [row[1] for row in rows[1:]] == ["privacy_settings.updated"]
    assert all(row[2] == str(world.hank.id) for row in rows[1:])
    login(world.priya)
    rows = _csv(client.get(reverse(EXPORT), THAT_DAY))
    assert {row[6] for row in rows[1:]} == {str(world.a1.id)}


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ana", "Ana"),
        ("1-2", "1-2"),
        ("", ""),
        (42, "42"),
    ],
)
def test_safe_cell(value, expected):
    from privacy.views.console_records import safe_cell

    assert safe_cell(value) == expected
