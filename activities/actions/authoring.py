"""Teachers author activities: create and edit with targets and questions, schedule, publish, close.

Targets are checked against the author's scope (a teacher may aim only at their classrooms, groups
and grade levels of their school, a school admin at their school, a district admin writes library
templates), and the tenant columns are copied from the scope, never from the request. What a
family will see is made safe here, once, for every caller (pages, API, library copies): rich
text is sanitised by an allow-list (activities.sanitize) and a video link is reduced to a
provider and an id (activities.video); titles and instructions stay plain text, escaped by the
pages that show them.

Publishing (now, or by the beat task once `publish_at` has come) queues the families' message in
the same transaction as the status change (activities.notify), so a publish that rolls back tells
nobody and one that commits tells everyone reached, once.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities import notify
from activities.actions.events import log_event
from activities.attachments import ATTACHMENT_KINDS, do_set_activity_attachment
from activities.media import AttachmentRejected
from activities.models import Activity, ActivityEvent, ActivityTarget, Question
from activities.sanitize import MAX_BODY_CHARS, sanitize_rich_text
from activities.video import VideoLinkError, parse_video_url
from dashboards.actions import record_publication
from engage import versioned_cache
from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError
from tenants.cache_keys import school_activities_dependency
from tenants.models import Classroom, Group, School
from tenants.scope import Scope

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
MAX_INSTRUCTIONS_CHARS = 5000
MAX_POINTS = 1000
MAX_QUESTIONS = 50
MAX_CHOICES = 6
TRANSLATED_ACTIVITY_KEYS = ("title", "instructions")


class AuthoringError(ActionError):
    """A refused value; `field` names the form or API field it belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TargetSpec:
    """One target, as the author chose it (objects already looked up inside the scope)."""

    classroom: Classroom | None = None
    group: Group | None = None
    school: School | None = None
    grade_level: str = ""

    def key(self) -> tuple:
        school = self.school or (self.classroom.school if self.classroom else None)
        return (
            self.classroom.id if self.classroom else None,
            self.group.id if self.group else None,
            school.id if school else None,
            self.grade_level,
        )


@dataclass(frozen=True)
class QuestionSpec:
    prompt: str
    kind: str = Question.Kind.CHOICE
    choices: tuple[str, ...] = ()
    correct_choice: int | None = None
    # {"es": {"prompt": "...", "choices": ["...", ...]}}
    translations: dict | None = None


@dataclass(frozen=True)
class _Content:
    """An activity's family-facing content, checked and made safe."""

    title: str
    instructions: str
    translations: dict
    points: int
    response: str
    due_at: datetime.datetime | None
    is_answer_revealed: bool
    video_provider: str
    video_id: str
    body_html: str

    def fields(self) -> dict:
        return dict(vars(self))


# --- create and edit ---------------------------------------------------------------------------


@transaction.atomic
def do_create_activity(
    scope: Scope,
    *,
    kind: str,
    title: str,
    instructions: str = "",
    targets: list[TargetSpec] = (),
    questions: list[QuestionSpec] = (),
    points: int = 10,
    response: str = Activity.Response.OPTIONAL,
    due_at=None,
    translations: dict | None = None,
    is_template: bool = False,
    is_answer_revealed: bool = False,
    video_url: str = "",
    body_html: str = "",
    attachment=None,
    template: Activity | None = None,
    actor: Actor,
) -> Activity:
    """A draft activity of the scope's school (or a district template), with its targets,
    questions and attached file (an upload, checked by activities.media). AuthoringError
    (nothing written) for a refused value, file or target."""
    if kind not in Activity.Kind.values:
        raise AuthoringError(_("Choose a kind of activity."), "kind")
    if is_template and not scope.is_district_wide:
        raise AuthoringError(_("Only the district keeps library templates."))
    if not is_template and scope.school is None and not targets:
        raise AuthoringError(_("Choose who the activity is for."), "targets")
    content = _check_content(
        kind,
        title=title,
        instructions=instructions,
        translations=translations,
        points=points,
        response=response,
        due_at=due_at,
        is_answer_revealed=is_answer_revealed,
        video_url=video_url,
        body_html=body_html,
    )
    _check_questions_allowed(kind, questions)
    _check_one_video(content, has_file=attachment is not None)
    now = timezone.now()
    activity = Activity.objects.create(
        district=scope.district,
        school=None if is_template else _school_of(scope, targets),
        kind=kind,
        is_template=is_template,
        template=template,
        created_by=scope.user,
        created_at=now,
        updated_at=now,
        **content.fields(),
    )
    do_set_targets(scope, activity, targets)
    for position, spec in enumerate(questions):
        _add_question(activity, spec, position)
    if attachment is not None:
        _set_attachment(activity, attachment)
    record_audit_event(
        actor=actor,
        action="activity.created",
        target=activity,
        metadata={"template_id": template.id} if template else None,
    )
    return activity


