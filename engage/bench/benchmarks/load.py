"""A bounded load test: 200 signed-in guardians at once, on the whole stack, for 60 seconds.

The stack is the production one on this machine: gunicorn with the project's gunicorn.conf.py
(gthread workers, on a free loopback port), the database of DATABASE_URL, the Redis of REDIS_URL
(cache, sessions, broker) and a Celery worker of our own on every queue. Each session is a
guardian of the bench district (the first parent of a family), signed in beforehand (a session
cookie), who goes round: their home page (the feed), the district's announcement (sent for the
run through the worker, read in their inbox), an activity page, and submitting that activity
(JSON to the API: a short text and a two-question quiz; each round a new activity, so every
submission is a new row), with a random pause of 0.5-1.5x THINK_SECONDS (5 s: 2.5-7.5 s) after
every answer, as a person reading and typing. The load generator is engage.bench.loadgen (asyncio, one task per session).

Metrics:
- load_rps: answered requests per second over the run;
- load_p95_ms: the 95th percentile of the time to the last byte, all requests;
- load_5xx: answers 500-599 (must be 0);
- load_lost_submissions: submissions the server accepted (200 with an id) that are not in the
  database afterwards (must be 0);
- load_no_answer: requests with no answer (refused, reset or over 30 s);
- load_machine_load_1m: the machine's 1-minute load average at the end (the cores are shared).

The run's quizzes, announcement, deliveries, outbox copies and sessions are removed afterwards.
Any 4xx answer stops the run with an error: it means the script is not doing what it says.
"""

import math
import os
import time

from django.conf import settings
from django.db import transaction

from activities.models import Submission
from engage.bench.activity_seed import get_or_seed_activity_data
from engage.bench.benchmarks.submit import clean_up, make_quizzes
from engage.bench.http import create_session_cookie, run_gunicorn
from engage.bench.loadgen import NO_ANSWER, LoadResult, Session, Step, run_load
from engage.bench.processes import celery_worker
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark
from engage.bench.seed import SYSTEM, BenchData, guardian_email
from guardians.models import GuardianLink
from notifications.actions import do_queue_message
from notifications.models import Delivery, Kind, Message, OutboxEntry
from tenants.models import Role, User

SESSIONS = {"tiny": 8, "small": 200, "district": 200}
SECONDS = {"tiny": 4.0, "small": 60.0, "district": 60.0}
THINK_SECONDS = {"tiny": 0.5, "small": 5.0, "district": 5.0}
WARM_UP_SECONDS = {"tiny": 1.0, "small": 5.0, "district": 5.0}
STEPS_PER_ROUND = 4
TITLE = "Bench load quiz"
SUBJECT = "Bench load announcement"
QUEUES = "notifications,default,media,privacy"
ANNOUNCEMENT_TIMEOUT_SECONDS = 120


@benchmark("load")
def load(context: BenchContext) -> Metrics:
    """200 guardian sessions for 60 s on gunicorn + Celery: requests/s, p95, 5xx, lost work."""
    if not settings.REDIS_URL:
        raise BenchError("load needs Redis (sessions, cache and the Celery broker): set REDIS_URL.")
    scale = context.scale
    count = context.load_sessions or SESSIONS.get(scale, 200)
    seconds = context.load_seconds or SECONDS.get(scale, 60.0)
    think = context.load_think_seconds or THINK_SECONDS.get(scale, 5.0)
    get_or_seed_activity_data(context.data, write=context.write)
    families = _families(context.data, count)
    rounds = math.ceil(seconds / (STEPS_PER_ROUND * think)) + 2
    district = context.data.district
    child_ids = [child_id for _, child_id, _ in families]
    cookies: list = []
    message = None
    try:
        quizzes = make_quizzes(
            district, [classroom_id for *_, classroom_id in families], rounds, title=TITLE
        )
        with celery_worker({**os.environ, "DEBUG": "0"}, queues=QUEUES, concurrency=2) as worker:
            message = _announce(context, [guardian.id for guardian, _, _ in families], worker)
            cookies = [create_session_cookie(g, role=Role.GUARDIAN) for g, _, _ in families]
            sessions = [
                _session(cookie, child_id, message.id, quizzes[classroom_id])
                for (cookie, _), (_, child_id, classroom_id) in zip(cookies, families, strict=True)
            ]
            result = _run(context, sessions, seconds=seconds, think=think)
        machine_load = os.getloadavg()[0]
        lost = count_lost_submissions(result)
    finally:
        for _, delete_session in cookies:
            delete_session()
        clean_up(district, child_ids, title=TITLE)
        _delete_announcement(message)
    _report(context, result, sessions=count, think=think, lost=lost, machine_load=machine_load)
    return {
        "load_rps": round(result.requests_per_second, 1),
        "load_p95_ms": round(result.percentile_ms(95), 1),
        "load_5xx": result.server_errors,
        "load_lost_submissions": lost,
        "load_no_answer": result.no_answers,
        "load_machine_load_1m": round(machine_load, 2),
    }


