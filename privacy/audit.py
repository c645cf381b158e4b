"""Writing audit events. Callers are actions, inside their own transaction."""

from dataclasses import dataclass

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
    # Behind the production proxy, REMOTE_ADDR is the proxy; gunicorn's forwarded_allow_ips and
    # the proxy's X-Forwarded-For are set up in docs/DEPLOY.md.
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
