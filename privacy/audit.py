"""Writing audit events. Callers are actions, inside their own transaction."""

from dataclasses import dataclass

from django.conf import settings
from django.db import models

from privacy.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting, and from where: passed by views to every action that changes data."""

    user: object | None
    ip: str | None = None

    @classmethod
    def from_request(cls, request) -> "Actor":
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, ip=client_ip(request))

    @classmethod
    def system(cls) -> "Actor":
        return cls(user=None, ip=None)


def client_ip(request) -> str | None:
    """The client's address: behind N trusted proxies (ALLAUTH_TRUSTED_PROXY_COUNT, from
    TRUSTED_PROXY_COUNT), the Nth address from the right of X-Forwarded-For, as allauth's rate
    limits use it; otherwise REMOTE_ADDR."""
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded = [
        a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
    ]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def record_audit_event(
    *,
    actor: Actor,
    action: str,
    target: models.Model,
    district_id: int | None = None,
    school_id: int | None = None,
    metadata: dict | None = None,
) -> AuditEvent:
    """Write one audit event; the tenant columns default to the target's own (no query)."""
    label = target._meta.label_lower
    if district_id is None:
        district_id = (
            target.pk if label == "tenants.district" else getattr(target, "district_id", None)
        )
    if school_id is None:
        school_id = target.pk if label == "tenants.school" else getattr(target, "school_id", None)
    return AuditEvent.objects.create(
        actor=actor.user,
        district_id=district_id,
        school_id=school_id,
        action=action,
        target_type=label,
        target_id=str(target.pk),
        ip_address=actor.ip,
        metadata=metadata or {},
    )
