"""The provider interface: one outgoing message in, a provider message id out."""

import datetime
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Sender:
    """Who a district's messages come from."""

    messaging_service_sid: str = ""
    from_name: str = ""
    reply_to: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    # Our own reference ("d<delivery id>"): lets a provider be asked later whether it has it.
    reference: str
    channel: str
    to: str
    body: str
    subject: str = ""
    html_body: str = ""
    headers: dict = field(default_factory=dict)
    sender: Sender = field(default_factory=Sender)
    # Per-recipient values of tokens in body / html_body (the unsubscribe link): a provider that
    # sends a batch in one call (SendGrid personalizations) fills them in per recipient.
    substitutions: dict = field(default_factory=dict)

    def resolved(self) -> "OutgoingMessage":
        """The same message with its tokens replaced (for one-at-a-time providers)."""
        body, html = self.body, self.html_body
        for token, value in self.substitutions.items():
            body, html = body.replace(token, value), html.replace(token, value)
        return replace(self, body=body, html_body=html, substitutions={})


class ProviderError(Exception):
    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class TransientProviderError(ProviderError):
    """Try again later: throttling (HTTP 429, Twilio 20429), 5xx, timeouts."""


class PermanentProviderError(ProviderError):
    """Never retry. `suppress_reason` says whether the address itself is unusable."""

    def __init__(self, message: str, *, code: str = "", suppress_reason: str = ""):
        super().__init__(message, code=code)
        self.suppress_reason = suppress_reason


class Provider:
    name = "base"
    # Whether send() may run in several threads at once (no database work inside).
    thread_safe = False

    def send(self, message: OutgoingMessage) -> str:
        """Hand the message to the provider; returns its message id."""
        raise NotImplementedError

    def send_many(
        self, messages: list[OutgoingMessage]
    ) -> list[tuple[str | None, Exception | None]]:
        """Send several; (provider id, None) or (None, error) for each, in order."""
        results = []
        for message in messages:
            try:
                results.append((self.send(message), None))
            except ProviderError as error:
                results.append((None, error))
        return results

    batches = False  # True when send_many makes fewer calls than messages

    def find_sent(self, message: OutgoingMessage, since: datetime.datetime) -> str | None:
        """The provider's id for `message` if it already accepted it (crash recovery)."""
        raise NotImplementedError
