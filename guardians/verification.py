"""One-time codes that confirm a contact while a family joins (invite, self-registration, join code).

What: a six-digit code sent by SMS or email to one address, kept (hashed) in the visitor's
session with an expiry and an attempt budget. Why: an invite link can be forwarded and a form
can be filled in by anyone; the code proves the person holds the phone or mailbox. Safe by
construction: the code is never stored in clear; each pending code allows MAX_ATTEMPTS guesses,
counted atomically in the cache (parallel guesses cannot share one count); it expires after
settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT; sending is rate-limited per address and per IP, in the
joining budget and in allauth's sign-in-code budget both, so joining is never a cheaper way to
get codes than signing in. The code is sent by a worker whether or not anything matched (a
no-op then), so the reply takes as long either way and a provider error is never a 500. The
caller decides the address: never one a visitor typed unless it is on the roster, or the
visitor's own for a join-code request (they are asking to be added, not to see anything).
"""

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import asdict, dataclass

from allauth.core import ratelimit
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.sms import send_sms

logger = logging.getLogger(__name__)

SESSION_KEY = "engage_join_code"
MAX_ATTEMPTS = 3  # as allauth's sign-in codes (ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS)


@dataclass
class PendingCode:
    purpose: str  # "invite", "register", "join_code"
    subject: str  # what the code unlocks: an invite id, a matched user id, a join request
    channel: str  # "sms" or "email"
    address: str
    code_hash: str
    expires_at: float
    nonce: str  # names this code's attempt counter in the cache


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
    """Consume one send from the joining and the sign-in-code budgets (per IP and per address);
    False when one is spent."""
    key = address.lower()
    return ratelimit.consume(request, action="join_send_code", key=key) and ratelimit.consume(
        request, action="request_login_code", key=key
    )


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
        nonce=secrets.token_urlsafe(16),
    )
    request.session[SESSION_KEY] = asdict(pending)
    from guardians import tasks

    try:
        # Both branches queue a task: a visitor cannot tell a match by how long the reply takes.
        tasks.send_join_code.delay(channel, address, code if address else "", language)
    except Exception:  # broker down: the visitor asks for a new code
        logger.warning("join.code.enqueue_failed", extra={"channel": channel})
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
    if time.time() > pending.expires_at or _spend_attempt(pending) > MAX_ATTEMPTS:
        request.session.pop(SESSION_KEY, None)
        return None
    typed = "".join(ch for ch in code if ch.isdigit())
    if pending.address and hmac.compare_digest(_hash(typed, pending.address), pending.code_hash):
        request.session.pop(SESSION_KEY, None)
        cache.set(_attempts_key(pending), MAX_ATTEMPTS + 1, settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT)
        return pending
    return None


def _attempts_key(pending: PendingCode) -> str:
    return f"join-code-attempts:{pending.nonce}"


def _spend_attempt(pending: PendingCode) -> int:
    """Count one guess (atomically, in the cache) and return how many were made."""
    key = _attempts_key(pending)
    cache.add(key, 0, settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        return MAX_ATTEMPTS + 1


def attempts_left(pending: PendingCode | None) -> int:
    if pending is None:
        return 0
    return max(0, MAX_ATTEMPTS - (cache.get(_attempts_key(pending)) or 0))


def send_code(channel: str, address: str, code: str, language: str) -> None:
    """Send one code (the task's body); provider errors are logged, never raised to a page."""
    from notifications.providers.base import ProviderError

    if not address:
        return
    try:
        _send(channel, address, code, language)
    except ProviderError as error:
        logger.warning("join.code.failed", extra={"channel": channel, "code": error.code})


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
