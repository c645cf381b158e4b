"""Writes for families joining: join codes, join requests and their approval, the join profile.

A join code lets a family the roster missed ask to join a classroom; staff approve each request
(linking the family to a roster child, or adding the child) or decline it. Every write is audited.
"""

import datetime
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guardians.actions.family import do_create_child, do_enroll_child, do_link_guardian
from guardians.actions.invites import do_mark_contact_verified
from guardians.models import Child, GuardianProfile, JoinCode, JoinRequest
from guardians.queries.joining import JOIN_CODE_ALPHABET, list_children_in_scope
from notifications.actions import do_queue_message
from notifications.models import Channel, Kind
from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError, do_create_user
from tenants.models import Classroom, District, User
from tenants.scope import Scope

JOIN_CODE_LENGTH = 8


@transaction.atomic
def do_create_join_code(scope: Scope, classroom: Classroom, *, actor: Actor) -> JoinCode:
    """A new classroom join code (`classroom` from access_classroom), valid ENGAGE_JOIN_CODE_DAYS."""
    now = timezone.now()
    join_code = JoinCode.objects.create(
        district_id=classroom.district_id,
        school_id=classroom.school_id,
        classroom=classroom,
        code="".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH)),
        created_by=scope.user,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.ENGAGE_JOIN_CODE_DAYS),
    )
    record_audit_event(
        actor=actor,
        action="join_code.created",
        target=join_code,
        metadata={"classroom_id": classroom.id},
    )
    return join_code


@transaction.atomic
def do_revoke_join_code(join_code: JoinCode, *, actor: Actor) -> JoinCode:
    """Stop a join code working (`join_code` from access_join_code)."""
    if join_code.revoked_at is None:
        join_code.revoked_at = timezone.now()
        join_code.save(update_fields=["revoked_at"])
        record_audit_event(actor=actor, action="join_code.revoked", target=join_code)
    return join_code


def do_get_or_create_requester(
    *, channel: str, address: str, first_name: str, last_name: str, language: str, actor: Actor
) -> tuple[User, bool]:
    """(the person who holds `address`, just proven by a code; whether they are new). A new
    person is created with the address verified. Two confirmations of one new address at once
    create one account (the second finds the first's)."""
    lookup = {"phone": address} if channel == Channel.SMS else {"email__iexact": address}
    user = User.objects.filter(**lookup).first()
    is_new = user is None
    if is_new:
        try:
            with transaction.atomic():
                user = do_create_user(
                    email=address if channel == Channel.EMAIL else None,
                    phone=address if channel == Channel.SMS else None,
                    first_name=first_name,
                    last_name=last_name,
                    preferred_language=language,
                    actor=actor,
                )
        except IntegrityError:
            user, is_new = User.objects.get(**lookup), False
    if not user.is_active:
        raise ActionError(_("This account is closed. Please contact the school."))
    do_mark_contact_verified(user, channel=channel, actor=actor)
    return user, is_new


@transaction.atomic
def do_record_registration_attempt(
    district: District, *, is_matched: bool, channel: str, actor: Actor
) -> None:
    """Audit a self-registration attempt (whether it matched; never what was typed)."""
    record_audit_event(
        actor=actor,
        action="join.registration_attempted",
        target=district,
        metadata={"matched": is_matched, "channel": channel},
    )


@transaction.atomic
def do_confirm_self_registration(
    guardian: User, district: District, *, channel: str, actor: Actor
) -> None:
    """The registered parent confirmed the roster contact by code."""
    do_mark_contact_verified(guardian, channel=channel, actor=actor)
    record_audit_event(
        actor=actor, action="join.registered", target=guardian, district_id=district.id
    )


@transaction.atomic
def do_request_to_join(
    join_code: JoinCode,
    *,
    requester: User,
    child_first_name: str,
    child_last_name: str,
    child_birth_date: datetime.date | None,
    relationship: str,
    actor: Actor,
) -> JoinRequest:
    """Ask to join the code's classroom for a child; a repeat of a pending request returns it."""
    pending = JoinRequest.objects.filter(
        district_id=join_code.district_id,
        classroom_id=join_code.classroom_id,
        requester=requester,
        child_first_name__iexact=child_first_name,
        child_last_name__iexact=child_last_name,
        status=JoinRequest.Status.PENDING,
    ).first()
    if pending is not None:
        return pending
    join_request = JoinRequest.objects.create(
        district_id=join_code.district_id,
        school_id=join_code.school_id,
        classroom_id=join_code.classroom_id,
        join_code=join_code,
        requester=requester,
        child_first_name=child_first_name,
        child_last_name=child_last_name,
        child_birth_date=child_birth_date,
        relationship=relationship,
    )
    record_audit_event(
        actor=actor,
        action="join_request.created",
        target=join_request,
        metadata={"classroom_id": join_code.classroom_id, "requester_id": requester.id},
    )
    return join_request