@transaction.atomic
def do_update_activity(
    scope: Scope,
    activity: Activity,
    *,
    title: str,
    instructions: str = "",
    translations: dict | None = None,
    points: int = 10,
    response: str = Activity.Response.OPTIONAL,
    due_at=None,
    is_answer_revealed: bool = False,
    video_url: str = "",
    body_html: str = "",
    targets: list[TargetSpec] | None = None,
    questions: list[QuestionSpec] | None = None,
    attachment=None,
    remove_attachment: bool = False,
    actor: Actor,
) -> Activity:
    """Save an activity's edited content (`activity` from access_activity_for_write). Targets
    and questions are replaced when given (None keeps them). Once families were told, targets
    stay; once anyone submitted, questions and points stay (answers and totals rest on them).
    A due date in the past is refused by the forms and the API, not here (imports and tests
    may record past work)."""
    activity = Activity.objects.select_for_update().get(id=activity.id)
    content = _check_content(
        activity.kind,
        title=title,
        instructions=instructions,
        translations=translations,
        points=points,
        response=response,
        due_at=due_at,
        is_answer_revealed=is_answer_revealed,
        video_url=video_url,
        body_html=body_html,
    )
    keeps_file = bool(activity.attachment) and not remove_attachment
    _check_one_video(content, has_file=attachment is not None or keeps_file)
    has_submissions = activity.submissions.exists()
    if has_submissions and content.points != activity.points:
        raise AuthoringError(_("Families have already earned these points."), "points")
    if targets is not None:
        _replace_targets(scope, activity, targets)
    if questions is not None:
        _replace_questions(activity, questions, has_submissions=has_submissions)
    if content.due_at != activity.due_at:
        activity.reminder_sent_at = None  # a new due date earns its own reminder
    for name, value in content.fields().items():
        setattr(activity, name, value)
    if activity.status == Activity.Status.SCHEDULED:
        _check_still_schedulable(activity, has_file=attachment is not None or keeps_file)
    if attachment is not None or (remove_attachment and activity.attachment):
        _set_attachment(activity, attachment)
    activity.updated_at = timezone.now()
    activity.save(update_fields=[*content.fields(), "reminder_sent_at", "updated_at"])
    if activity.status == Activity.Status.PUBLISHED:
        bump_activity_feeds(activity)
    record_audit_event(actor=actor, action="activity.updated", target=activity)
    return activity


def _check_still_schedulable(activity: Activity, *, has_file: bool) -> None:
    """A scheduled activity stays publishable when edited, so the beat never finds it lacking."""
    check_ready_to_publish(activity, has_file=has_file)
    if activity.due_at is not None and activity.due_at <= activity.publish_at:
        raise AuthoringError(_("Keep the due date after the time it is published."), "due_at")


