"""A family completes an activity for a child: answers, a short text, photos, a rating.

One submission per child and activity (a unique constraint, and the row locked while it is
changed), editable by the family until the teacher approves it; a returned submission goes back
to the teacher when the family sends it again. Everything is checked before anything is written:
a bad photo, a closed activity, a child the school removed (PROMISES R4) or an over-long text
change nothing. The first submission counts towards the child's progress and badges
(actions.progress) in the same transaction, and both the submission and the site activity log
are written there too.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import dashboards.actions as dashboards
from activities import media
from activities.actions.events import log_event
from activities.actions.progress import record_completion
from activities.models import (
    MAX_COMMENT_CHARS,
    MAX_PHOTOS,
    MAX_TEXT_CHARS,
    Activity,
    ActivityEvent,
    Question,
    Submission,
)
from activities.queries.family import is_open
from engage import versioned_cache
from guardians.models import Child
from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.cache_keys import child_work_dependency
from tenants.scope import Scope

MAX_SHORT_ANSWER_CHARS = 500


class SubmissionError(ActionError):
    """A submission that cannot be accepted; `field` names the form field, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def do_submit(
    scope: Scope,
    child: Child,
    activity: Activity,
    *,
    text: str = "",
    answers: dict | None = None,
    rating: int | None = None,
    comment: str = "",
    photos=(),
    removed_photo_ids=(),
    actor: Actor,
) -> Submission:
    """Create or update the child's submission. `child` and `activity` come from
    access_child_activity(scope, ...). Raises SubmissionError (nothing written) when it cannot be
    accepted."""
    photos = list(photos)
    text, comment = (text or "").strip(), (comment or "").strip()
    _check_child(child)
    _check_fields(activity, text, rating, comment)
    questions = list(activity.questions.all())
    clean_answers = _clean_answers(questions, answers or {})
    try:
        with transaction.atomic():
            return _save(
                scope,
                child,
                activity,
                text,
                clean_answers,
                questions,
                rating,
                comment,
                photos,
                set(removed_photo_ids),
                actor,
            )
    except IntegrityError:
        # A concurrent first submission for this child won the race: update that one instead.
        with transaction.atomic():
            return _save(
                scope,
                child,
                activity,
                text,
                clean_answers,
                questions,
                rating,
                comment,
                photos,
                set(removed_photo_ids),
                actor,
            )


def _check_child(child: Child) -> None:
    """A child the school removed keeps their past work for the family (PROMISES R4), but
    nothing new is sent for them."""
    if not child.is_active:
        raise SubmissionError(
            _("%(name)s is no longer at %(school)s, so nothing new can be sent for them.")
            % {"name": child.preferred_name or child.first_name, "school": child.school.name}
        )


def _check_fields(activity: Activity, text: str, rating, comment: str) -> None:
    if not is_open(activity):
        raise SubmissionError(_("This activity is closed."))
    if len(text) > MAX_TEXT_CHARS:
        raise SubmissionError(
            _("Write at most %(max)d characters.") % {"max": MAX_TEXT_CHARS}, "text"
        )
    if len(comment) > MAX_COMMENT_CHARS:
        raise SubmissionError(
            _("Write at most %(max)d characters.") % {"max": MAX_COMMENT_CHARS}, "comment"
        )
    if rating is not None and rating not in range(1, 6):
        raise SubmissionError(_("Choose a rating from 1 to 5."), "rating")


def _clean_answers(questions: list[Question], answers: dict) -> dict:
    """{question id (str): choice index or short answer}; every question needs an answer."""
    clean = {}
    for question in questions:
        value = answers.get(str(question.id), answers.get(question.id))
        if value in (None, ""):
            raise SubmissionError(_("Answer every question."), f"q{question.id}")
        if question.kind == Question.Kind.CHOICE:
            try:
                index = int(value)
            except (TypeError, ValueError):
                index = -1
            if index not in range(len(question.choices)):
                raise SubmissionError(_("Choose one of the answers."), f"q{question.id}")
            clean[str(question.id)] = index
        else:
            value = str(value).strip()
            if len(value) > MAX_SHORT_ANSWER_CHARS:
                raise SubmissionError(
                    _("Write at most %(max)d characters.") % {"max": MAX_SHORT_ANSWER_CHARS},
                    f"q{question.id}",
                )
            clean[str(question.id)] = value
    return clean


