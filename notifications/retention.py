"""Message log retention: what compliance needs is kept, the rest goes earlier.

Design: TCPA-style records need the number or address contacted, the time and the outcome, kept
for the policy period (default 4 years). Message bodies hold personal content and go sooner.
`purge_message_bodies` blanks content of messages older than its cutoff (the delivery rows keep
address, time and status); `purge_delivery_logs` deletes delivery rows, and then messages left
without any, older than the log cutoff. Both work in chunks by id (no OFFSET), one transaction
per chunk, and are idempotent: a rerun finds nothing left to do. The privacy engine wires the
cutoffs to each district's policy settings.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from notifications.models import Delivery, Message

CHUNK = 5000
DEFAULT_BODY_DAYS = 365
DEFAULT_LOG_YEARS = 4


def purge_message_bodies(*, older_than: datetime.datetime, district_id: int | None = None) -> int:
    """Blank the content of messages created before `older_than`; returns how many."""
    messages = Message.objects.filter(created_at__lt=older_than, body_purged_at__isnull=True)
    if district_id is not None:
        messages = messages.filter(district_id=district_id)
    done = 0
    while ids := list(messages.order_by("id").values_list("id", flat=True)[:CHUNK]):
        with transaction.atomic():
            done += Message.objects.filter(id__in=ids).update(
                content={}, body_purged_at=timezone.now()
            )
    return done


def purge_delivery_logs(*, older_than: datetime.datetime, district_id: int | None = None) -> dict:
    """Delete delivery records (and then emptied messages) created before `older_than`."""
    deliveries = Delivery.objects.filter(created_at__lt=older_than)
    messages = Message.objects.filter(created_at__lt=older_than, deliveries__isnull=True)
    if district_id is not None:
        deliveries = deliveries.filter(district_id=district_id)
        messages = messages.filter(district_id=district_id)
    counts = {"deliveries": 0, "messages": 0}
    last_id = 0
    while ids := list(
        deliveries.filter(id__gt=last_id).order_by("id").values_list("id", flat=True)[:CHUNK]
    ):
        with transaction.atomic():
            Delivery.objects.filter(digest_id__in=ids).update(digest=None)
            counts["deliveries"] += Delivery.objects.filter(id__in=ids).delete()[0]
        last_id = ids[-1]
    while ids := list(messages.order_by("id").values_list("id", flat=True)[:CHUNK]):
        with transaction.atomic():
            counts["messages"] += Message.objects.filter(id__in=ids).delete()[0]
    return counts


def default_cutoffs(now=None) -> tuple[datetime.datetime, datetime.datetime]:
    """(bodies before, logs before) under the platform defaults."""
    now = now or timezone.now()
    return (
        now - datetime.timedelta(days=DEFAULT_BODY_DAYS),
        now - datetime.timedelta(days=round(365.25 * DEFAULT_LOG_YEARS)),
    )