def _check_content(kind: str, **values) -> _Content:
    title = (values["title"] or "").strip()
    if not title:
        raise AuthoringError(_("Give the activity a title."), "title")
    if len(title) > MAX_TITLE_CHARS:
        raise AuthoringError(_("Keep the title under 200 characters."), "title")
    instructions = (values["instructions"] or "").strip()
    if len(instructions) > MAX_INSTRUCTIONS_CHARS:
        raise AuthoringError(_("Keep the instructions under 5,000 characters."), "instructions")
    points = values["points"]
    if not isinstance(points, int) or not 0 <= points <= MAX_POINTS:
        raise AuthoringError(_("Points go from 0 to 1,000."), "points")
    response = values["response"]
    if response not in Activity.Response.values:
        raise AuthoringError(_("Choose what the family sends back."), "response")
    if kind == Activity.Kind.TASK and response == Activity.Response.OPTIONAL:
        raise AuthoringError(_("Choose what the family sends back."), "response")
    video_provider, video_id = _video_of(kind, values["video_url"])
    body = values["body_html"] or ""
    if len(body) > MAX_BODY_CHARS:
        raise AuthoringError(_("Keep the reading under 20,000 characters."), "body_html")
    return _Content(
        title=title,
        instructions=instructions,
        translations=_check_translations(values["translations"], TRANSLATED_ACTIVITY_KEYS),
        points=points,
        response=response,
        due_at=values["due_at"],
        is_answer_revealed=bool(values["is_answer_revealed"]) and kind == Activity.Kind.QUIZ,
        video_provider=video_provider,
        video_id=video_id,
        body_html=sanitize_rich_text(body) if kind == Activity.Kind.READING else "",
    )


def _video_of(kind: str, video_url: str) -> tuple[str, str]:
    if kind != Activity.Kind.VIDEO or not (video_url or "").strip():
        return "", ""
    try:
        link = parse_video_url(video_url)
    except VideoLinkError as error:
        raise AuthoringError(str(error), "video_url") from error
    return link.provider, link.video_id


def _check_one_video(content: _Content, *, has_file: bool) -> None:
    if content.video_id and has_file:
        raise AuthoringError(_("Link a video or upload one, not both."), "video_url")


@transaction.atomic
def do_replace_activity_attachment(activity: Activity, upload, *, actor: Actor) -> Activity:
    """Attach a new file (checked by content in activities.media), or remove it with None
    (`activity` from access_activity_for_write). A published activity's families see the new
    file at once."""
    if upload is None and activity.kind == Activity.Kind.PICTURE and not activity.instructions:
        raise AuthoringError(_("Add the picture, or say what to look at."), "attachment")
    _set_attachment(activity, upload)
    activity.updated_at = timezone.now()
    activity.save(update_fields=["updated_at"])
    if activity.status == Activity.Status.PUBLISHED:
        bump_activity_feeds(activity)
    record_audit_event(
        actor=actor,
        action="activity.attachment_replaced" if upload else "activity.attachment_removed",
        target=activity,
    )
    return activity


def _set_attachment(activity: Activity, upload) -> None:
    """Keep (or, with None, remove) the activity's file through the media pipeline."""
    if upload is not None and activity.kind not in ATTACHMENT_KINDS:
        raise AuthoringError(_("This kind of activity has no attached file."), "attachment")
    try:
        do_set_activity_attachment(activity, upload)
    except AttachmentRejected as error:
        raise AuthoringError(error.message, "attachment") from error


def _check_translations(translations: dict | None, keys: tuple[str, ...]) -> dict:
    """Variants in the site's other languages, blank ones dropped: {"es": {"title": ...}}."""
    languages = {code for code, _name in settings.LANGUAGES}
    checked = {}
    for language, variant in (translations or {}).items():
        if language not in languages or not isinstance(variant, dict):
            raise AuthoringError(_("Translations are kept only for the site's languages."))
        kept = {}
        for key in keys:
            value = variant.get(key) or ""
            if not isinstance(value, str):
                raise AuthoringError(_("A translation is plain text."))
            if value.strip():
                kept[key] = value.strip()
        if len(kept.get("title", "")) > MAX_TITLE_CHARS:
            raise AuthoringError(_("Keep the title under 200 characters."), "title")
        if kept:
            checked[language] = kept
    return checked


def _school_of(scope: Scope, targets) -> School:
    if scope.school is not None:
        return scope.school
    schools = {t.school or (t.classroom.school if t.classroom else None) for t in targets}
    schools.discard(None)
    if len(schools) != 1:
        raise AuthoringError(
            _("An activity belongs to one school: choose targets in one school."), "targets"
        )
    return schools.pop()


# --- targets -----------------------------------------------------------------------------------


