"""Inviting guardians to join, and accepting an invite.

What: an Invite row per guardian plus one notifications Message (kind "invite") addressed to that
guardian alone, in their language, by SMS and/or email. The message body holds a placeholder for
the link; notifications.rendering fills it in per delivery from the invite id (guardians.tokens),
so the link itself is never stored. Why: families hear from school through the same engine that
tracks delivery, honours STOP and bounces, and survives outages. Safe to re-run: inviting again
revokes the guardian's open invite first (a resend), so at most one link works at a time, and a
guardian who already joined is skipped.
"""

import datetime
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from dashboards.actions import schedule_family_refresh
from guardians.models import GuardianLink, Invite
from guardians.tokens import invite_token, token_hash
from notifications.actions import do_queue_message
from notifications.models import Channel, Kind
from notifications.rendering import INVITE_LINK_TOKEN
from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError
from tenants.models import School, User
from tenants.scope import Scope

INVITE_SOURCE = "invite"


@dataclass
class InviteResult:
    sent: list[Invite] = field(default_factory=list)
    already_joined: list[User] = field(default_factory=list)
    unreachable: list[User] = field(default_factory=list)


def invite_expiry_days() -> int:
    return settings.ENGAGE_INVITE_EXPIRY_DAYS


@transaction.atomic
def do_invite_guardians(
    scope: Scope,
    guardians: list[User],
    *,
    channels: list[str],
    joined_ids: set[int],
    actor: Actor,
) -> InviteResult:
    """Invite (or re-invite) each guardian; `guardians` must come from a scoped query.

    `joined_ids` are guardians who already joined (guardians.queries.list_joined_guardian_ids):
    they are skipped. A guardian with no address on the chosen channels is reported, not invited.
    """
    if not channels or set(channels) - set(Channel.values):
        raise ActionError(_("Choose text messages, email, or both."))
    result = InviteResult()
    schools = _schools_of(scope, guardians)
    for guardian in guardians:
        if guardian.id in joined_ids:
            result.already_joined.append(guardian)
            continue
        reachable = [c for c in channels if _address(guardian, c)]
        if not reachable:
            result.unreachable.append(guardian)
            continue
        school = scope.school or schools.get(guardian.id)
        result.sent.append(_invite_one(scope, guardian, school, reachable, actor))
    schedule_family_refresh(g.id for g in guardians)  # the dashboards' families invited
    return result


def _address(user: User, channel: str) -> str | None:
    return user.phone if channel == Channel.SMS else user.email


def _schools_of(scope: Scope, guardians: list[User]) -> dict[int, School]:
    """For a district-wide invite: one school of each guardian's children, to name it."""
    if scope.school is not None:
        return {}
    links = (
        GuardianLink.objects.filter(
            district_id=scope.district.id,
            guardian_id__in=[g.id for g in guardians],
            is_active=True,
        )
        .select_related("child__school")
        .order_by("child__school__name")
    )
    schools: dict[int, School] = {}
    for link in links:
        schools.setdefault(link.guardian_id, link.child.school)
    return schools


def _invite_one(
    scope: Scope, guardian: User, school: School | None, channels: list[str], actor: Actor
) -> Invite:
    now = timezone.now()
    revoked = _revoke_open_invites(guardian, scope.district.id, now)
    expires_at = now + datetime.timedelta(days=invite_expiry_days())
    invite = Invite.objects.create(
        district_id=scope.district.id,
        guardian=guardian,
        school=school,
        token_hash=secrets.token_hex(32),  # replaced below, once the id is known
        channel=channels[0] if len(channels) == 1 else "",
        created_by=scope.user,
        created_at=now,
        expires_at=expires_at,
    )
    invite.token_hash = token_hash(invite_token(invite.id))
    where = school.name if school else scope.district.name
    invite.message = do_queue_message(
        scope.district,
        kind=Kind.INVITE,
        audience={"type": "guardians", "ids": [guardian.id]},
        content=invite_content(where, expires_at, school_timezone=scope.timezone),
        channels=channels,
        school=school,
        author=scope.user,
        source=(INVITE_SOURCE, invite.id),
        default_language=guardian.preferred_language or "en",
        actor=actor,
    )
    invite.save(update_fields=["token_hash", "message"])
    record_audit_event(
        actor=actor,
        action="invite.resent" if revoked else "invite.sent",
        target=invite,
        school_id=school.id if school else None,
        metadata={"guardian_id": guardian.id, "channels": channels},
    )
    return invite


def _revoke_open_invites(guardian: User, district_id: int, now) -> int:
    return Invite.objects.filter(
        district_id=district_id,
        guardian=guardian,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)


def invite_content(where: str, expires_at, *, school_timezone: str) -> dict:
    """The invite's text in every language; the link is a placeholder filled in per delivery."""
    content = {}
    with timezone.override(school_timezone):
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                until = formats.date_format(timezone.localtime(expires_at), "DATE_FORMAT")
                content[language] = {
                    "subject": _("%(school)s invites you to Engage") % {"school": where},
                    "body": _(
                        "%(school)s invites you to Engage, where you will see your child's class "
                        "activities and messages from school. Join here: %(link)s (the link "
                        "works once, until %(date)s)."
                    )
                    % {"school": where, "link": INVITE_LINK_TOKEN, "date": until},
                }
    return content


@transaction.atomic
def do_accept_invite(invite: Invite, *, channel: str, actor: Actor) -> User:
    """The guardian confirmed the invite's contact by code: the invite is used up, the contact
    is verified (a roster import will not overwrite it), and any other open invite is revoked."""
    now = timezone.now()
    locked = Invite.objects.select_for_update().get(id=invite.id)
    has_access = GuardianLink.objects.filter(
        district_id=locked.district_id,
        guardian_id=locked.guardian_id,
        is_active=True,
        has_access=True,
    ).exists()
    if locked.accepted_at or locked.revoked_at or locked.expires_at <= now or not has_access:
        raise ActionError(_("This invitation has already been used or has expired."))
    locked.accepted_at = now
    locked.save(update_fields=["accepted_at"])
    Invite.objects.filter(
        district_id=locked.district_id,
        guardian_id=locked.guardian_id,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).update(revoked_at=now)
    guardian = locked.guardian
    do_mark_contact_verified(guardian, channel=channel, actor=actor)
    record_audit_event(
        actor=actor,
        action="invite.accepted",
        target=locked,
        school_id=locked.school_id,
        metadata={"guardian_id": guardian.id, "channel": channel},
    )
    schedule_family_refresh([guardian.id])  # the dashboards' families connected
    return guardian


@transaction.atomic
def do_mark_contact_verified(user: User, *, channel: str, actor: Actor) -> None:
    """The person proved they hold their phone or mailbox (by a one-time code)."""
    field_name = "phone_verified" if channel == Channel.SMS else "email_verified"
    if not getattr(user, field_name):
        setattr(user, field_name, True)
        user.save(update_fields=[field_name])
        record_audit_event(
            actor=actor,
            action="user.contact_verified",
            target=user,
            district_id=None,
            metadata={"channel": channel},
        )
