"""Rate limits of Engage's own endpoints, beside allauth's sign-in limits (ACCOUNT_RATE_LIMITS).

They use allauth's limiter, so they share its cache (Redis in production), its client-address
rules (TRUSTED_PROXY_COUNT) and its sliding windows. Sign-in, sign-in codes, joining codes and
self-registration are limited in settings (ACCOUNT_RATE_LIMITS); these are the rest:

- invites cost an SMS or an email each: a staff member sends at most `invite_send` batches an
  hour, and one family's invite is resent at most `invite_resend` times a day (a family is never
  flooded, whoever clicks);
- provider webhooks are verified by signature; an address that keeps sending unsigned or badly
  signed requests is answered 429 without the signature being checked again. Signed requests
  are never limited: a district-wide send brings thousands of genuine callbacks a minute.
"""

from functools import wraps

from allauth.core.internal import ratelimit as _allauth_ratelimit
from django.http import HttpResponse

RATES = {
    "invite_send": "30/h/user",
    "invite_resend": "3/d/key",
    "webhook_bad_signature": "20/m/ip",
}


def consume(request, action: str, *, key: str | None = None, dry_run: bool = False) -> bool:
    """Take one use of `action` (RATES) for this request; False once it is spent."""
    usage = _allauth_ratelimit.consume(
        request=request,
        app="engage",
        action=action,
        config=RATES,
        key=key,
        dry_run=dry_run,
        limit_get=True,
    )
    return usage is not None


def limit_bad_signatures(view):
    """A webhook view answering 403 to a bad signature: each 403 uses the address's budget, and
    once it is spent the view is not run (429)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not consume(request, "webhook_bad_signature", dry_run=True):
            return HttpResponse("too many bad signatures", status=429)
        response = view(request, *args, **kwargs)
        if response.status_code == 403:
            consume(request, "webhook_bad_signature")
        return response

    return wrapped