def do_set_targets(scope: Scope, activity: Activity, targets) -> None:
    """Replace the activity's targets; each must lie inside the author's scope."""
    if activity.is_template and targets:
        raise AuthoringError(_("A library template is aimed when a school copies it."), "targets")
    for target in targets:
        _check_target(scope, activity, target)
    if len({t.key() for t in targets}) != len(targets):
        raise AuthoringError(_("Each target can be chosen once."), "targets")
    ActivityTarget.objects.filter(activity=activity).delete()
    ActivityTarget.objects.bulk_create(
        ActivityTarget(
            district_id=activity.district_id,
            activity=activity,
            classroom=t.classroom,
            group=t.group,
            school=t.school or (t.classroom.school if t.classroom else None),
            grade_level=t.grade_level,
        )
        for t in targets
    )


def _replace_targets(scope: Scope, activity: Activity, targets) -> None:
    current = {
        (t.classroom_id, t.group_id, t.school_id, t.grade_level) for t in activity.targets.all()
    }
    if {t.key() for t in targets} == current and len(targets) == len(current):
        return
    if activity.status in (Activity.Status.PUBLISHED, Activity.Status.CLOSED):
        raise AuthoringError(
            _("Families have been told already: who it is for cannot change."), "targets"
        )
    do_set_targets(scope, activity, targets)


def _check_target(scope: Scope, activity: Activity, target: TargetSpec) -> None:
    chosen = [x for x in (target.classroom, target.group) if x is not None]
    if len(chosen) > 1 or (not chosen and target.school is None):
        raise AuthoringError(
            _("Choose a classroom, a group, a grade or a whole school."), "targets"
        )
    if target.classroom is not None:
        if not scope.covers_classroom(target.classroom):
            raise AuthoringError(_("That classroom is not yours."), "targets")
        school_id = target.classroom.school_id
    elif target.group is not None:
        if target.group.district_id != scope.district.id or (
            scope.school is not None and target.group.school_id not in (None, scope.school.id)
        ):
            raise AuthoringError(_("That group is not yours."), "targets")
        school_id = target.group.school_id or activity.school_id
    else:
        if scope.is_classroom_level and not target.grade_level:
            raise AuthoringError(
                _("A teacher aims at their classrooms, not the whole school."), "targets"
            )
        if target.school.district_id != scope.district.id or not scope.covers_school(
            target.school.id
        ):
            raise AuthoringError(_("That school is not yours."), "targets")
        school_id = target.school.id
    if activity.school_id and school_id != activity.school_id:
        raise AuthoringError(
            _("An activity belongs to one school: choose targets in one school."), "targets"
        )


# --- questions ---------------------------------------------------------------------------------


def _check_questions_allowed(kind: str, questions) -> None:
    if questions and kind != Activity.Kind.QUIZ:
        raise AuthoringError(_("Only a quiz has questions."), "questions")
    if len(questions) > MAX_QUESTIONS:
        raise AuthoringError(_("A quiz has at most 50 questions."), "questions")


def _replace_questions(activity: Activity, questions, *, has_submissions: bool) -> None:
    _check_questions_allowed(activity.kind, questions)
    current = [_question_row(vars(q)) for q in activity.questions.all()]
    wanted = [_question_values(spec) for spec in questions]
    if current == [_question_row(values) for values in wanted]:
        return
    if has_submissions:
        raise AuthoringError(
            _("Families have already answered: the questions cannot change."), "questions"
        )
    Question.objects.filter(activity=activity).delete()
    for position, values in enumerate(wanted):
        Question.objects.create(
            district_id=activity.district_id, activity=activity, position=position, **values
        )


def _question_row(values: dict) -> tuple:
    keys = ("prompt", "kind", "choices", "correct_choice", "translations")
    return tuple(tuple(values[k]) if k == "choices" else values[k] for k in keys)


def _add_question(activity: Activity, spec: QuestionSpec, position: int) -> Question:
    return Question.objects.create(
        district_id=activity.district_id,
        activity=activity,
        position=position,
        **_question_values(spec),
    )


