"""Reads for messaging: audiences, delivery reports, the family inbox, the local outbox."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from guardians.models import GuardianLink
from notifications.models import Channel, Delivery, Kind, Message, OutboxEntry, Suppression
from tenants.models import GroupMember, Membership, User
from tenants.scope import Scope

AUDIENCE_TYPES = ("district", "schools", "classrooms", "groups", "roles", "guardians")


def _guardian_links(district_id: int) -> QuerySet[GuardianLink]:
    return GuardianLink.objects.filter(
        district_id=district_id, is_active=True, has_access=True, child__is_active=True
    )


def audience_user_ids(district_id: int, audience: dict) -> QuerySet:
    """A subquery of the user ids an audience names, always inside `district_id`."""
    kind, ids = audience.get("type"), audience.get("ids") or []
    links = _guardian_links(district_id)
    if kind == "district":
        return links.values("guardian_id")
    if kind == "schools":
        return links.filter(child__school_id__in=ids).values("guardian_id")
    if kind == "classrooms":
        return links.filter(
            child__enrollments__classroom_id__in=ids, child__enrollments__is_active=True
        ).values("guardian_id")
    if kind == "groups":
        return GroupMember.objects.filter(district_id=district_id, group_id__in=ids).values(
            "user_id"
        )
    if kind == "roles":
        memberships = Membership.objects.filter(
            district_id=district_id, is_active=True, role__in=audience.get("roles") or []
        )
        if ids:
            memberships = memberships.filter(school_id__in=ids)
        return memberships.values("user_id")
    if kind == "guardians":
        return links.filter(guardian_id__in=ids).values("guardian_id")
    if kind == "people":
        # The platform's own notices to named people of the district (privacy.lifecycle), even
        # without an active child link; never an audience staff can choose (not in
        # AUDIENCE_TYPES, and check_audience_in_scope refuses it).
        return Membership.objects.filter(district_id=district_id, user_id__in=ids).values("user_id")
    raise ValueError(f"unknown audience type {kind!r}")


def audience_users(message: Message) -> QuerySet[User]:
    """Active people the message goes to (one row each), ordered for streaming. People who
    restricted processing (PROMISES R13) get only privacy notices."""
    from privacy.queries import get_restricted_user_ids

    users = User.objects.filter(
        id__in=audience_user_ids(message.district_id, message.audience), is_active=True
    )
    if message.kind != Kind.PRIVACY_NOTICE:
        users = users.exclude(id__in=get_restricted_user_ids(message.district_id))
    return users.order_by("id")


@dataclass
class Reach:
    families: int
    sms: int
    email: int
    unreachable: int


def get_audience_reach(district_id: int, audience: dict, channels: list[str]) -> Reach:
    """How many families each channel will reach, before sending (suppressed excluded)."""
    users = User.objects.filter(id__in=audience_user_ids(district_id, audience), is_active=True)
    nobody = Q(pk__in=[])
    stopped_sms = Suppression.objects.filter(channel=Channel.SMS).values("address")
    stopped_email = Suppression.objects.filter(channel=Channel.EMAIL).values("address")
    sms_ok = (
        Q(phone__isnull=False) & ~Q(phone__in=stopped_sms) if Channel.SMS in channels else nobody
    )
    email_ok = (
        Q(email__isnull=False) & ~Q(email__in=stopped_email)
        if Channel.EMAIL in channels
        else nobody
    )
    counts = users.aggregate(
        n_families=Count("id"),
        n_sms=Count("id", filter=sms_ok),
        n_email=Count("id", filter=email_ok),
        n_reachable=Count("id", filter=sms_ok | email_ok),
    )
    return Reach(
        counts["n_families"],
        counts["n_sms"],
        counts["n_email"],
        counts["n_families"] - counts["n_reachable"],
    )


def list_messages_for_scope(scope: Scope) -> QuerySet[Message]:
    messages = Message.objects.filter(district_id=scope.district.id).exclude(kind="digest")
    if scope.school is not None:
        messages = messages.filter(school_id=scope.school.id)
    if scope.is_classroom_level:
        messages = messages.filter(author_id=scope.user.id)
    return messages.select_related("author", "school").order_by("-created_at")


def access_message(scope: Scope, message_id: int) -> Message:
    return get_object_or_404(list_messages_for_scope(scope), id=message_id)


REPORT_STATES = [
    "pending",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "failed",
    "bounced",
    "suppressed",
    "held",
]


def get_delivery_report(message: Message) -> dict[str, dict[str, int]]:
    """{channel: {state: count}} for a message. One query."""
    report = {c: dict.fromkeys(REPORT_STATES, 0) for c in message.channels}
    rows = (
        Delivery.objects.filter(district_id=message.district_id, message_id=message.id)
        .values("channel", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        state = row["status"]
        state = "pending" if state == "sending" else state
        state = "held" if state == "digested" else state
        if state in report.setdefault(row["channel"], dict.fromkeys(REPORT_STATES, 0)):
            report[row["channel"]][state] += row["n"]
    return report


def list_unreachable_for_message(message: Message) -> QuerySet[Delivery]:
    """Families the message could not reach, with the reason."""
    return (
        Delivery.objects.filter(
            district_id=message.district_id,
            message_id=message.id,
            status__in=[
                Delivery.Status.FAILED,
                Delivery.Status.BOUNCED,
                Delivery.Status.SUPPRESSED,
            ],
        )
        .select_related("recipient")
        .order_by("recipient__last_name", "channel")
    )


def list_inbox_for_user(user: User) -> QuerySet[Message]:
    """Messages sent to this person (any channel), newest first: the family inbox."""
    return (
        Message.objects.filter(  # scope-exempt: a person's own inbox spans their districts
            deliveries__recipient_id=user.id,
            status=Message.Status.SENT,
        )
        .exclude(kind__in=["digest", "invite"])  # an invite is a link to join, not news
        .select_related("school", "district")
        .distinct()
        .order_by("-created_at")
    )


def access_inbox_message(user: User, message_id: int) -> Message:
    return get_object_or_404(list_inbox_for_user(user), id=message_id)


def list_outbox_entries(*, to: str | None = None, limit: int = 100) -> QuerySet[OutboxEntry]:
    """The newest local-outbox messages (platform-level: for operators and the embedded demo)."""
    entries = OutboxEntry.objects.all()
    if to:
        entries = entries.filter(to__iexact=to)
    return entries[:limit]


def help_text_for_phone(phone: str) -> str:
    """The reply to HELP: the district's contact for whoever holds this number."""
    from django.utils.translation import gettext as _

    from notifications.models import DistrictMessagingSettings

    district_ids = Membership.objects.filter(  # the texter's own districts
        user__phone=phone, is_active=True
    ).values("district_id")
    settings_row = (
        DistrictMessagingSettings.objects.filter(district_id__in=district_ids)
        .exclude(help_text="")
        .first()
    )
    if settings_row:
        return settings_row.help_text
    district = (
        Membership.objects.filter(user__phone=phone, is_active=True)
        .select_related("district")
        .first()
    )
    contact = (
        district.district.contact_email if district and district.district.contact_email else ""
    )
    text = _("Engage: messages from your child's school. Reply STOP to stop.")
    return f"{text} {contact}".strip()


def list_families_for_scope(scope: Scope) -> QuerySet[User]:
    """Guardians (with access) of the children in scope, for the hand-picked audience."""
    links = _guardian_links(scope.district.id)
    if scope.school is not None:
        links = links.filter(child__school_id=scope.school.id)
    if scope.is_classroom_level:
        links = links.filter(
            child__enrollments__classroom_id__in=scope.classroom_ids,
            child__enrollments__is_active=True,
        )
    return User.objects.filter(id__in=links.values("guardian_id"), is_active=True).order_by(
        "last_name", "first_name"
    )


def get_preferences(user: User):
    """The person's notification preferences, or the defaults (not saved)."""
    from notifications.models import NotificationPreference

    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


def is_suppressed(channel: str, address: str | None) -> bool:
    return bool(address) and Suppression.objects.filter(channel=channel, address=address).exists()
