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
from sendgrid.helpers.eventwebhook import EventWebhook
from sendgrid.helpers.mail import (
    CustomArg,
    Email,
    Header,
    Mail,
    Personalization,
    ReplyTo,
    Substitution,
)

from notifications.providers.base import (
    OutgoingMessage,
    PermanentProviderError,
    Provider,
    TransientProviderError,
)

REFERENCE_ARG = "engage_ref"
# SendGrid accepts up to 1,000 personalizations in one call.
PERSONALIZATIONS = 500


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
    batches = True

    def __init__(self):
        self.client = _client()

    def _mail(self, messages: list[OutgoingMessage]) -> Mail:
        """One API call for messages that differ only in recipient, headers and substitutions."""
        first = messages[0]
        mail = Mail(
            from_email=_from_address(first.sender.from_name),
            subject=first.subject,
            plain_text_content=first.body,
            html_content=first.html_body or None,
        )
        if first.sender.reply_to:
            mail.reply_to = ReplyTo(first.sender.reply_to)
        for message in messages:
            personalization = Personalization()
            personalization.add_to(Email(message.to))
            for name, value in message.headers.items():
                personalization.add_header(Header(name, value))
            for token, value in message.substitutions.items():
                personalization.add_substitution(Substitution(token, value))
            if message.reference:
                personalization.add_custom_arg(CustomArg(REFERENCE_ARG, message.reference))
            mail.add_personalization(personalization)
        return mail

    def _post(self, messages: list[OutgoingMessage]) -> str:
        try:
            response = self.client.send(self._mail(messages))
        except HTTPError as error:
            status = getattr(error, "status_code", 0) or 0
            if status == 429 or status >= 500:
                raise TransientProviderError(f"sendgrid {status}", code=str(status)) from error
            raise PermanentProviderError(
                f"sendgrid {status}", code=str(status), suppress_reason="invalid"
            ) from error
        except OSError as error:  # connection refused, timeouts (urllib)
            raise TransientProviderError(f"network: {error.__class__.__name__}") from error
        return response.headers.get("X-Message-Id", "") or messages[0].reference

    def send(self, message: OutgoingMessage) -> str:
        return self._post([message])

    def send_many(self, messages):
        """Messages alike but for their recipient go in one call (up to PERSONALIZATIONS).

        A permanent error on a batch is retried one by one, so one bad address fails alone."""
        results: dict[int, tuple] = {}
        groups: dict[tuple, list[int]] = {}
        for index, message in enumerate(messages):
            key = (message.subject, message.body, message.html_body, message.sender)
            groups.setdefault(key, []).append(index)
        for indexes in groups.values():
            for start in range(0, len(indexes), PERSONALIZATIONS):
                chunk = indexes[start : start + PERSONALIZATIONS]
                try:
                    provider_id = self._post([messages[i] for i in chunk])
                    results.update(dict.fromkeys(chunk, (provider_id, None)))
                except TransientProviderError as error:
                    results.update(dict.fromkeys(chunk, (None, error)))
                except PermanentProviderError:
                    for i in chunk:
                        results[i] = super().send_many([messages[i]])[0]
        return [results[i] for i in range(len(messages))]

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


def is_valid_event_signature(payload: str, signature: str, timestamp: str) -> bool:
    """SendGrid's ECDSA signature of an event webhook request (SENDGRID_WEBHOOK_PUBLIC_KEY)."""
    key = settings.SENDGRID_WEBHOOK_PUBLIC_KEY
    if not key:
        return False
    try:
        return EventWebhook(key).verify_signature(payload, signature, timestamp)
    except ValueError:
        return False
