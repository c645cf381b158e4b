"""A district announcement to 100,000 families by SMS and email (200,000 deliveries).

fanout_enqueue_s: from "send" (the message queued and committed) to every delivery row written
and every send task on the Redis queue: the fan-out task run as a worker runs it.

fanout_deliveries_per_s: then Celery worker processes send them to the fake Twilio/SendGrid
server on 127.0.0.1 (its own process) with the real client libraries; the sustained rate over a
bounded window after warm-up. fanout_worker_rss_growth_mb: how much the workers' resident memory
grew over that window (flat memory: near 0).

Needs PostgreSQL-or-SQLite plus a real Redis (REDIS_URL). The recipients live in their own
district (slug "bench-fanout"), reused by later runs; each run's message is deleted afterwards.
"""

import os
import time
import urllib.request

from django.conf import settings
from django.db import transaction

from engage.bench.processes import FakeProviderServer, celery_worker
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark
from engage.bench.seed import SYSTEM
from guardians.models import Child, GuardianLink
from notifications.actions import do_queue_message
from notifications.models import Delivery, DistrictMessagingSettings, Kind, Message
from notifications.tasks import fan_out_message
from tenants.actions import do_create_district, do_create_school
from tenants.models import District, Membership, Role, User

SLUG = "bench-fanout"
DOMAIN = "fanout.invalid"
RECIPIENTS = {"tiny": 200, "small": 100_000, "district": 100_000}
WORKERS = 2
WORKER_CONCURRENCY = 3
SEND_WINDOW_SECONDS = {"tiny": 5, "small": 40, "district": 60}
WARM_UP_SECONDS = 5
BATCH = 5000


@benchmark("fanout")
def fanout(context: BenchContext) -> Metrics:
    """A district announcement to 100,000 families by SMS and email: enqueue time, send rate."""
    if not settings.REDIS_URL:
        raise BenchError("fanout needs a real Redis broker: set REDIS_URL.")
    count = RECIPIENTS.get(context.scale, 100_000)
    district = _get_or_seed_recipients(count, context)
    _clear_previous_runs(district)
    with FakeProviderServer(_env()) as fake:
        enqueue_seconds, message = _send_announcement(district, count, context)
        try:
            rate, growth = _measure_sending(context, fake, message)
        finally:
            _cleanup(message)
    return {
        "fanout_enqueue_s": round(enqueue_seconds, 2),
        "fanout_deliveries_per_s": round(rate, 1),
        "fanout_worker_rss_growth_mb": round(growth, 1),
    }


def _env(**extra) -> dict:
    return {**os.environ, **{k: str(v) for k, v in extra.items()}}


def _send_announcement(district, count, context):
    started = time.monotonic()
    with transaction.atomic():
        message = do_queue_message(
            district,
            kind=Kind.ANNOUNCEMENT,
            audience={"type": "district"},
            channels=["sms", "email"],
            is_urgent=True,
            content={"en": {"subject": "Snow day", "body": "Schools are closed today."}},
            actor=SYSTEM,
        )
    fan_out_message(message.id)  # what the worker that picks up the fan-out task runs
    elapsed = time.monotonic() - started
    deliveries = Delivery.objects.filter(message_id=message.id).count()
    if deliveries != 2 * count:
        raise BenchError(f"fanout wrote {deliveries} deliveries for {count} families.")
    context.write(f"fanout: {deliveries} deliveries written and queued in {elapsed:.2f} s")
    return elapsed, message


def _sent(message) -> int:
    return Delivery.objects.filter(message_id=message.id, status=Delivery.Status.SENT).count()


