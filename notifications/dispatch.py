"""Sending deliveries exactly once.

Design: a delivery row is written before anything is sent (fanout.py). A sender claims due
rows with `select_for_update(skip_locked=True)` and marks them `sending` in a committed
transaction *before* it calls the provider, so a duplicated task, or a second worker, finds
nothing left to claim. After the call the row becomes `sent` (with the provider's id), goes back
to `pending` with a backoff (transient errors), or `failed` (permanent errors, which also
suppress an unusable address).

A worker killed between claim and record leaves rows in `sending`. `recover_stale_claims` asks
the provider, by our reference, whether it accepted each one: if so the row is marked sent,
otherwise it is released for sending. So a crash neither loses nor repeats a message.

Everything here is safe to re-run: every step is conditional on the row's current status.
"""

import datetime
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dashboards.actions import schedule_message_refresh
from notifications import ratelimit
from notifications.models import (
    STATUS_RANK,
    Delivery,
    DistrictMessagingSettings,
    Suppression,
)
from notifications.providers import get_provider
from notifications.providers.base import (
    OutgoingMessage,
    PermanentProviderError,
    Sender,
    TransientProviderError,
)
from notifications.rendering import render_delivery

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 60 * 60


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


@dataclass
class BatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    skipped: int = 0
    ids: list[int] = field(default_factory=list)


