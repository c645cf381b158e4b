"""Django's email backend for Engage: all mail Django sends goes through our providers."""

from django.core.mail.backends.base import BaseEmailBackend

from notifications.providers import get_email_provider


class EngageEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        provider = get_email_provider()
        sent = 0
        for message in email_messages:
            html_body = ""
            for content, mimetype in getattr(message, "alternatives", []) or []:
                if mimetype == "text/html":
                    html_body = content
            for recipient in message.recipients():
                provider.send_email(
                    to=recipient,
                    subject=message.subject,
                    body=message.body,
                    html_body=html_body,
                    headers=dict(message.extra_headers or {}),
                )
            sent += 1
        return sent