def _run(context: BenchContext, sessions: list[Session], *, seconds: float, think: float):
    warm_up = WARM_UP_SECONDS.get(context.scale, 5.0)
    browsing = [Session(s.cookie, s.csrf_token, lambda n, s=s: s.script(n)[:-1]) for s in sessions]
    with run_gunicorn(context.run_dir, production_config=True) as server:
        # Untimed: every worker process loads its code and caches (no submissions yet).
        run_load(server.host, server.port, browsing, seconds=warm_up, think_seconds=think)
        context.write(
            f"load: {len(sessions)} sessions for {seconds:g} s (think {think:g} s), "
            f"load average before {os.getloadavg()[0]:.2f}"
        )
        result = run_load(server.host, server.port, sessions, seconds=seconds, think_seconds=think)
        log = server.log_tail(5)
    unexpected = {
        status: n
        for status, n in result.statuses().items()
        if status not in (NO_ANSWER, 200) and status < 500
    }
    if unexpected:
        raise BenchError(f"load: unexpected answers {unexpected}:\n{log}")
    return result


def _families(data: BenchData, count: int) -> list[tuple[User, int, int]]:
    """(guardian, child id, classroom id): the first parent of `count` families and their first
    child (two-child families first)."""
    count = min(count, data.scale.families)
    emails = [guardian_email(family, 1) for family in range(count)]
    links = (
        GuardianLink.objects.filter(  # bench: the seeded families' own links
            district_id=data.district.id, guardian__email__in=emails, is_active=True
        )
        .select_related("guardian")
        .prefetch_related("child__enrollments")
        .order_by("guardian__email", "child_id")
    )
    found: dict[int, tuple[User, int, int]] = {}
    for link in links:
        enrollment = next(e for e in link.child.enrollments.all() if e.is_active)
        found.setdefault(link.guardian_id, (link.guardian, link.child_id, enrollment.classroom_id))
    if len(found) != count:
        raise BenchError(f"load: {len(found)} of {count} bench families found.")
    return list(found.values())


def _session(cookie: str, child_id: int, message_id: int, quizzes: list) -> Session:
    csrf = cookie.rpartition(f"{settings.CSRF_COOKIE_NAME}=")[2]

    def script(round_number: int) -> list[Step]:
        activity_id, choice_id, short_id = quizzes[round_number % len(quizzes)]
        body = {
            "text": f"Round {round_number}: we read it together.",
            "answers": {str(choice_id): 1, str(short_id): str(round_number)},
        }
        return [
            Step("feed", "/family/"),
            Step("announcement", f"/inbox/{message_id}/"),
            Step("activity", f"/family/children/{child_id}/activities/{activity_id}/"),
            Step(
                "submit",
                f"/api/v1/family/children/{child_id}/activities/{activity_id}/",
                method="POST",
                json_body=body,
            ),
        ]

    return Session(cookie=cookie, csrf_token=csrf, script=script)


def _announce(context: BenchContext, guardian_ids: list[int], worker) -> Message:
    """The announcement every session opens: queued as an admin sends one, fanned out by the
    worker (the local outbox is the provider)."""
    with transaction.atomic():
        message = do_queue_message(
            context.data.district,
            kind=Kind.ANNOUNCEMENT,
            audience={"type": "guardians", "ids": guardian_ids},
            channels=["email"],
            is_urgent=True,
            content={"en": {"subject": SUBJECT, "body": "Picture day is on Friday."}},
            actor=SYSTEM,
        )
    deadline = time.monotonic() + ANNOUNCEMENT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == Message.Status.SENT:
            return message
        time.sleep(0.5)
    raise BenchError(
        f"load: the announcement was not fanned out within {ANNOUNCEMENT_TIMEOUT_SECONDS} s "
        f"(status {message.status}):\n{worker.output()}"
    )


def _delete_announcement(message: Message | None) -> None:
    if message is None:
        return
    deliveries = Delivery.objects.filter(message_id=message.id)
    references = [f"d{delivery_id}" for delivery_id in deliveries.values_list("id", flat=True)]
    OutboxEntry.objects.filter(reference__in=references).delete()
    deliveries.delete()
    Message.objects.filter(id=message.id).delete()


def count_lost_submissions(result: LoadResult) -> int:
    """Submissions answered 200 that the database does not hold (an answer without an id counts
    as lost)."""
    accepted = [s for s in result.samples if s.kind == "submit" and s.status == 200]
    ids = {s.submission_id for s in accepted if s.submission_id is not None}
    without_id = sum(1 for s in accepted if s.submission_id is None)
    found = Submission.objects.filter(id__in=ids).count()  # bench: ids the server gave back
    return len(ids) - found + without_id


def _report(context, result: LoadResult, *, sessions, think, lost, machine_load) -> None:
    for kind in result.kinds():
        statuses = dict(sorted(result.statuses(kind).items()))
        context.write(
            f"load: {kind}: {sum(statuses.values())} requests {statuses}, "
            f"median {result.percentile_ms(50, kind):.1f} ms, p95 "
            f"{result.percentile_ms(95, kind):.1f} ms, p99 {result.percentile_ms(99, kind):.1f} ms"
        )
    context.write(
        f"load: {len(result.samples)} requests from {sessions} sessions in {result.seconds:.1f} s "
        f"({result.requests_per_second:.1f}/s), p95 {result.percentile_ms(95):.1f} ms, "
        f"{result.server_errors} 5xx, {result.no_answers} unanswered, {lost} submissions lost; "
        f"load average {machine_load:.2f}"
    )