def claim(delivery_ids, now=None) -> list[Delivery]:
    """Mark due pending deliveries `sending` and return them; others are left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(id__in=list(delivery_ids), status=Delivery.Status.PENDING, not_before__lte=now)
            .values_list("id", flat=True)
        )
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(
            status=Delivery.Status.SENDING,
            status_rank=STATUS_RANK[Delivery.Status.SENDING],
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return list(
        Delivery.objects.filter(id__in=ids).select_related("message", "recipient").order_by("id")
    )


def _senders(district_ids) -> dict[int, tuple[Sender, int]]:
    rows = DistrictMessagingSettings.objects.filter(district_id__in=set(district_ids))
    found = {
        row.district_id: (
            Sender(row.twilio_messaging_service_sid, row.email_from_name, row.email_reply_to),
            row.sends_per_second,
        )
        for row in rows
    }
    return {
        d: found.get(d, (Sender(), settings.ENGAGE_DEFAULT_SENDS_PER_SECOND)) for d in district_ids
    }


def outgoing_for(delivery: Delivery, sender: Sender) -> OutgoingMessage:
    rendered = render_delivery(delivery)
    return OutgoingMessage(
        reference=f"d{delivery.id}",
        channel=delivery.channel,
        to=delivery.address,
        subject=rendered.subject,
        body=rendered.body,
        html_body=rendered.html_body,
        headers=rendered.headers,
        sender=sender,
        substitutions=rendered.substitutions,
    )


def send_deliveries(delivery_ids) -> BatchResult:
    """Claim and send the given deliveries (those still due and pending)."""
    result = BatchResult()
    deliveries = claim(delivery_ids)
    result.skipped = len(set(delivery_ids)) - len(deliveries)
    if not deliveries:
        return result
    suppressed = _suppressed_addresses(deliveries)
    senders = _senders({d.district_id for d in deliveries})
    to_send = []
    for delivery in deliveries:
        if (delivery.channel, delivery.address) in suppressed:
            _finish(delivery, Delivery.Status.SUPPRESSED, error_code="suppressed")
            result.suppressed += 1
        else:
            to_send.append(delivery)
    by_channel: dict[str, list[Delivery]] = {}
    for delivery in to_send:
        by_channel.setdefault(delivery.channel, []).append(delivery)
    for channel, group in by_channel.items():
        _send_group(channel, group, senders, result)
    for message_id in sorted({d.message_id for d in deliveries}):
        schedule_message_refresh(message_id)  # the dashboards' message reach
    return result


def _send_group(channel, deliveries, senders, result: BatchResult) -> None:
    provider = get_provider(channel)
    for district_id in {d.district_id for d in deliveries}:
        count = sum(1 for d in deliveries if d.district_id == district_id)
        ratelimit.take(f"{district_id}:{channel}", senders[district_id][1], count)

    # A claim older than ENGAGE_CLAIM_TIMEOUT may be recovered by a sweeper, so a slow batch
    # stops sending at half of it and hands the rest back rather than race the recovery.
    send_until = time.monotonic() + settings.ENGAGE_CLAIM_TIMEOUT / 2

    def send_one(delivery):
        if time.monotonic() > send_until:
            return delivery, None, TransientProviderError("batch ran long", code="deferred")
        try:
            sender = senders[delivery.district_id][0]
            return delivery, provider.send(outgoing_for(delivery, sender)), None
        except (TransientProviderError, PermanentProviderError) as error:
            return delivery, None, error

    if provider.batches:
        messages = [outgoing_for(d, senders[d.district_id][0]) for d in deliveries]
        if time.monotonic() > send_until:
            deferred = TransientProviderError("batch ran long", code="deferred")
            results = [(None, deferred)] * len(messages)
        else:
            results = provider.send_many(messages)
        outcomes = [(d, pid, err) for d, (pid, err) in zip(deliveries, results, strict=True)]
    elif provider.thread_safe and len(deliveries) > 1:
        with ThreadPoolExecutor(max_workers=settings.ENGAGE_SEND_THREADS) as pool:
            outcomes = list(pool.map(send_one, deliveries))
    else:
        outcomes = [send_one(d) for d in deliveries]
    sent = [(delivery, provider_id) for delivery, provider_id, error in outcomes if error is None]
    _finish_sent(sent, provider.name)
    result.sent += len(sent)
    result.ids.extend(delivery.id for delivery, _ in sent)
    for delivery, _provider_id, error in outcomes:
        if error is not None:
            _record_failure(delivery, provider.name, error, result)


def _finish_sent(sent, provider_name: str) -> None:
    """Mark a batch sent in one statement (only rows still claimed by this sender)."""
    if not sent:
        return
    now = timezone.now()
    rows = [
        Delivery(
            id=delivery.id,
            status=Delivery.Status.SENT,
            status_rank=STATUS_RANK[Delivery.Status.SENT],
            provider=provider_name,
            provider_message_id=provider_id or "",
            sent_at=now,
            updated_at=now,
        )
        for delivery, provider_id in sent
    ]
    Delivery.objects.filter(status=Delivery.Status.SENDING).bulk_update(
        rows, ["status", "status_rank", "provider", "provider_message_id", "sent_at", "updated_at"]
    )


def _record_failure(delivery, provider_name, error, result: BatchResult) -> None:
    if isinstance(error, TransientProviderError) and delivery.attempts < MAX_ATTEMPTS:
        _release(delivery, error)
        result.retried += 1
        return
    reason = getattr(error, "suppress_reason", "")
    if reason:
        suppress(delivery.channel, delivery.address, reason, detail=f"{provider_name} {error.code}")
    _finish(delivery, Delivery.Status.FAILED, error_code=error.code, error=str(error))
    result.failed += 1
    logger.info(
        "notifications.delivery.failed", extra={"delivery_id": delivery.id, "code": error.code}
    )


def _finish(delivery, status, *, provider="", provider_id="", error_code="", error="") -> None:
    now = timezone.now()
    Delivery.objects.filter(id=delivery.id, status=Delivery.Status.SENDING).update(
        status=status,
        status_rank=STATUS_RANK[status],
        provider=provider,
        provider_message_id=provider_id or "",
        error_code=error_code[:40],
        error_message=error[:255],
        sent_at=now if status == Delivery.Status.SENT else None,
        updated_at=now,
    )


def _release(delivery, error) -> None:
    now = timezone.now()
    Delivery.objects.filter(id=delivery.id, status=Delivery.Status.SENDING).update(
        status=Delivery.Status.PENDING,
        status_rank=0,
        claimed_at=None,
        enqueued_at=None,
        not_before=now + datetime.timedelta(seconds=backoff_seconds(delivery.attempts)),
        error_code=error.code[:40],
        error_message=str(error)[:255],
        updated_at=now,
    )


def _suppressed_addresses(deliveries) -> set[tuple[str, str]]:
    rows = Suppression.objects.filter(address__in={d.address for d in deliveries})
    return set(rows.values_list("channel", "address"))


def suppress(channel: str, address: str, reason: str, *, detail: str = "") -> None:
    """Never send to this address on this channel again (until the family opts back in)."""
    Suppression.objects.get_or_create(
        channel=channel, address=address, defaults={"reason": reason, "detail": detail[:255]}
    )


def recover_stale_claims(older_than_seconds: int | None = None) -> dict[str, int]:
    """Resolve deliveries left in `sending` by a worker that died: sent, or released.

    Each row is locked while the provider is asked, and re-checked under the lock, so two
    sweepers at once never both resolve (and so resend) the same delivery.
    """
    timeout = (
        older_than_seconds if older_than_seconds is not None else settings.ENGAGE_CLAIM_TIMEOUT
    )
    cutoff = timezone.now() - datetime.timedelta(seconds=timeout)
    stale_ids = list(
        Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:1000]
    )
    counts = {"confirmed": 0, "released": 0}
    for delivery_id in stale_ids:
        outcome = _recover_one(delivery_id, cutoff)
        if outcome:
            counts[outcome] += 1
    return counts


def _recover_one(delivery_id: int, cutoff) -> str | None:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(id=delivery_id, status=Delivery.Status.SENDING, claimed_at__lt=cutoff)
            .select_related("message", "recipient")
            .first()
        )
        if delivery is None:
            return None  # another sweeper has it, or it finished meanwhile
        provider = get_provider(delivery.channel)
        sender = _senders([delivery.district_id])[delivery.district_id][0]
        try:
            provider_id = provider.find_sent(
                outgoing_for(delivery, sender), delivery.claimed_at - datetime.timedelta(minutes=5)
            )
        except TransientProviderError:
            return None  # ask again on the next sweep
        if provider_id:
            _finish(delivery, Delivery.Status.SENT, provider=provider.name, provider_id=provider_id)
            return "confirmed"
        Delivery.objects.filter(id=delivery.id, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.PENDING,
            status_rank=0,
            claimed_at=None,
            enqueued_at=None,
            updated_at=timezone.now(),
        )
        return "released"


def take_due_delivery_ids(limit: int = 50_000, now=None) -> list[int]:
    """Pending deliveries whose time has come and whose send task is not (or no longer) queued;
    marks them queued now. For the sweeper."""
    now = now or timezone.now()
    requeue_before = now - datetime.timedelta(seconds=settings.ENGAGE_REQUEUE_AFTER)
    ids = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, not_before__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue_before))
        .order_by("not_before", "id")
        .values_list("id", flat=True)[:limit]
    )
    for chunk in chunks(ids, 5000):
        Delivery.objects.filter(id__in=chunk).update(enqueued_at=now)
    return ids


def forget_enqueued(ids) -> None:
    """The broker refused these ids' tasks: let the sweeper queue them again at once."""
    for chunk in chunks(list(ids), 5000):
        Delivery.objects.filter(id__in=chunk, status=Delivery.Status.PENDING).update(
            enqueued_at=None
        )


def chunks(ids, size: int = BATCH_SIZE):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
