"""Celery entry points for messaging: thin, idempotent, ids only."""

import logging

from celery import shared_task
from django.conf import settings

from notifications import digests, dispatch, fanout
from notifications.actions import do_release_due_scheduled_messages

logger = logging.getLogger(__name__)


def enqueue_delivery_batches(ids: list[int]) -> int:
    """Queue send tasks for these delivery ids in batches; returns the number of tasks.

    If the broker refuses, the ids not yet queued are handed back to the sweeper."""
    from engage.celery import app

    queued = 0
    batches = list(dispatch.chunks(ids))
    try:
        with app.producer_or_acquire() as producer:
            for batch in batches:
                send_delivery_batch.apply_async((batch,), producer=producer)
                queued += 1
    except Exception:
        logger.warning(
            "notifications.enqueue.failed", extra={"batches_left": len(batches) - queued}
        )
        dispatch.forget_enqueued(id_ for batch in batches[queued:] for id_ in batch)
    return queued


@shared_task(ignore_result=True)
def fan_out_message(message_id: int) -> None:
    """Write a queued message's deliveries, then queue the sends that are due now."""
    result = fanout.fan_out(message_id)
    if result is not None:
        enqueue_delivery_batches(fanout.due_now_ids(message_id, result.fanned_out_at))


# acks_late: a batch redelivered after a crash claims nothing that was already claimed.
@shared_task(ignore_result=True, acks_late=True)
def send_delivery_batch(delivery_ids: list[int]) -> None:
    dispatch.send_deliveries(delivery_ids)


@shared_task(ignore_result=True)
def sweep_outbox() -> None:
    """Every minute: release scheduled messages, fan out forgotten ones, recover crashed sends,
    build due digests, and queue every due delivery. Catches up after any outage."""
    do_release_due_scheduled_messages()
    for message_id in fanout.stale_queued_message_ids(settings.ENGAGE_FANOUT_GRACE):
        fan_out_message.delay(message_id)
    dispatch.recover_stale_claims()
    digests.build_due_digests()
    enqueue_delivery_batches(dispatch.take_due_delivery_ids())
