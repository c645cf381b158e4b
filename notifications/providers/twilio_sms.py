"""Twilio SMS through the official `twilio` client.

Each district may have its own Messaging Service (DistrictMessagingSettings), falling back to the
platform's (TWILIO_MESSAGING_SERVICE_SID). TWILIO_API_BASE_URL points the client at a local fake
server in tests; in production it is unset.
"""

import datetime
import logging

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from notifications.providers.base import (
    OutgoingMessage,
    PermanentProviderError,
    Provider,
    TransientProviderError,
)

logger = logging.getLogger(__name__)

TWILIO_HOST = "https://api.twilio.com"
# https://www.twilio.com/docs/api/errors
TRANSIENT_CODES = {20429, 20500, 20503, 30001, 30008}
SUPPRESS_CODES = {
    21610: "stop",  # the recipient replied STOP: unsubscribed
    21211: "invalid",  # invalid 'To' number
    21614: "invalid",  # not a mobile number
    30003: "invalid",  # unreachable handset
    30005: "invalid",  # unknown destination
    30006: "invalid",  # landline or unreachable carrier
    30004: "blocked",  # message blocked
    30007: "blocked",  # carrier filtered
}


class _BaseUrlHttpClient(TwilioHttpClient):
    """Sends the client's requests to TWILIO_API_BASE_URL instead of api.twilio.com."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_HOST):
            url = self.base_url + url[len(TWILIO_HOST) :]
        return super().request(method, url, *args, **kwargs)


def _client() -> Client:
    http_client = (
        _BaseUrlHttpClient(settings.TWILIO_API_BASE_URL, timeout=10)
        if settings.TWILIO_API_BASE_URL
        else TwilioHttpClient(timeout=10)
    )
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)


def classify_twilio_error(error: TwilioRestException) -> Exception:
    code = int(error.code or 0)
    if error.status == 429 or error.status >= 500 or code in TRANSIENT_CODES:
        return TransientProviderError(str(error.msg), code=str(code or error.status))
    return PermanentProviderError(
        str(error.msg), code=str(code or error.status), suppress_reason=SUPPRESS_CODES.get(code, "")
    )


class TwilioSmsProvider(Provider):
    name = "twilio"
    thread_safe = True

    def __init__(self):
        self.client = _client()

    def send(self, message: OutgoingMessage) -> str:
        service = message.sender.messaging_service_sid or settings.TWILIO_MESSAGING_SERVICE_SID
        try:
            sent = self.client.messages.create(
                to=message.to,
                body=message.body,
                messaging_service_sid=service,
                status_callback=f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status/",
            )
        except TwilioRestException as error:
            raise classify_twilio_error(error) from error
        except (requests.RequestException, TwilioException) as error:
            raise TransientProviderError(f"network: {error.__class__.__name__}") from error
        return sent.sid

    def find_sent(self, message: OutgoingMessage, since: datetime.datetime) -> str | None:
        """Look for a message to the same number with the same body since the claim."""
        try:
            recent = self.client.messages.list(to=message.to, date_sent_after=since, limit=50)
        except (TwilioRestException, requests.RequestException, TwilioException) as error:
            raise TransientProviderError("lookup failed") from error
        return next((m.sid for m in recent if m.body == message.body), None)

    def send_sms(self, *, to: str, body: str) -> str:
        return self.send(OutgoingMessage(reference="", channel="sms", to=to, body=body))


def is_valid_webhook(url: str, params: dict, signature: str) -> bool:
    """Whether X-Twilio-Signature `signature` signs `params` posted to `url`."""
    if not settings.TWILIO_AUTH_TOKEN:
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)


def twiml_reply(text: str | None) -> str:
    """The TwiML answer to an inbound text: `text` as a reply, or nothing."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