def _question_values(spec: QuestionSpec) -> dict:
    """A question's columns, checked: a multiple-choice question has 2 to 6 answers and one
    marked right (it is scored automatically); a short answer has no choices."""
    prompt = (spec.prompt or "").strip()
    if not prompt or len(prompt) > 500:
        raise AuthoringError(_("Each question needs a prompt (up to 500 characters)."), "questions")
    if spec.kind not in Question.Kind.values:
        raise AuthoringError(_("A question is multiple choice or a short answer."), "questions")
    choices = [c.strip() for c in spec.choices if c and c.strip()]
    if spec.kind == Question.Kind.CHOICE:
        if not 2 <= len(choices) <= MAX_CHOICES:
            raise AuthoringError(
                _("A multiple-choice question needs two to six answers."), "questions"
            )
        if spec.correct_choice is None or spec.correct_choice not in range(len(choices)):
            raise AuthoringError(_("Mark one of the answers as right."), "questions")
    else:
        choices = []
    return {
        "kind": spec.kind,
        "prompt": prompt,
        "choices": choices,
        "correct_choice": spec.correct_choice if spec.kind == Question.Kind.CHOICE else None,
        "translations": _check_question_translations(spec.translations, len(choices)),
    }


def _check_question_translations(translations: dict | None, choice_count: int) -> dict:
    languages = {code for code, _name in settings.LANGUAGES}
    checked = {}
    for language, variant in (translations or {}).items():
        if language not in languages or not isinstance(variant, dict):
            raise AuthoringError(_("Translations are kept only for the site's languages."))
        prompt = (variant.get("prompt") or "").strip()
        choices = [(c or "").strip() for c in variant.get("choices") or []]
        if any(choices) and (len(choices) != choice_count or not all(choices)):
            raise AuthoringError(
                _("Translate every answer of a question, in the same order."), "questions"
            )
        kept = {key: value for key, value in (("prompt", prompt),) if value}
        if any(choices):
            kept["choices"] = choices
        if kept:
            checked[language] = kept
    return checked


# --- schedule, publish, close ------------------------------------------------------------------


def check_ready_to_publish(activity: Activity, *, has_file: bool | None = None) -> None:
    """AuthoringError when families could not do the activity as it stands (`has_file`: whether
    it will have an attached file, when that is about to change)."""
    has_file = bool(activity.attachment) if has_file is None else has_file
    if activity.is_template:
        raise AuthoringError(_("Copy a library template into your classroom to publish it."))
    if not activity.targets.exists():
        raise AuthoringError(_("Choose who the activity is for."), "targets")
    kind = activity.kind
    if kind == Activity.Kind.QUIZ and not activity.questions.exists():
        raise AuthoringError(_("Add at least one question to the quiz."), "questions")
    if kind == Activity.Kind.VIDEO and not (activity.video_id or has_file):
        raise AuthoringError(_("Link a YouTube or Vimeo video, or upload one."), "video_url")
    if kind == Activity.Kind.READING and not (activity.body_html or has_file):
        raise AuthoringError(_("Write the reading, or attach a PDF."), "body_html")
    if kind == Activity.Kind.PICTURE and not (has_file or activity.instructions):
        raise AuthoringError(_("Add the picture, or say what to look at."), "attachment")


@transaction.atomic
def do_publish_activity(activity: Activity, *, actor: Actor) -> Activity:
    """Publish now (`activity` from access_activity_for_write) and queue the families' message
    (activities.notify; sent after commit). Publishing a published activity changes nothing;
    publishing a closed one opens it again without telling families a second time."""
    locked = Activity.objects.select_for_update().get(id=activity.id)
    if locked.status == Activity.Status.PUBLISHED:
        return locked
    return _publish(locked, actor=actor)


def _publish(activity: Activity, *, actor: Actor) -> Activity:
    """Publish a row locked by the caller's transaction."""
    check_ready_to_publish(activity)
    now = timezone.now()
    first_time = activity.published_at is None
    activity.status = Activity.Status.PUBLISHED
    activity.published_at = activity.published_at or now
    activity.closed_at = None
    activity.updated_at = now
    activity.save(update_fields=["status", "published_at", "closed_at", "updated_at"])
    if first_time and not activity.is_template:
        record_publication(activity, timezone_name=_publication_timezone(activity))
    bump_activity_feeds(activity)
    log_event(
        ActivityEvent.Kind.PUBLISHED,
        district_id=activity.district_id,
        school_id=activity.school_id,
        activity_id=activity.id,
        actor=actor,
    )
    record_audit_event(actor=actor, action="activity.published", target=activity)
    notify.queue_new_activity_message(activity, actor=actor)
    return activity


def _publication_timezone(activity: Activity) -> str:
    school = activity.school
    return (school and school.timezone) or activity.district.timezone


