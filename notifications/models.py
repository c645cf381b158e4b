"""The local outbox: where SMS and email land when no provider is configured."""

from django.db import models
from django.utils import timezone

from privacy.classification import Category as C


class OutboxEntry(models.Model):
    """One message as it would have been sent, readable by a person at /outbox/ and in the admin.

    This is the embedded mode's provider, not a tenant record: sign-in codes are written before
    any tenant is known, so the row is platform-level (TENANT_EXEMPT_MODELS).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    data_classification = {
        "id": C.NONE,
        "channel": C.NONE,
        "to": C.CONTACT,
        "subject": C.CONTENT,
        "body": C.CONTENT,
        "html_body": C.CONTENT,
        "headers": C.CONTACT,
        "created_at": C.USAGE,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "outbox entries"

    def __str__(self) -> str:
        return f"{self.channel} to {self.to}: {self.subject or self.body[:40]}"
