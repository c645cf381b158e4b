"""Sending one SMS outside the announcement engine (sign-in codes)."""

from notifications.providers import get_sms_provider


def send_sms(*, to: str, body: str) -> str:
    """Send `body` to the E.164 number `to` now; returns the provider's message id."""
    return get_sms_provider().send_sms(to=to, body=body)
