"""Lifecycles of accounts and children: closure (R2), inactivity (R3), removal (R4), deletion
with restore (R1), and the timer handlers that end each clock.

Design. Every clock is a LifecycleTimer row (privacy.timers); these actions start, move or
cancel them, and the handlers below run when they fall due, each re-checking its condition
first, so a handler that runs twice, late, or after the situation changed (the family signed in,
a guardian re-linked the child) does the right thing or nothing. Deleting goes through the
archive (privacy.archive): out of the live tables at once, restorable until the window ends,
then purged with its files by the ARCHIVE_PURGE timer.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from guardians.models import Child, GuardianLink, Invite
from notifications.models import Channel, Delivery, Kind
from privacy.archive import archive_objects, purge_archive, purge_archives, restore_archive
from privacy.audit import Actor, record_audit_event
from privacy.models import Archive, LifecycleTimer
from privacy.policy import Policy
from privacy.queries import get_policy
from privacy.timers import cancel_timers, handles, set_timer
from tenants.models import District, Membership, Role, User

TimerKind = LifecycleTimer.Kind
OPEN_DELIVERY_STATES = [Delivery.Status.PENDING, Delivery.Status.HELD]


# --- Account closure (R2) ---------------------------------------------------------------------


@transaction.atomic
def do_close_account(
    user: User,
    *,
    district: District,
    actor: Actor,
    reason: str = "requested",
    now: datetime.datetime | None = None,
) -> LifecycleTimer:
    """Deactivate at once, stop every message, revoke invites and tokens, and hold the account
    for the district's closure hold before it is deleted for good (R2). Signing in stops at
    once: the deactivated row fails the session check on the next request."""
    now = now or timezone.now()
    user.is_active = False
    user.save(update_fields=["is_active"])  # the save signal bumps the cached user
    Delivery.objects.filter(recipient_id=user.id, status__in=OPEN_DELIVERY_STATES).update(
        status=Delivery.Status.CANCELLED, updated_at=now
    )
    Invite.objects.filter(
        guardian_id=user.id, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    _revoke_api_tokens(user)
    cancel_timers(subject=user, kinds=[TimerKind.INACTIVITY_NOTICE, TimerKind.INACTIVITY_CLOSURE])
    policy = get_policy(district.id)
    timer = set_timer(
        kind=TimerKind.ACCOUNT_DELETION,
        subject=user,
        due_at=policy.after("closure_hold_days", now),
        district_id=district.id,
    )
    record_audit_event(
        actor=actor,
        action="account.closed",
        target=user,
        district_id=district.id,
        metadata={"reason": reason, "delete_on": timer.due_at.date().isoformat()},
    )
    return timer


@transaction.atomic
def do_reopen_account(user: User, *, district: District, actor: Actor) -> None:
    """Undo a closure during its hold: the account signs in again and its clocks restart."""
    cancel_timers(subject=user, kinds=[TimerKind.ACCOUNT_DELETION])
    user.is_active = True
    user.save(update_fields=["is_active"])
    do_reset_inactivity_clock(user, now=timezone.now())
    record_audit_event(actor=actor, action="account.reopened", target=user, district_id=district.id)


@handles(TimerKind.ACCOUNT_DELETION)
def _delete_closed_account(timer: LifecycleTimer, now: datetime.datetime) -> str:
    # Locked: a reopening committed at this moment is seen, never deleted over.
    user = User.objects.select_for_update().filter(id=timer.subject_id).first()
    if user is None:
        return "gone"
    if user.is_active:
        return "reopened"
    archive = archive_objects(
        [user],
        kind=Archive.Kind.ACCOUNT,
        district_id=timer.district_id,
        school_id=None,
        restore_until=now,
        reason="closed account, hold ended",
    )
    purge_archive(archive, now=now)
    return "deleted"


def _revoke_api_tokens(user: User) -> None:
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user_id=user.id).delete()


# --- Deletion by an admin, restorable (R1) ----------------------------------------------------


@transaction.atomic
def do_delete_with_restore(
    subject, *, kind: str, district_id: int, school_id: int | None, actor: Actor, reason: str
) -> Archive:
    """Delete an account, a child or a submission (and what hangs off it) into the archive,
    restorable for the policy's restore window, then purged by a timer (R1)."""
    policy = get_policy(district_id, school_id)
    now = timezone.now()
    archive = archive_objects(
        [subject],
        kind=kind,
        district_id=district_id,
        school_id=school_id,
        restore_until=policy.after("restore_days", now),
        reason=reason,
        deleted_by=actor.user,
    )
    set_timer(
        kind=TimerKind.ARCHIVE_PURGE,
        subject=archive,
        due_at=archive.restore_until,
        district_id=district_id,
        school_id=school_id,
    )
    record_audit_event(
        actor=actor,
        action=f"{kind}.deleted",
        target=archive,
        district_id=district_id,
        school_id=school_id,
        metadata={"subject": archive.subject_id, "counts": archive.counts, "reason": reason},
    )
    return archive


