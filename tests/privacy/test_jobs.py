"""Retention jobs through `manage.py retention`: plan, run, status; logs kept for their window."""

import dataclasses
import datetime
import io
import json

import pytest
import time_machine
from django.core.management import call_command

from activities.models import ActivityEvent
from notifications.models import Delivery, Message
from privacy.audit import Actor
from privacy.jobs import JOBS, run_job
from privacy.models import AuditEvent, LifecycleTimer, PrivacySettings, RetentionRun
from privacy.requests import do_create_request

NOW = datetime.datetime(2026, 11, 30, 3, 30, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def retention(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        with time_machine.travel(NOW, tick=False):
            call_command("retention", *args, stdout=out, stderr=io.StringIO())
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def old_rows(world, age: datetime.timedelta, n: int = 1):
    for _ in range(n):
        event = AuditEvent.objects.create(
            district=world.lakeside, action="x", target_type="t", target_id="1"
        )
        AuditEvent.objects.filter(id=event.id).update(created_at=NOW - age)
        ActivityEvent.objects.create(
            district=world.lakeside, school=world.a1, kind="viewed", created_at=NOW - age
        )


def message(world, age):
    created = NOW - age
    msg = Message.objects.create(
        district=world.lakeside,
        kind="announcement",
        audience={"type": "district"},
        content={"en": {"body": "Hello"}},
        channels=["sms"],
        created_at=created,
    )
    Delivery.objects.create(
        district=world.lakeside,
        message=msg,
        channel="sms",
        address="+15550001111",
        status="delivered",
        created_at=created,
    )
    return msg


def test_R10_security_and_activity_logs_are_kept_for_their_window_only(world):
    old_rows(world, 366 * DAY, n=3)
    old_rows(world, 364 * DAY, n=2)
    AuditEvent.objects.filter(district=world.hillcrest).update(created_at=NOW - 400 * DAY)
    hillcrest_events = AuditEvent.objects.filter(district=world.hillcrest).count()
    code, out = retention("plan", "--district", "lakeside", "--json")
    assert code == 0
    logs = next(j for j in json.loads(out)["jobs"] if j["job"] == "logs")
    assert logs["details"] == {"audit_events": 3, "activity_events": 3}
    run = run_job(JOBS["logs"], world.lakeside, now=NOW)
    assert run.counts["audit_events"] == 3
    assert run.counts["activity_events"] == 3
    assert (
        AuditEvent.objects.filter(district=world.lakeside, created_at__lt=NOW - 365 * DAY).count()
        == 0
    )
    assert ActivityEvent.objects.filter(district=world.lakeside).count() == 2
    # Another district's logs follow its own run.
    assert AuditEvent.objects.filter(district=world.hillcrest).count() == hillcrest_events


def test_R10_a_district_may_keep_security_logs_for_less(world):
    PrivacySettings.objects.create(district=world.lakeside, values={"security_log_months": 3})
    old_rows(world, 100 * DAY)
    assert run_job(JOBS["logs"], world.lakeside, now=NOW).counts["audit_events"] == 1


def test_R11_message_logs_keep_number_time_and_outcome_for_four_years(world):
    recent = message(world, 30 * DAY)
    year_old = message(world, 400 * DAY)
    ancient = message(world, 4 * 366 * DAY)
    run = run_job(JOBS["logs"], world.lakeside, now=NOW)
    assert run.counts["message_bodies"] == 2  # older than 365 days: the text goes
    assert run.counts["deliveries"] == 1
    assert run.counts["messages"] == 1
    assert Message.objects.get(id=recent.id).content == {"en": {"body": "Hello"}}
    year_old.refresh_from_db()
    assert year_old.content == {}
    delivery = Delivery.objects.get(message=year_old)
    assert (delivery.address, delivery.status) == ("+15550001111", "delivered")
    assert not Message.objects.filter(id=ancient.id).exists()


def test_retention_plan_run_and_status_with_exit_codes(world):
    do_create_request(world.lakeside, kind="erasure", requester=world.ben, actor=Actor.system())
    code, out = retention("plan", "--json")
    assert code == 0
    plan = {(j["job"], j["district"]): j for j in json.loads(out)["jobs"]}
    assert plan[("erasure", "lakeside")]["due"] == 1
    assert plan[("erasure", "hillcrest")]["due"] == 0
    assert len(plan) == 2 * len(JOBS)

    code, out = retention("run", "--job", "erasure", "--district", "lakeside", "--dry-run")
    assert code == 0
    assert "erasure  lakeside  succeeded (dry run)  due 1" in out
    assert RetentionRun.objects.get().is_dry_run is True

    code, out = retention("run", "--job", "erasure", "--district", "lakeside", "--json")
    assert code == 0
    (run,) = json.loads(out)
    assert (run["job"], run["outcome"], run["counts"]["requests"]) == ("erasure", "succeeded", 1)

    code, out = retention("status", "--json")
    assert code == 0
    status = json.loads(out)
    assert [(r["job"], r["outcome"]) for r in status["last_runs"]] == [("erasure", "succeeded")]
    assert status["overdue_timers"] == [] and status["overdue_requests"] == []


def test_status_fails_on_an_overdue_timer_and_run_fails_on_a_failing_job(world, monkeypatch):
    LifecycleTimer.objects.create(
        district=world.lakeside,
        kind="account_deletion",
        subject_type="tenants.user",
        subject_id=world.ben.id,
        due_at=NOW - 3 * DAY,
        state="failed",
        last_error="RuntimeError: storage down",
    )
    code, out = retention("status")
    assert code == 1
    assert "OVERDUE account_deletion tenants.user" in out
    assert "storage down" in out

    def broken(district, now, progress=None):
        raise RuntimeError("database went away")

    monkeypatch.setitem(JOBS, "logs", dataclasses.replace(JOBS["logs"], run=broken))
    code, out = retention("run", "--job", "logs", "--district", "lakeside")
    assert code == 1
    assert RetentionRun.objects.get(job="logs").error == "RuntimeError: database went away"


def test_unknown_district_is_a_clear_error(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No district with the slug 'nowhere'"):
        call_command("retention", "plan", "--district", "nowhere", stdout=io.StringIO())


def test_runs_a_killed_worker_left_running_are_closed_after_the_claim_timeout(world):
    from privacy.jobs import close_abandoned_runs
    from privacy.models import RetentionRun

    now = datetime.datetime(2026, 11, 30, 3, 30, tzinfo=datetime.UTC)

    def run(job, hours_ago):
        return RetentionRun.objects.create(
            job=job, district=world.lakeside, started_at=now - datetime.timedelta(hours=hours_ago)
        )

    old, recent = run("erasure", 3), run("erasure", 1)
    ledger = run("district_disposal", 3)  # a disposal's ledger, resumed by the next run
    assert close_abandoned_runs(now) == 1
    old.refresh_from_db(), recent.refresh_from_db(), ledger.refresh_from_db()
    assert (old.outcome, old.finished_at) == ("failed", now)
    assert old.error.startswith("abandoned")
    assert (recent.outcome, ledger.outcome) == ("running", "running")
    assert close_abandoned_runs(now) == 0
