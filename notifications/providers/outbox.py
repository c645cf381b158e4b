"""The local outbox provider: writes each message to `OutboxEntry` instead of sending it."""

from notifications.models import OutboxEntry


class OutboxProvider:
    name = "outbox"

    def send_email(self, *, to: str, subject: str, body: str, html_body: str = "", headers=None):
        entry = OutboxEntry.objects.create(
            channel=OutboxEntry.Channel.EMAIL,
            to=to,
            subject=subject,
            body=body,
            html_body=html_body,
            headers=headers or {},
        )
        return f"outbox-{entry.id}"

    def send_sms(self, *, to: str, body: str):
        entry = OutboxEntry.objects.create(channel=OutboxEntry.Channel.SMS, to=to, body=body)
        return f"outbox-{entry.id}"
