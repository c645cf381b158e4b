"""The local outbox provider: writes each message to `OutboxEntry` instead of sending it."""

from notifications.models import Channel, OutboxEntry
from notifications.providers.base import OutgoingMessage, Provider


class OutboxProvider(Provider):
    name = "outbox"

    def send(self, message: OutgoingMessage) -> str:
        message = message.resolved()
        entry = OutboxEntry.objects.create(
            channel=message.channel,
            to=message.to,
            subject=message.subject,
            body=message.body,
            html_body=message.html_body,
            headers=message.headers,
            reference=message.reference,
        )
        return f"outbox-{entry.id}"

    def find_sent(self, message: OutgoingMessage, since) -> str | None:
        entry = OutboxEntry.objects.filter(reference=message.reference).first()
        return f"outbox-{entry.id}" if entry else None

    # Direct sends outside the delivery engine (Django's mail, sign-in codes).
    def send_email(self, *, to: str, subject: str, body: str, html_body: str = "", headers=None):
        return self.send(
            OutgoingMessage(
                reference="",
                channel=Channel.EMAIL,
                to=to,
                subject=subject,
                body=body,
                html_body=html_body,
                headers=headers or {},
            )
        )

    def send_sms(self, *, to: str, body: str):
        return self.send(OutgoingMessage(reference="", channel=Channel.SMS, to=to, body=body))
