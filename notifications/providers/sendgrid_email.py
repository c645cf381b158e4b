"""SendGrid email through the official `sendgrid` client.

Per-district from name and reply-to (DistrictMessagingSettings). Every email carries our
reference in `custom_args`, which SendGrid echoes in its events and lets the Email Activity API
find after a crash. SENDGRID_API_BASE_URL points the client at a local fake server in tests.
"""

import datetime
import email.utils
import json

from django.conf import settings
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, Email, Header, Mail, ReplyTo

from notifications.providers.base import (
    OutgoingMessage,
    PermanentProviderError,
    Provider,
    TransientProviderError,
)

REFERENCE_ARG = "engage_ref"


def _client() -> SendGridAPIClient:
    kwargs = {"host": settings.SENDGRID_API_BASE_URL} if settings.SENDGRID_API_BASE_URL else {}
    client = SendGridAPIClient(settings.SENDGRID_API_KEY, **kwargs)
    client.client.timeout = 10
    return client


def _from_address(from_name: str) -> Email:
    name, address = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)
    return Email(address, from_name or name or None)


class SendGridEmailProvider(Provider):
    name = "sendgrid"
    thread_safe = True

    def __init__(self):
        self.client = _client()

    def _mail(self, message: OutgoingMessage) -> Mail:
        mail = Mail(
            from_email=_from_address(message.sender.from_name),
            to_emails=message.to,
            subject=message.subject,
            plain_text_content=message.body,
            html_content=message.html_body or None,
        )
        if message.sender.reply_to:
            mail.reply_to = ReplyTo(message.sender.reply_to)
        for name, value in message.headers.items():
            mail.add_header(Header(name, value))
        if message.reference:
            mail.add_custom_arg(CustomArg(REFERENCE_ARG, message.reference))
        return mail

    def send(self, message: OutgoingMessage) -> str:
        try:
            response = self.client.send(self._mail(message))
        except HTTPError as error:
            status = getattr(error, "status_code", 0) or 0
            if status == 429 or status >= 500:
                raise TransientProviderError(f"sendgrid {status}", code=str(status)) from error
            raise PermanentProviderError(
                f"sendgrid {status}", code=str(status), suppress_reason="invalid"
            ) from error
        except OSError as error:  # connection refused, timeouts (urllib)
            raise TransientProviderError(f"network: {error.__class__.__name__}") from error
        return response.headers.get("X-Message-Id", "") or message.reference

    def find_sent(self, message: OutgoingMessage, since: datetime.datetime) -> str | None:
        query = f'unique_args["{REFERENCE_ARG}"]="{message.reference}"'
        try:
            response = self.client.client.messages.get(query_params={"query": query, "limit": 1})
        except (HTTPError, OSError) as error:
            raise TransientProviderError("lookup failed") from error
        found = json.loads(response.body or b"{}").get("messages") or []
        return found[0].get("msg_id") if found else None

    def send_email(self, *, to: str, subject: str, body: str, html_body: str = "", headers=None):
        return self.send(
            OutgoingMessage(
                reference="",
                channel="email",
                to=to,
                subject=subject,
                body=body,
                html_body=html_body,
                headers=headers or {},
            )
        )
