"""Writes for messaging: queue messages, apply provider events, opt-outs and preferences.

Queueing a message writes the Message row in the caller's transaction and, after commit, asks a
worker to fan it out (notifications.tasks). If Redis or the workers are down, the message waits
in the database and the periodic sweeper picks it up: nothing is lost, nothing is sent twice
(fan_out and send_deliveries are both conditional on the rows' status).
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards.actions import schedule_family_refresh, schedule_message_refresh
from notifications.models import (
    STATUS_RANK,
    Channel,
    Delivery,
    Kind,
    Message,
    NotificationPreference,
    ProcessedWebhookEvent,
    Suppression,
)
from privacy.audit import Actor, record_audit_event
from privacy.districts.readonly import is_sending_stopped
from tenants.actions import ActionError
from tenants.models import District, School, User
from tenants.scope import Scope

logger = logging.getLogger(__name__)


def _enqueue_fanout(message_id: int) -> None:
    from notifications import tasks

    try:
        tasks.fan_out_message.delay(message_id)
    except Exception:  # broker down: the sweeper queues it once Redis is back
        logger.warning("notifications.fanout.enqueue_failed", extra={"message_id": message_id})


@transaction.atomic
def do_queue_message(
    district: District,
    *,
    kind: str,
    audience: dict,
    content: dict,
    channels: list[str],
    school: School | None = None,
    author: User | None = None,
    is_urgent: bool = False,
    is_required: bool = False,
    scheduled_for: datetime.datetime | None = None,
    source: tuple = ("", ""),
    default_language: str = "en",
    actor: Actor,
) -> Message:
    """Queue a message to an audience of `district` (now, or at `scheduled_for`)."""
    if not content.get(default_language, {}).get("body"):
        raise ActionError(_("Write the message before sending it."))
    if not channels or set(channels) - set(Channel.values):
        raise ActionError(_("Choose text messages, email, or both."))
    if school is not None and school.district_id != district.id:
        raise ActionError(_("That school belongs to another district."))
    now = timezone.now()
    scheduled = scheduled_for is not None and scheduled_for > now
    message = Message.objects.create(
        district=district,
        school=school,
        kind=kind,
        author=author,
        audience=audience,
        content=content,
        default_language=default_language,
        channels=list(channels),
        is_urgent=is_urgent,
        is_required=is_required,
        source_type=source[0],
        source_id=str(source[1]),
        scheduled_for=scheduled_for if scheduled else None,
        status=Message.Status.SCHEDULED if scheduled else Message.Status.QUEUED,
        queued_at=None if scheduled else now,
    )
    if is_sending_stopped(district, scheduled_for if scheduled else now):
        # The district's contract has ended (PROMISES R8): nothing goes out for it any more.
        Message.objects.filter(id=message.id).update(status=Message.Status.CANCELLED)
        message.status = Message.Status.CANCELLED
        return message
    if not scheduled:
        transaction.on_commit(lambda: _enqueue_fanout(message.id))
    return message


def do_send_announcement(
    scope: Scope,
    *,
    audience: dict,
    content: dict,
    channels: list[str],
    is_urgent: bool = False,
    scheduled_for=None,
    actor: Actor,
) -> Message:
    """Staff announce something to an audience inside their scope."""
    from notifications.audiences import check_audience_in_scope

    check_audience_in_scope(scope, audience)
    return do_queue_message(
        scope.district,
        kind=Kind.ANNOUNCEMENT,
        audience=audience,
        content=content,
        channels=channels,
        school=scope.school,
        author=scope.user,
        is_urgent=is_urgent,
        scheduled_for=scheduled_for,
        default_language=scope.user.preferred_language or "en",
        actor=actor,
    )


def do_release_due_scheduled_messages(now=None) -> list[int]:
    """Move scheduled messages whose time has come to `queued`; returns their ids."""
    now = now or timezone.now()
    ids = list(
        Message.objects.filter(status=Message.Status.SCHEDULED, scheduled_for__lte=now).values_list(
            "id", flat=True
        )
    )
    Message.objects.filter(id__in=ids, status=Message.Status.SCHEDULED).update(
        status=Message.Status.QUEUED, queued_at=now
    )
    return ids


def do_apply_delivery_event(
    *,
    provider: str,
    status: str,
    provider_message_id: str = "",
    delivery_id: int | None = None,
    error_code: str = "",
    event_id: str = "",
) -> bool:
    """Move a delivery forward on a provider event; repeats and regressions change nothing.

    The delivery is found by our own id (SendGrid echoes it) or the provider's message id.
    Events may arrive in any order: a state is applied only if it ranks above the current one.
    `event_id` de-duplicates providers that repeat events. Returns whether anything changed.
    """
    if delivery_id is None and not provider_message_id:
        return False
    with transaction.atomic():
        if event_id:
            _, created = ProcessedWebhookEvent.objects.get_or_create(
                provider=provider, event_id=event_id
            )
            if not created:
                return False
        rank = STATUS_RANK[status]
        deliveries = Delivery.objects.filter(status_rank__lt=rank, status_rank__gte=1)
        if delivery_id is not None:
            deliveries = deliveries.filter(id=delivery_id)
        else:
            deliveries = deliveries.filter(provider_message_id=provider_message_id)
        message_ids = set(deliveries.values_list("message_id", flat=True))
        changed = deliveries.update(
            status=status, status_rank=rank, error_code=error_code[:40], updated_at=timezone.now()
        )
        for message_id in sorted(message_ids) if changed else ():
            schedule_message_refresh(message_id)  # the dashboards' message reach
    return bool(changed)


@transaction.atomic
def do_suppress_address(
    channel: str, address: str, *, reason: str, actor: Actor, detail: str = ""
) -> bool:
    """Stop sending to an address (STOP, unsubscribe, bounce, spam). Audited; idempotent."""
    _, created = Suppression.objects.get_or_create(
        channel=channel, address=address, defaults={"reason": reason, "detail": detail[:255]}
    )
    if created:
        _audit_people_at(
            channel,
            address,
            action="consent.opted_out",
            actor=actor,
            metadata={"channel": channel, "reason": reason},
        )
        Delivery.objects.filter(
            channel=channel,
            address=address,
            status__in=[Delivery.Status.PENDING, Delivery.Status.HELD],
        ).update(status=Delivery.Status.SUPPRESSED, status_rank=STATUS_RANK["suppressed"])
    return created


@transaction.atomic
def do_lift_suppression(
    channel: str,
    address: str,
    *,
    actor: Actor,
    only_reasons: tuple[str, ...] = ("stop", "unsubscribe"),
) -> bool:
    """START / re-subscribe: lift an opt-out the family made (never a bounce). Audited."""
    deleted, _ = Suppression.objects.filter(
        channel=channel, address=address, reason__in=only_reasons
    ).delete()
    if deleted:
        _audit_people_at(
            channel, address, action="consent.opted_in", actor=actor, metadata={"channel": channel}
        )
    return bool(deleted)


def _audit_people_at(channel: str, address: str, *, action: str, actor: Actor, metadata: dict):
    """Record a consent change for every person who uses this phone number or email address."""
    field = "phone" if channel == Channel.SMS else "email"
    users = list(User.objects.filter(**{field: address}))
    for user in users:
        record_audit_event(actor=actor, action=action, target=user, metadata=metadata)
    schedule_family_refresh(u.id for u in users)  # the dashboards' unreachable families


@transaction.atomic
def do_update_preferences(
    user: User,
    *,
    channels: str,
    modes: dict,
    quiet_start,
    quiet_end,
    daily_cap: int,
    language: str,
    actor: Actor,
) -> NotificationPreference:
    """A family changes how and when they hear from school. Audited (consent data)."""
    preference, _ = NotificationPreference.objects.get_or_create(user=user)
    preference.channels, preference.modes = channels, modes
    preference.quiet_start, preference.quiet_end = quiet_start, quiet_end
    preference.daily_cap, preference.updated_at = daily_cap, timezone.now()
    preference.save()
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    record_audit_event(
        actor=actor,
        action="consent.preferences_changed",
        target=user,
        metadata={"channels": channels, "modes": modes},
    )
    return preference