def _score(questions: list[Question], answers: dict) -> tuple[int | None, int | None]:
    scored = [
        q for q in questions if q.kind == Question.Kind.CHOICE and q.correct_choice is not None
    ]
    if not scored:
        return None, None
    right = sum(1 for q in scored if answers.get(str(q.id)) == q.correct_choice)
    return right, len(scored)


def _save(
    scope, child, activity, text, answers, questions, rating, comment, photos, removed, actor
) -> Submission:
    submission = (
        Submission.objects.select_for_update()
        .filter(district_id=child.district_id, activity_id=activity.id, child_id=child.id)
        .first()
    )
    kept = [] if submission is None else [p for p in submission.photos.all() if p.id not in removed]
    if submission is not None and submission.status == Submission.Status.APPROVED:
        raise SubmissionError(_("The teacher has already reviewed this; it can no longer change."))
    media.check_photo_uploads(photos, already=len(kept))
    _check_response(activity, text, len(kept) + len(photos))
    score, max_score = _score(questions, answers)
    now = timezone.now()
    values = {
        "text": text,
        "answers": answers,
        "score": score,
        "max_score": max_score,
        "rating": rating,
        "comment": comment,
        "guardian": scope.user,
        "updated_at": now,
    }
    is_new = submission is None
    if is_new:
        submission = Submission.objects.create(
            district_id=child.district_id,
            school_id=child.school_id,
            activity=activity,
            child=child,
            classroom_id=_classroom_for(activity, child),
            submitted_at=now,
            **values,
        )
    else:
        for name, value in values.items():
            setattr(submission, name, value)
        submission.status = Submission.Status.SUBMITTED
        submission.save()
        for photo in submission.photos.all():
            if photo.id in removed:
                media.do_remove_submission_photo(photo)
    if photos:
        start = max((p.position for p in kept), default=-1) + 1
        media.do_add_submission_photos(submission, photos, start_position=start)
    versioned_cache.bump(child_work_dependency(child.id))  # their home lists what is left to do
    log_event(
        ActivityEvent.Kind.SUBMITTED if is_new else ActivityEvent.Kind.EDITED,
        district_id=child.district_id,
        school_id=child.school_id,
        classroom_id=submission.classroom_id,
        activity_id=activity.id,
        child_id=child.id,
        actor=actor,
    )
    if is_new:
        # Last: the school's dashboard counters are rows every submission of the school locks,
        # so they are held from here to the commit only.
        timezone_name = child.school.timezone or scope.district.timezone
        record_completion(submission, activity, child, timezone_name=timezone_name)
        dashboards.record_completion(
            submission,
            child,
            timezone_name=timezone_name,
            default_language=scope.district.default_language,
        )
    return submission


def _check_response(activity: Activity, text: str, photo_count: int) -> None:
    """What an at-home task asks for must be there."""
    needed = activity.response
    if needed in (Activity.Response.PHOTO, Activity.Response.BOTH) and photo_count == 0:
        raise SubmissionError(_("Add a photo."), "photos")
    if needed in (Activity.Response.TEXT, Activity.Response.BOTH) and not text:
        raise SubmissionError(_("Write a few words."), "text")
    if photo_count > MAX_PHOTOS:
        raise SubmissionError(_("You can send up to %(max)d photos.") % {"max": MAX_PHOTOS})


def _classroom_for(activity: Activity, child: Child) -> int | None:
    """The child's current classroom the activity is aimed at (else their first current one).

    Uses what access_child_activity loaded (the child's current enrollments, the activity's
    targets) when it is there."""
    prefetched = getattr(child, "current_enrollments", None)
    if prefetched is None:
        prefetched = child.enrollments.filter(
            is_active=True, classroom__school_year__is_current=True
        )
    enrollments = sorted(e.classroom_id for e in prefetched)
    targeted = {t.classroom_id for t in activity.targets.all()}
    chosen = next((c for c in enrollments if c in targeted), None)
    return chosen or (enrollments[0] if enrollments else None)
