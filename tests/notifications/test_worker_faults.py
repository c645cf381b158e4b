"""Faults with real processes: a Celery worker killed mid-batch, Redis stopped mid-send.

Each test starts its own redis-server on a free port, real `celery worker` (and `beat`)
processes, and the fake Twilio/SendGrid server; the machine's own Redis is left alone.
"""

import contextlib
from collections import Counter

import pytest
from celery import Celery
from django.db import transaction

from engage.celery import app as celery_app
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from notifications import dispatch, fanout
from notifications.actions import do_queue_message
from notifications.models import Delivery, Kind, Message
from privacy.audit import Actor
from tenants.actions import do_create_user
from tests.fakes.providers import FakeProviders
from tests.fakes.services import RedisServer, beat, wait_for, worker, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def make_families(world, count: int) -> list[int]:
    ids = []
    for n in range(count):
        parent = do_create_user(
            email=f"fam{n}@example.org", phone=f"+1312555{2000 + n:04d}", actor=Actor.system()
        )
        child = do_create_child(
            world.a1, first_name=f"Kid{n}", last_name="Test", actor=Actor.system()
        )
        do_enroll_child(child, world.room2, actor=Actor.system())
        do_link_guardian(child, parent, actor=Actor.system())
        ids.append(parent.id)
    return ids


def urgent(world, ids, subject):
    return do_queue_message(
        world.lakeside,
        kind=Kind.ANNOUNCEMENT,
        audience={"type": "guardians", "ids": ids},
        channels=["sms", "email"],
        is_urgent=True,
        content={"en": {"subject": subject, "body": f"{subject} body"}},
        actor=Actor.system(),
    )


def sent_once(fake, deliveries) -> None:
    """Every delivery reached the provider exactly once."""
    emails = Counter(m["reference"] for m in fake.email)
    sms = Counter((m["to"], m["body"]) for m in fake.sms)
    assert max(emails.values(), default=1) == 1 and max(sms.values(), default=1) == 1
    assert sorted(emails) == sorted(f"d{d.id}" for d in deliveries if d.channel == "email")
    assert len(sms) == sum(1 for d in deliveries if d.channel == "sms")


@contextlib.contextmanager
def live_broker(url: str):
    """Point this process's Celery app at a real broker (tests run it eagerly otherwise)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_write_url, conf.task_always_eager
    conf.broker_url = conf.broker_write_url = url
    conf.task_always_eager = False
    celery_app._after_fork()
    try:
        yield
    finally:
        conf.broker_url, conf.broker_write_url, conf.task_always_eager = saved
        celery_app._after_fork()


def test_worker_killed_mid_batch_every_delivery_sent_exactly_once(world, tmp_path, monkeypatch):
    ids = make_families(world, 100)
    # Fan out here rather than through the (eager, in tests) queue; the batches go to the worker.
    monkeypatch.setattr("notifications.actions._enqueue_fanout", lambda message_id: None)
    message = urgent(world, ids, "Kill test")
    fanout.fan_out(message.id)
    deliveries = list(Delivery.objects.filter(message=message))
    assert len(deliveries) == 200
    with RedisServer() as broker, FakeProviders() as fake:
        fake.state.delay = 0.05  # each provider call takes a little while, like a real one
        env = worker_env(
            broker.url,
            fake.url,
            ENGAGE_CLAIM_TIMEOUT=8,  # longer than any batch here: only dead claims are recovered
            ENGAGE_REQUEUE_AFTER=2,
            ENGAGE_SEND_THREADS=2,
        )
        publisher = Celery(broker=broker.url, set_as_current=False)  # our app stays current
        for chunk in dispatch.chunks([d.id for d in deliveries], 20):
            publisher.send_task(
                "notifications.tasks.send_delivery_batch", args=[chunk], queue="notifications"
            )
        first = worker(env).start()
        try:
            wait_for(lambda: len(fake.sms) + len(fake.email) >= 30, 60, message="first sends")
        except AssertionError:
            first.kill()
            raise AssertionError(first.output()) from None
        first.kill()
        killed_at = len(fake.sms) + len(fake.email)
        assert killed_at < 200, "the worker finished before it was killed"
        with worker(env):

            def all_sent():
                publisher.send_task("notifications.tasks.sweep_outbox", queue="notifications")
                return not Delivery.objects.filter(message=message).exclude(status="sent").exists()

            wait_for(all_sent, 90, interval=1.5, message="every delivery sent")
        sent_once(fake, deliveries)


def test_redis_down_while_messages_are_created_then_each_goes_out_once(world, tmp_path):
    ids = make_families(world, 5)
    broker = RedisServer().start()
    try:
        with FakeProviders() as fake:
            env = worker_env(
                broker.url,
                fake.url,
                ENGAGE_SWEEP_SECONDS=1,
                ENGAGE_FANOUT_GRACE=0,
                ENGAGE_REQUEUE_AFTER=2,
            )
            with worker(env), beat(env, tmp_path):
                broker.stop()
                with live_broker(broker.url):
                    for n in range(3):
                        with transaction.atomic():  # on commit, the enqueue fails: Redis is down
                            urgent(world, ids, f"Outage {n}")
                assert set(Message.objects.values_list("status", flat=True)) == {"queued"}
                assert fake.sms == [] and fake.email == []
                broker.start()  # same port: worker and beat reconnect

                def all_sent():
                    deliveries = Delivery.objects.all()
                    return (
                        deliveries.count() == 30 and not deliveries.exclude(status="sent").exists()
                    )

                wait_for(
                    all_sent, 90, interval=0.5, message="all messages sent after Redis returns"
                )
            sent_once(fake, list(Delivery.objects.all()))
            assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        broker.stop()
