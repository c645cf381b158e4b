"""One-time codes that confirm a contact while a family joins (invite, self-registration, join code).

What: a six-digit code sent by SMS or email to one address, kept (hashed) in the visitor's
session with an expiry and an attempt budget. Why: an invite link can be forwarded and a form
can be filled in by anyone; the code proves the person holds the phone or mailbox. Safe by
construction: the code is never stored in clear, each pending code allows MAX_ATTEMPTS guesses,
expires after settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT, and sending is rate-limited per address and
per IP (allauth's rate limiter, settings.ACCOUNT_RATE_LIMITS["join_send_code"]). The caller
decides the address: never one a visitor typed unless it is on the roster, or the visitor's own
for a join-code request (they are asking to be added, not to see anything).
"""

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import asdict, dataclass

from allauth.core import ratelimit
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.sms import send_sms

logger = logging.getLogger(__name__)

SESSION_KEY = "engage_join_code"
MAX_ATTEMPTS = 5


@dataclass
class PendingCode:
    purpose: str  # "invite", "register", "join_code"
    subject: str  # what the code unlocks: an invite id, a matched user id, a join request
    channel: str  # "sms" or "email"
    address: str
    code_hash: str
    expires_at: float
    attempts: int = 0


def _hash(code: str, address: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"join-code:{address}:{code}".encode(), hashlib.sha256).hexdigest()


def mask_address(channel: str, address: str) -> str:
    """What the page may show of the address the code went to: the last digits, or u•••@domain."""
    if channel == "sms":
        return f"•••• {address[-4:]}"
    local, _at, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"


def is_send_allowed(request, address: str) -> bool:
    """Consume one send from the per-IP and per-address budgets; False when either is spent."""
    return ratelimit.consume(request, action="join_send_code", key=address.lower())


def start(request, *, purpose: str, subject: str, channel: str, address: str, language: str):
    """Send a new code to `address` and remember it in the session (replacing any earlier one).

    `address` may be empty (nothing matched): the session then holds a code nobody received, so
    the visitor sees exactly what a matched visitor sees and every guess fails.
    """
    code = f"{secrets.randbelow(10**6):06d}"
    pending = PendingCode(
        purpose=purpose,
        subject=subject,
        channel=channel,
        address=address,
        code_hash=_hash(code, address),
        expires_at=time.time() + settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT,
    )
    request.session[SESSION_KEY] = asdict(pending)
    if address:
        _send(channel, address, code, language)
    return pending


def get_pending(request, purpose: str) -> PendingCode | None:
    data = request.session.get(SESSION_KEY)
    if not data or data.get("purpose") != purpose:
        return None
    return PendingCode(**data)


def check(request, purpose: str, code: str) -> PendingCode | None:
    """The pending code's details when `code` is right (the code is then used up), else None.

    A wrong guess spends one attempt; after MAX_ATTEMPTS, or past the expiry, the pending code
    is dropped and the visitor must ask for a new one.
    """
    pending = get_pending(request, purpose)
    if pending is None:
        return None
    if time.time() > pending.expires_at or pending.attempts >= MAX_ATTEMPTS:
        request.session.pop(SESSION_KEY, None)
        return None
    typed = "".join(ch for ch in code if ch.isdigit())
    if pending.address and hmac.compare_digest(_hash(typed, pending.address), pending.code_hash):
        request.session.pop(SESSION_KEY, None)
        return pending
    pending.attempts += 1
    request.session[SESSION_KEY] = asdict(pending)
    return None


def attempts_left(pending: PendingCode | None) -> int:
    return 0 if pending is None else max(0, MAX_ATTEMPTS - pending.attempts)


def _send(channel: str, address: str, code: str, language: str) -> None:
    minutes = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60
    with translation.override(language):
        body = _("Your Engage code is %(code)s. It expires in %(minutes)s minutes.") % {
            "code": code,
            "minutes": minutes,
        }
        subject = _("Your Engage code")
    if channel == "sms":
        send_sms(to=address, body=body)
    else:
        send_mail(subject, body, None, [address])
    logger.info("join.code.sent", extra={"channel": channel})