def _measure_sending(context, fake, message) -> tuple[float, float]:
    env = _env(
        TWILIO_ACCOUNT_SID="ACbench",
        TWILIO_AUTH_TOKEN="bench-token",
        TWILIO_MESSAGING_SERVICE_SID="MGbench",
        TWILIO_API_BASE_URL=fake.url,
        SENDGRID_API_KEY="SG.bench",
        SENDGRID_API_BASE_URL=fake.url,
        LOG_LEVEL="WARNING",
        DEBUG="0",
    )
    workers = [
        celery_worker(env, queues="notifications", concurrency=WORKER_CONCURRENCY)
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        _wait_for_sends(message, workers)
        time.sleep(WARM_UP_SECONDS)
        window = SEND_WINDOW_SECONDS.get(context.scale, 60)
        sent_before, rss_before, started = _sent(message), _rss(workers), time.monotonic()
        deadline = started + window
        total = Delivery.objects.filter(message_id=message.id).count()
        while time.monotonic() < deadline and _sent(message) < total:
            time.sleep(1)
        elapsed = time.monotonic() - started
        sent_after, rss_after = _sent(message), _rss(workers)
    finally:
        for worker in workers:
            worker.stop()
    counts = urllib.request.urlopen(f"{fake.url}/_fake/count", timeout=5).read().decode()  # noqa: S310
    rate = (sent_after - sent_before) / elapsed
    context.write(
        f"fanout: {sent_after - sent_before} sent in {elapsed:.1f} s ({rate:.0f}/s) by {WORKERS} "
        f"workers x {WORKER_CONCURRENCY}; worker RSS {rss_before:.0f} -> {rss_after:.0f} MB; "
        f"fake provider received {counts}"
    )
    return rate, rss_after - rss_before


def _wait_for_sends(message, workers) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _sent(message) > 0:
            return
        time.sleep(0.5)
    raise BenchError("no delivery was sent within 60 s:\n" + workers[0].output())


def _rss(workers) -> float:
    return sum(worker.rss_mb() for worker in workers)


def _cleanup(message) -> None:
    """Drop this run's message and any send tasks still queued."""
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("notifications")
    Delivery.objects.filter(message_id=message.id).delete()
    Message.objects.filter(id=message.id).delete()


def _clear_previous_runs(district) -> None:
    for message_id in Message.objects.filter(district=district).values_list("id", flat=True):
        Delivery.objects.filter(message_id=message_id).delete()
        Message.objects.filter(id=message_id).delete()


def _get_or_seed_recipients(count: int, context) -> District:
    district = District.objects.filter(slug=SLUG).first()
    if district is not None and GuardianLink.objects.filter(district=district).count() == count:
        context.write(f"fanout: reusing {count} families of the {SLUG} district")
        return district
    started = time.monotonic()
    with transaction.atomic():
        if district is not None:
            for model in (GuardianLink, Membership, Child):
                model.objects.filter(district=district).delete()
            district.delete()
            User.objects.filter(email__endswith=f"@{DOMAIN}").delete()
        district = do_create_district(name="Fan-out bench district", slug=SLUG, actor=SYSTEM)
        school = do_create_school(district, name="Fan-out School", slug="school", actor=SYSTEM)
        DistrictMessagingSettings.objects.create(district=district, sends_per_second=5000)
        for start in range(0, count, BATCH):
            _seed_batch(district, school, range(start, min(start + BATCH, count)))
    context.write(f"fanout: seeded {count} families in {time.monotonic() - started:.1f} s")
    return district


def _seed_batch(district, school, numbers) -> None:
    users = User.objects.bulk_create(
        [
            User(
                email=f"family{n}@{DOMAIN}",
                phone=f"+1202{5550000 + n:07d}",
                first_name="Family",
                last_name=str(n),
                password="!",
            )
            for n in numbers
        ]
    )
    children = Child.objects.bulk_create(
        [
            Child(district=district, school=school, first_name="Kid", last_name=str(n))
            for n in numbers
        ]
    )
    GuardianLink.objects.bulk_create(
        [
            GuardianLink(district=district, guardian=user, child=child)
            for user, child in zip(users, children, strict=True)
        ]
    )
    Membership.objects.bulk_create(
        [Membership(district=district, user=user, role=Role.GUARDIAN) for user in users]
    )
