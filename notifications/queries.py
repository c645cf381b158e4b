"""Reads of the local outbox."""

from django.db.models import QuerySet

from notifications.models import OutboxEntry


def list_outbox_entries(*, to: str | None = None, limit: int = 100) -> QuerySet[OutboxEntry]:
    """The newest local-outbox messages (platform-level: for operators and the embedded demo)."""
    entries = OutboxEntry.objects.all()
    if to:
        entries = entries.filter(to__iexact=to)
    return entries[:limit]
