"""Signed tokens for invite links.

An invite's token is the invite id signed with the secret key (HMAC-SHA256), so it can be
re-derived when a message is rendered and never has to be stored: the database keeps only its
SHA-256 (`Invite.token_hash`), and a copy of the database alone cannot accept an invite. Expiry
and single use are the invite row's own (`expires_at`, `accepted_at`, `revoked_at`).
"""

import hashlib

from django.conf import settings
from django.core import signing
from django.urls import reverse

INVITE_SALT = "guardians.invite"
_signer = signing.Signer(salt=INVITE_SALT, sep=".")


def invite_token(invite_id: int) -> str:
    return _signer.sign(str(invite_id))


def invite_id_from_token(token: str) -> int | None:
    """The invite id a genuine token names; None for a forged or mangled one."""
    try:
        value = _signer.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_url(invite_id: int) -> str:
    path = reverse("join:invite", args=[invite_token(invite_id)])
    return f"{settings.PUBLIC_BASE_URL}{path}"