@transaction.atomic
def do_approve_join_request(
    scope: Scope, join_request: JoinRequest, *, child: Child | None, actor: Actor
) -> JoinRequest:
    """Link the requester to `child` (a roster child of the classroom's school), or to a new
    child added to the classroom when `child` is None; then tell the family."""
    join_request = _lock_pending(join_request)
    classroom = join_request.classroom
    if child is None:
        child = do_create_child(
            classroom.school,
            first_name=join_request.child_first_name,
            last_name=join_request.child_last_name,
            grade_level=classroom.grade_level,
            birth_date=join_request.child_birth_date,
            actor=actor,
        )
    elif not (
        list_children_in_scope(scope).filter(id=child.id, school_id=classroom.school_id).exists()
    ):
        raise ActionError(_("That child is not one of yours to link."))
    do_enroll_child(child, classroom, actor=actor)
    do_link_guardian(
        child, join_request.requester, relationship=join_request.relationship, actor=actor
    )
    join_request.child = child
    _decide(join_request, JoinRequest.Status.APPROVED, scope, actor)
    _tell_requester(scope, join_request)
    return join_request


@transaction.atomic
def do_decline_join_request(scope: Scope, join_request: JoinRequest, *, actor: Actor):
    """Decline a request (nothing is linked; the family is not told why)."""
    join_request = _lock_pending(join_request)
    _decide(join_request, JoinRequest.Status.REJECTED, scope, actor)
    return join_request


def _lock_pending(join_request: JoinRequest) -> JoinRequest:
    locked = (
        JoinRequest.objects.select_for_update(of=("self",))
        .select_related("classroom__school", "requester")
        .get(id=join_request.id)
    )
    if locked.status != JoinRequest.Status.PENDING:
        raise ActionError(_("This request has already been decided."))
    return locked


def _decide(join_request: JoinRequest, status: str, scope: Scope, actor: Actor) -> None:
    join_request.status = status
    join_request.decided_by = scope.user
    join_request.decided_at = timezone.now()
    join_request.save(update_fields=["status", "child", "decided_by", "decided_at"])
    record_audit_event(
        actor=actor,
        action=f"join_request.{status}",
        target=join_request,
        metadata={"child_id": join_request.child_id, "requester_id": join_request.requester_id},
    )


def _tell_requester(scope: Scope, join_request: JoinRequest) -> None:
    requester = join_request.requester
    channels = [
        c for c, a in ((Channel.SMS, requester.phone), (Channel.EMAIL, requester.email)) if a
    ]
    if not channels:
        return
    where = f"{join_request.classroom.name}, {join_request.school.name}"
    content = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            content[language] = {
                "subject": _("You are now connected to %(where)s") % {"where": where},
                "body": _(
                    "You are now connected to %(where)s on Engage. Sign in at %(url)s to see "
                    "your child's class."
                )
                % {"where": where, "url": settings.PUBLIC_BASE_URL + "/"},
            }
    do_queue_message(
        scope.district,
        kind=Kind.INVITE,
        audience={"type": "guardians", "ids": [requester.id]},
        content=content,
        channels=channels,
        school=join_request.school,
        author=scope.user,
        source=("join_request", join_request.id),
        default_language=requester.preferred_language or "en",
        actor=Actor.system(),
    )


@transaction.atomic
def do_save_join_profile(
    user: User, district: District, *, values: dict, is_skipped: bool, actor: Actor
) -> GuardianProfile:
    """The optional profile a guardian gives when joining; every field may stay empty (C1)."""
    try:
        with transaction.atomic():
            profile, _created = GuardianProfile.objects.get_or_create(
                district=district, guardian=user
            )
    except IntegrityError:  # a double submit created it meanwhile
        profile = GuardianProfile.objects.get(district=district, guardian=user)
    if not is_skipped:
        profile.relationship = values.get("relationship") or ""
        profile.children_grades = values.get("children_grades") or ""
        profile.children_at_school = values.get("children_at_school")
        profile.ethnicity = values.get("ethnicity") or ""
    profile.is_skipped = is_skipped
    profile.updated_at = timezone.now()
    profile.save()
    record_audit_event(
        actor=actor,
        action="guardian.profile_saved",
        target=profile,
        metadata={
            "skipped": is_skipped,
            "fields": [] if is_skipped else sorted(k for k, v in values.items() if v),
        },
    )
    return profile