@transaction.atomic
def do_restore(archive: Archive, *, actor: Actor) -> Archive:
    """Restore an archive exactly, within its window (RestoreError otherwise)."""
    restore_archive(archive, restored_by=actor.user)
    cancel_timers(subject=archive, kinds=[TimerKind.ARCHIVE_PURGE])
    record_audit_event(
        actor=actor,
        action=f"{archive.kind}.restored",
        target=archive,
        district_id=archive.district_id,
        school_id=archive.school_id,
        metadata={"subject": archive.subject_id},
    )
    return archive


def _purge_expired_archives(timers: list[LifecycleTimer], now: datetime.datetime) -> dict:
    """The archives of a claimed batch of due timers, purged together (privacy.archive)."""
    by_archive = {t.subject_id: t for t in timers}
    states = dict(Archive.objects.filter(id__in=by_archive).values_list("id", "state"))
    purge_archives([i for i, state in states.items() if state == Archive.State.ARCHIVED], now=now)
    return {
        timer.id: "purged" if states.get(timer.subject_id) == Archive.State.ARCHIVED else "skipped"
        for timer in timers
    }


@handles(TimerKind.ARCHIVE_PURGE, is_atomic=False, batch=_purge_expired_archives)
def _purge_expired_archive(timer: LifecycleTimer, now: datetime.datetime) -> str:
    return _purge_expired_archives([timer], now)[timer.id]


# --- Inactivity (R3) --------------------------------------------------------------------------


def family_only_users(district_id: int):
    """Signed-in-before guardians of the district who hold no staff role anywhere: the accounts
    inactivity closure applies to (a roster contact who never joined has no account to close;
    a teacher who is also a parent is kept by their school)."""
    staff = Membership.objects.filter(user_id=OuterRef("id"), is_active=True).exclude(
        role=Role.GUARDIAN
    )
    guardian = Membership.objects.filter(
        user_id=OuterRef("id"), district_id=district_id, is_active=True, role=Role.GUARDIAN
    )
    return User.objects.filter(Exists(guardian), ~Exists(staff), is_active=True).exclude(
        last_login__isnull=True
    )


def inactivity_due_dates(policy: Policy, last_seen: datetime.datetime):
    """(notice at, closure at) for an account last seen at `last_seen`."""
    closure = policy.after("inactivity_months", last_seen)
    notice = closure - datetime.timedelta(days=policy.inactivity_notice_days)
    return notice, closure


def do_reset_inactivity_clock(user: User, *, now: datetime.datetime) -> None:
    """A sign-in (or a reopened account) restarts the person's inactivity clock: the notice and
    the closure move to `now` + the window. An account is one clock, kept in the person's first
    family district (by id) and timed by that district's policy."""
    district_id = (
        Membership.objects.filter(user_id=user.id, role=Role.GUARDIAN, is_active=True)
        .order_by("district_id")
        .values_list("district_id", flat=True)
        .first()
    )
    if district_id is None or not family_only_users(district_id).filter(id=user.id).exists():
        return
    notice, closure = inactivity_due_dates(get_policy(district_id), now)
    set_timer(
        kind=TimerKind.INACTIVITY_NOTICE, subject=user, due_at=notice, district_id=district_id
    )
    set_timer(
        kind=TimerKind.INACTIVITY_CLOSURE, subject=user, due_at=closure, district_id=district_id
    )


def schedule_inactivity_timers(district_id: int, *, now: datetime.datetime) -> int:
    """Start the clocks of family accounts that have none yet (existing accounts, imports):
    from their last sign-in. Returns how many accounts got clocks."""
    policy = get_policy(district_id)
    has_timer = LifecycleTimer.objects.filter(
        subject_type="tenants.user",
        subject_id=OuterRef("id"),
        kind=TimerKind.INACTIVITY_CLOSURE,
        state__in=[LifecycleTimer.State.PENDING, LifecycleTimer.State.RUNNING],
    )
    users = (
        family_only_users(district_id).filter(~Exists(has_timer)).values_list("id", "last_login")
    )
    timers = []
    for user_id, last_login in users.iterator(chunk_size=2000):
        notice, closure = inactivity_due_dates(policy, last_login)
        for kind, due_at in (
            (TimerKind.INACTIVITY_NOTICE, notice),
            (TimerKind.INACTIVITY_CLOSURE, closure),
        ):
            timers.append(
                LifecycleTimer(
                    district_id=district_id,
                    kind=kind,
                    subject_type="tenants.user",
                    subject_id=user_id,
                    due_at=due_at,
                )
            )
    LifecycleTimer.objects.bulk_create(timers, batch_size=2000, ignore_conflicts=True)
    return len(timers) // 2


def _still_inactive(timer: LifecycleTimer, now: datetime.datetime) -> User | None:
    """The timer's user if their clock really ran out by the timer's own due date; else None
    (they signed in since, and their sign-in moved the clock)."""
    user = family_only_users(timer.district_id).filter(id=timer.subject_id).first()
    if user is None:
        return None
    policy = get_policy(timer.district_id)
    notice, closure = inactivity_due_dates(policy, user.last_login)
    due = notice if timer.kind == TimerKind.INACTIVITY_NOTICE else closure
    return user if due <= now else None


