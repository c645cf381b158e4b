"""Teachers review submissions: approve, or return with feedback; award a teacher's badge.

A decision locks the submission row (select_for_update) and is refused unless the submission is
still waiting for review, so two reviewers deciding at once, or a decision racing the family's
edit, leave exactly one outcome. Each decision writes the site activity log (ActivityEvent) and an
audit event in its transaction, and queues one FEEDBACK message to the child's guardians who have
access (PROMISES V6), in each one's language: the Message row commits with the decision and the
notifications engine fans it out after commit, so a rolled-back decision tells nobody.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from activities.actions.events import log_event
from activities.models import ActivityEvent, BadgeAward, Submission
from guardians.models import GuardianLink
from notifications.actions import do_queue_message
from notifications.models import Channel, Kind
from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError
from tenants.scope import Scope

MAX_FEEDBACK_CHARS = 2000
MAX_BADGE_LABEL_CHARS = 80
MAX_OPEN_REASON_CHARS = 500


class ReviewError(ActionError):
    """A decision that cannot be taken; nothing was written."""


class AlreadyReviewedError(ReviewError):
    """Someone decided first (the API answers 409)."""


def do_approve_submission(
    scope: Scope, submission: Submission, *, feedback: str = "", badge_label: str = "", actor: Actor
) -> Submission:
    """Approve a waiting submission (`submission` from access_submission with a reviewing
    scope), with optional feedback and a teacher's badge; the family is told, once."""
    return _decide(scope, submission, Submission.Status.APPROVED, feedback, badge_label, actor)


def do_return_submission(
    scope: Scope, submission: Submission, *, feedback: str, badge_label: str = "", actor: Actor
) -> Submission:
    """Send a waiting submission back to the family with feedback (required); they may change
    it and send it again."""
    if not (feedback or "").strip():
        raise ReviewError(_("Write a few words of feedback so the family knows what to change."))
    return _decide(scope, submission, Submission.Status.RETURNED, feedback, badge_label, actor)


@transaction.atomic
def _decide(scope, submission, status: str, feedback: str, badge_label: str, actor) -> Submission:
    feedback = _clean(feedback, MAX_FEEDBACK_CHARS)
    badge_label = _clean(badge_label, MAX_BADGE_LABEL_CHARS)
    locked = _lock(submission)
    if locked.status != Submission.Status.SUBMITTED:
        raise AlreadyReviewedError(_("This submission has already been reviewed."))
    locked.status = status
    locked.feedback = feedback
    locked.reviewed_by = scope.user
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["status", "feedback", "reviewed_by", "reviewed_at"])
    approved = status == Submission.Status.APPROVED
    _log(locked, ActivityEvent.Kind.APPROVED if approved else ActivityEvent.Kind.RETURNED, actor)
    record_audit_event(
        actor=actor,
        action="submission.approved" if approved else "submission.returned",
        target=locked,
        metadata={"child_id": locked.child_id, "has_feedback": bool(feedback)},
    )
    if badge_label:
        _award(scope, locked, badge_label, actor)
    news = Notice(what="approved" if approved else "returned", feedback=feedback, badge=badge_label)
    _notify_family(scope, locked, news, actor)
    return locked


@transaction.atomic
def do_award_badge(scope: Scope, submission: Submission, *, label: str, actor: Actor) -> BadgeAward:
    """A teacher's badge for the child of `submission` (any status), naming what it is for."""
    label = _clean(label, MAX_BADGE_LABEL_CHARS)
    if not label:
        raise ReviewError(_("Say what the badge is for."))
    award = _award(scope, submission, label, actor)
    _notify_family(scope, submission, Notice(what="badge", badge=label), actor)
    return award


def _award(scope: Scope, submission: Submission, label: str, actor: Actor) -> BadgeAward:
    award = BadgeAward.objects.create(
        district_id=submission.district_id,
        school_id=submission.school_id,
        child_id=submission.child_id,
        kind=BadgeAward.Kind.TEACHER,
        submission=submission,
        label=label,
        awarded_by=scope.user,
    )
    _log(submission, ActivityEvent.Kind.BADGE, actor)
    record_audit_event(
        actor=actor,
        action="badge.awarded",
        target=award,
        metadata={"child_id": submission.child_id, "submission_id": submission.id},
    )
    return award


