"""Messages, their deliveries, family preferences, suppressions, and the local outbox.

A Message is what staff (or the platform) say; a Delivery is one recipient on one channel. Both
are written before anything is sent, so a message survives a Redis or worker outage and is sent
once things are back (see notifications/dispatch.py for how sending stays exactly-once).
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.classification import Category as C
from tenants.models import DistrictScopedModel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Kind(models.TextChoices):
    INVITE = "invite", _("Invitation")
    NEW_ACTIVITY = "new_activity", _("New activity")
    REMINDER = "reminder", _("Reminder")
    FEEDBACK = "feedback", _("Feedback and awards")
    ANNOUNCEMENT = "announcement", _("Announcement")
    PRIVACY_NOTICE = "privacy_notice", _("Privacy notice")
    DIGEST = "digest", _("Daily digest")


# Kinds a family may switch to digest or off; the others always arrive (legally required or
# part of joining).
PREFERENCE_KINDS = [Kind.NEW_ACTIVITY, Kind.REMINDER, Kind.FEEDBACK, Kind.ANNOUNCEMENT]


class Message(DistrictScopedModel):
    """Something to tell families: content per language, an audience, and when to send it."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        QUEUED = "queued", _("Queued")
        FANNING_OUT = "fanning_out", _("Preparing")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # {"type": "district|schools|classrooms|groups|roles|guardians", "ids": [...]}
    audience = models.JSONField(default=dict)
    # {"en": {"subject": "...", "body": "..."}, "es": {...}}: the family reads their language.
    content = models.JSONField(default=dict)
    default_language = models.CharField(max_length=8, default="en")
    channels = models.JSONField(default=list)
    is_urgent = models.BooleanField(default=False)
    is_required = models.BooleanField(
        default=False, help_text=_("Legally required: overrides preferences and quiet hours.")
    )
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    recipients_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    body_purged_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "kind": C.NONE,
        "author": C.IDENTITY,
        "audience": C.USAGE,
        "content": C.CONTENT,
        "default_language": C.NONE,
        "channels": C.NONE,
        "is_urgent": C.NONE,
        "is_required": C.NONE,
        "source_type": C.NONE,
        "source_id": C.NONE,
        "status": C.NONE,
        "scheduled_for": C.NONE,
        "recipients_count": C.NONE,
        "created_at": C.USAGE,
        "queued_at": C.USAGE,
        "fanned_out_at": C.USAGE,
        "body_purged_at": C.NONE,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "school", "-created_at"]),
            models.Index(fields=["status", "scheduled_for"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id}"

    def text_for(self, language: str) -> dict:
        """{"subject", "body"} in `language`, falling back to the message's default language."""
        return self.content.get(language) or self.content.get(self.default_language) or {}


class Delivery(DistrictScopedModel):
    """One recipient on one channel. Its status only moves forward (STATUS_RANK)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")
        HELD = "held", _("Held for digest")
        DIGESTED = "digested", _("Sent in a digest")
        SUPPRESSED = "suppressed", _("Not sent: opted out or unreachable")
        CANCELLED = "cancelled", _("Cancelled")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # The address as it was when sent: what the message log keeps for compliance (TCPA).
    address = models.CharField(max_length=254)
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    status_rank = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a send task for this row was last queued; the sweeper re-queues rows whose task was
    # lost (broker outage) once this is old or empty.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=255, blank=True)
    digest = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "message": C.NONE,
        "recipient": C.IDENTITY,
        "channel": C.NONE,
        "address": C.CONTACT,
        "language": C.PREFERENCE,
        "status": C.USAGE,
        "status_rank": C.NONE,
        "not_before": C.NONE,
        "attempts": C.NONE,
        "enqueued_at": C.NONE,
        "claimed_at": C.NONE,
        "provider": C.NONE,
        "provider_message_id": C.NONE,
        "error_code": C.USAGE,
        "error_message": C.USAGE,
        "digest": C.NONE,
        "created_at": C.USAGE,
        "sent_at": C.USAGE,
        "updated_at": C.USAGE,
    }

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["district", "message", "status"]),
            models.Index(
                fields=["not_before"], condition=Q(status="pending"), name="delivery_due_idx"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="delivery_sending_idx"
            ),
            models.Index(fields=["provider_message_id"], name="delivery_provider_id_idx"),
            models.Index(fields=["recipient", "created_at"], name="delivery_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} for message {self.message_id}"


# A later event never moves a delivery back: 'sent' arriving after 'delivered' is ignored.
STATUS_RANK = {
    Delivery.Status.PENDING: 0,
    Delivery.Status.HELD: 0,
    Delivery.Status.SENDING: 1,
    Delivery.Status.SENT: 2,
    Delivery.Status.DELIVERED: 3,
    Delivery.Status.FAILED: 3,
    Delivery.Status.BOUNCED: 3,
    Delivery.Status.OPENED: 4,
    Delivery.Status.CLICKED: 5,
    Delivery.Status.DIGESTED: 6,
    Delivery.Status.SUPPRESSED: 6,
    Delivery.Status.CANCELLED: 6,
}


class Suppression(models.Model):
    """An address Engage must not send to: STOP, unsubscribe, bounce, spam report, invalid.

    Platform-wide on purpose: "stop texting me" holds for every school that shares the number.
    """

    class Reason(models.TextChoices):
        STOP = "stop", _("Asked to stop")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
        BOUNCE = "bounce", _("Bounced")
        SPAM = "spam", _("Reported as spam")
        INVALID = "invalid", _("Invalid address")
        BLOCKED = "blocked", _("Blocked by the carrier")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "channel": C.NONE,
        "address": C.CONTACT,
        "reason": C.PREFERENCE,
        "detail": C.USAGE,
        "created_at": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.address}: {self.reason}"


class NotificationPreference(models.Model):
    """A family's channels, per-kind delivery mode, quiet hours and daily cap.

    Per person rather than per tenant: one attention budget across every school and sibling.
    """

    class Channels(models.TextChoices):
        SMS = "sms", _("Text messages")
        EMAIL = "email", _("Email")
        BOTH = "both", _("Text messages and email")

    class Mode(models.TextChoices):
        INSTANT = "instant", _("As they happen")
        DIGEST = "digest", _("In a daily digest")
        OFF = "off", _("Off")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    channels = models.CharField(max_length=8, choices=Channels.choices, default=Channels.BOTH)
    modes = models.JSONField(default=dict, blank=True)  # {kind: mode}; missing = instant
    quiet_start = models.TimeField(default=datetime.time(20, 0))
    quiet_end = models.TimeField(default=datetime.time(7, 0))
    daily_cap = models.PositiveSmallIntegerField(default=3)
    marketing_opt_in = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "user": C.IDENTITY,
        "channels": C.PREFERENCE,
        "modes": C.PREFERENCE,
        "quiet_start": C.PREFERENCE,
        "quiet_end": C.PREFERENCE,
        "daily_cap": C.PREFERENCE,
        "marketing_opt_in": C.PREFERENCE,
        "updated_at": C.USAGE,
    }

    def __str__(self) -> str:
        return f"preferences of user {self.user_id}"

    def mode_for(self, kind: str) -> str:
        return self.modes.get(kind, self.Mode.INSTANT)


class DistrictMessagingSettings(DistrictScopedModel):
    """Per-district sender identity and throughput."""

    twilio_messaging_service_sid = models.CharField(max_length=64, blank=True)
    email_from_name = models.CharField(max_length=100, blank=True)
    email_reply_to = models.EmailField(blank=True)
    help_text = models.CharField(
        max_length=160, blank=True, help_text=_("Sent in reply to HELP: who to contact.")
    )
    sends_per_second = models.PositiveIntegerField(default=50)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "twilio_messaging_service_sid": C.NONE,
        "email_from_name": C.NONE,
        "email_reply_to": C.NONE,
        "help_text": C.NONE,
        "sends_per_second": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district"], name="messaging_settings_one_per_district")
        ]

    def __str__(self) -> str:
        return f"messaging settings of district {self.district_id}"


class ProcessedWebhookEvent(models.Model):
    """Provider event ids already applied: SendGrid repeats events, so each applies once."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    data_classification = {
        "id": C.NONE,
        "provider": C.NONE,
        "event_id": C.NONE,
        "created_at": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class OutboxEntry(models.Model):
    """One message as it would have been sent, readable by a person at /outbox/ and in the admin.

    This is the embedded mode's provider, not a tenant record: sign-in codes are written before
    any tenant is known, so the row is platform-level (TENANT_EXEMPT_MODELS).
    """

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    data_classification = {
        "id": C.NONE,
        "channel": C.NONE,
        "to": C.CONTACT,
        "subject": C.CONTENT,
        "body": C.CONTENT,
        "html_body": C.CONTENT,
        "headers": C.CONTACT,
        "reference": C.NONE,
        "created_at": C.USAGE,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "outbox entries"

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.subject or self.body[:40]}"