@handles(TimerKind.INACTIVITY_NOTICE)
def _send_inactivity_notice(timer: LifecycleTimer, now: datetime.datetime) -> str:
    user = _still_inactive(timer, now)
    if user is None:
        return "skipped"
    district = District.objects.get(id=timer.district_id)
    _notice, closure = inactivity_due_dates(get_policy(district.id), user.last_login)
    do_send_privacy_notice(
        user,
        district=district,
        subject=_("Your Engage account will close on %(date)s"),
        body=_(
            "You have not signed in to Engage for a long time. If you do not sign in, your "
            "account closes on %(date)s and is deleted later. To keep it, sign in at %(url)s."
        ),
        values={"date": closure, "url": settings.PUBLIC_BASE_URL + "/"},
        source=("inactivity_notice", user.id),
    )
    return "notified"


@handles(TimerKind.INACTIVITY_CLOSURE)
def _close_inactive_account(timer: LifecycleTimer, now: datetime.datetime) -> str:
    user = _still_inactive(timer, now)
    if user is None:
        return "skipped"
    district = District.objects.get(id=timer.district_id)
    do_close_account(user, district=district, actor=Actor.system(), reason="inactive", now=now)
    return "closed"


def do_send_privacy_notice(
    user: User, *, district: District, subject: str, body: str, values: dict, source: tuple
) -> None:
    """A required message to one person, in each language, by their channels (stops only for
    STOP or a hard bounce). `subject` and `body` are gettext'd templates of `values`; dates
    are formatted in each language."""
    from notifications.actions import do_queue_message

    content = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            shown = {
                k: formats.date_format(v, "DATE_FORMAT") if isinstance(v, datetime.datetime) else v
                for k, v in values.items()
            }
            content[language] = {"subject": _(subject) % shown, "body": _(body) % shown}
    do_queue_message(
        district,
        kind=Kind.PRIVACY_NOTICE,
        audience={"type": "people", "ids": [user.id]},
        content=content,
        channels=[Channel.SMS, Channel.EMAIL],
        is_required=True,
        source=source,
        default_language=user.preferred_language or district.default_language,
        actor=Actor.system(),
    )


# --- Children removed by the school and by every guardian (R4) --------------------------------


def children_removed_by_both(district_id: int):
    """Children the school removed (roster or admin) who no longer have an active guardian."""
    active_link = GuardianLink.objects.filter(child_id=OuterRef("id"), is_active=True)
    return Child.objects.filter(district_id=district_id, removed_at__isnull=False).filter(
        ~Exists(active_link)
    )


def schedule_child_deletions(district_id: int, *, now: datetime.datetime) -> dict:
    """Start the deletion clock of each child now removed by both sides (from the later of the
    school's removal and today, when the last guardian's removal was seen), and stop the clock
    of children a guardian or the school took back. Returns {"started": n, "stopped": n}."""
    policies: dict[int, Policy] = {}  # each school's window (a school may tighten)
    open_timer = LifecycleTimer.objects.filter(
        kind=TimerKind.CHILD_DELETION,
        subject_type="guardians.child",
        subject_id=OuterRef("id"),
        state=LifecycleTimer.State.PENDING,
    )
    started = 0
    rows = children_removed_by_both(district_id).filter(~Exists(open_timer))
    for child_id, school_id, removed_at in rows.values_list("id", "school_id", "removed_at"):
        # Links keep no removal time: a child who had guardians counts from when this daily
        # scan first saw the last one gone (never earlier than the school's removal).
        start = max(removed_at, now) if _has_had_guardians(child_id) else removed_at
        if school_id not in policies:
            policies[school_id] = get_policy(district_id, school_id)
        set_timer(
            kind=TimerKind.CHILD_DELETION,
            subject=("guardians.child", child_id),
            due_at=policies[school_id].after("removed_child_days", start),
            district_id=district_id,
            school_id=school_id,
        )
        started += 1
    taken_back = LifecycleTimer.objects.filter(
        district_id=district_id, kind=TimerKind.CHILD_DELETION, state=LifecycleTimer.State.PENDING
    ).exclude(subject_id__in=children_removed_by_both(district_id).values("id"))
    stopped = taken_back.update(state=LifecycleTimer.State.CANCELLED, done_at=now)
    return {"started": started, "stopped": stopped}


def _has_had_guardians(child_id: int) -> bool:
    return GuardianLink.objects.filter(child_id=child_id).exists()


@handles(TimerKind.CHILD_DELETION)
def _delete_removed_child(timer: LifecycleTimer, now: datetime.datetime) -> str:
    child = children_removed_by_both(timer.district_id).filter(id=timer.subject_id).first()
    if child is None:
        return "skipped"
    archive = archive_objects(
        [child],
        kind=Archive.Kind.CHILD,
        district_id=child.district_id,
        school_id=child.school_id,
        restore_until=now,
        reason="removed by the school and every guardian",
    )
    purge_archive(archive, now=now)
    return "deleted"