def _clean(text: str, limit: int) -> str:
    text = (text or "").strip()
    if len(text) > limit:
        raise ReviewError(_("Write at most %(max)d characters.") % {"max": limit})
    return text


def _lock(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("activity", "child")
        .get(id=submission.id, district_id=submission.district_id)
    )


def _log(submission: Submission, kind: str, actor: Actor) -> None:
    log_event(
        kind,
        district_id=submission.district_id,
        school_id=submission.school_id,
        classroom_id=submission.classroom_id,
        activity_id=submission.activity_id,
        child_id=submission.child_id,
        actor=actor,
    )


@dataclass(frozen=True)
class Notice:
    """What the family is told: "approved", "returned" or "badge", with the teacher's words."""

    what: str
    feedback: str = ""
    badge: str = ""


def _notify_family(scope: Scope, submission: Submission, notice: Notice, actor: Actor) -> None:
    """One FEEDBACK message to the child's guardians with access, in each one's language."""
    guardians = list(
        GuardianLink.objects.filter(
            district_id=submission.district_id,
            child_id=submission.child_id,
            is_active=True,
            has_access=True,
            guardian__is_active=True,
        ).values_list("guardian_id", "guardian__preferred_language")
    )
    if not guardians:
        return
    default = scope.district.default_language or "en"
    languages = {default} | {language or "en" for _id, language in guardians}
    do_queue_message(
        scope.district,
        kind=Kind.FEEDBACK,
        audience={"type": "guardians", "ids": sorted({g for g, _language in guardians})},
        content={lang: _notice_text(scope, submission, notice, lang) for lang in languages},
        channels=[Channel.SMS, Channel.EMAIL],
        school=submission.school,
        author=scope.user,
        source=("submission", submission.id),
        default_language=default,
        actor=actor,
    )


def _notice_text(scope: Scope, submission: Submission, notice: Notice, lang: str) -> dict:
    child = submission.child
    with translation.override(lang):
        names = {
            "child": child.preferred_name or child.first_name,
            "activity": submission.activity.text_for(lang)["title"],
            "teacher": scope.user.get_full_name() or _("The teacher"),
            "label": notice.badge,
        }
        if notice.what == "approved":
            subject = _("%(child)s's work was approved") % names
            lines = [_("%(teacher)s approved %(child)s's “%(activity)s”.") % names]
        elif notice.what == "returned":
            subject = _("%(child)s's work needs another look") % names
            lines = [
                _("%(teacher)s sent back %(child)s's “%(activity)s” with feedback.") % names
                + " "
                + _("You can change it and send it again.")
            ]
        else:
            subject = _("%(child)s earned a badge") % names
            lines = []
        if notice.feedback:
            lines.append(notice.feedback)
        if notice.badge:
            lines.append(_("%(teacher)s gave %(child)s a badge: %(label)s") % names)
        link = f"{settings.PUBLIC_BASE_URL}/family/"
        lines.append(_("See it on Engage: %(url)s") % {"url": link})
    return {"subject": subject, "body": "\n\n".join(lines)}


@transaction.atomic
def do_open_school(scope: Scope, school, *, reason: str, actor: Actor) -> None:
    """A district admin opens one school's submissions for a while, for a stated reason (kept
    in the audit trail). `school` comes from the scope's schools; the caller remembers the
    opening (the session, for a limited time)."""
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise ReviewError(_("Say why you need to see this school's submissions."))
    if len(reason) > MAX_OPEN_REASON_CHARS:
        raise ReviewError(_("Write at most %(max)d characters.") % {"max": MAX_OPEN_REASON_CHARS})
    record_audit_event(
        actor=actor,
        action="school.opened",
        target=school,
        metadata={"reason": reason},
    )