@transaction.atomic
def do_schedule_activity(activity: Activity, *, publish_at, actor: Actor) -> Activity:
    """Publish later: at `publish_at` the beat task publishes it (and families are told then).
    The activity must be ready now, so the beat run does not find it lacking."""
    locked = Activity.objects.select_for_update().get(id=activity.id)
    if locked.status not in (Activity.Status.DRAFT, Activity.Status.SCHEDULED):
        raise AuthoringError(_("This activity has been published already."))
    if publish_at is None or publish_at <= timezone.now():
        raise AuthoringError(_("Choose a time in the future."), "publish_at")
    check_ready_to_publish(locked)
    if locked.due_at is not None and locked.due_at <= publish_at:
        raise AuthoringError(_("Publish it before its due date."), "publish_at")
    locked.status = Activity.Status.SCHEDULED
    locked.publish_at = publish_at
    locked.updated_at = timezone.now()
    locked.save(update_fields=["status", "publish_at", "updated_at"])
    record_audit_event(
        actor=actor,
        action="activity.scheduled",
        target=locked,
        metadata={"publish_at": publish_at.isoformat()},
    )
    return locked


@transaction.atomic
def do_unschedule_activity(activity: Activity, *, actor: Actor) -> Activity:
    """Back to draft: a scheduled activity that should not go out after all."""
    locked = Activity.objects.select_for_update().get(id=activity.id)
    if locked.status != Activity.Status.SCHEDULED:
        raise AuthoringError(_("This activity is not scheduled."))
    locked.status = Activity.Status.DRAFT
    locked.publish_at = None
    locked.updated_at = timezone.now()
    locked.save(update_fields=["status", "publish_at", "updated_at"])
    record_audit_event(actor=actor, action="activity.unscheduled", target=locked)
    return locked


@transaction.atomic
def do_close_activity(activity: Activity, *, actor: Actor) -> Activity:
    """Stop taking submissions (what was sent stays). Closing a closed activity changes
    nothing; a draft or scheduled one is not open, so there is nothing to close."""
    locked = Activity.objects.select_for_update().get(id=activity.id)
    if locked.status == Activity.Status.CLOSED:
        return locked
    if locked.status != Activity.Status.PUBLISHED:
        raise AuthoringError(_("Only a published activity can be closed."))
    now = timezone.now()
    locked.status = Activity.Status.CLOSED
    locked.closed_at = now
    locked.updated_at = now
    locked.save(update_fields=["status", "closed_at", "updated_at"])
    bump_activity_feeds(locked)
    record_audit_event(actor=actor, action="activity.closed", target=locked)
    return locked


def bump_activity_feeds(activity: Activity) -> None:
    """Families' cached home pages list the school's open activities: they are now stale."""
    if activity.school_id:
        versioned_cache.bump(school_activities_dependency(activity.school_id))


def do_publish_due_activities(now=None) -> list[int]:
    """Publish every scheduled activity whose time has come; returns the ids published.

    Each is published in its own transaction with its row locked (`skip_locked`), and checked
    again under the lock, so two beat runs at once never publish one twice, and one that can no
    longer be published (its targets are gone) goes back to draft instead of failing each run.
    """
    now = now or timezone.now()
    due = Activity.objects.filter(  # the beat's own sweep: every district, by status and time
        status=Activity.Status.SCHEDULED, publish_at__lte=now
    ).order_by("publish_at", "id")
    published = []
    for activity_id in list(due.values_list("id", flat=True)[:500]):
        with transaction.atomic():
            activity = (
                Activity.objects.select_for_update(skip_locked=True)
                .filter(id=activity_id, status=Activity.Status.SCHEDULED, publish_at__lte=now)
                .first()
            )
            if activity is None:
                continue
            try:
                with transaction.atomic():
                    _publish(activity, actor=Actor.system())
            except ActionError:
                _return_to_draft(activity)
                continue
        published.append(activity_id)
    return published


def _return_to_draft(activity: Activity) -> None:
    logger.warning("activities.schedule.not_ready", extra={"activity_id": activity.id})
    Activity.objects.filter(id=activity.id).update(status=Activity.Status.DRAFT, publish_at=None)
    record_audit_event(actor=Actor.system(), action="activity.unscheduled", target=activity)
