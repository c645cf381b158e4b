"""Teachers author activities: create with targets and questions, publish, close.

Targets are checked against the author's scope (a teacher may aim only at their classrooms, a
school admin at their school, a district admin writes library templates), and the tenant columns
are copied from the scope, never from the request.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.actions.events import log_event
from activities.models import Activity, ActivityEvent, ActivityTarget, Question
from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError
from tenants.models import Classroom, Group, School
from tenants.scope import Scope


@dataclass(frozen=True)
class TargetSpec:
    """One target, as the author chose it (objects already looked up inside the scope)."""

    classroom: Classroom | None = None
    group: Group | None = None
    school: School | None = None
    grade_level: str = ""


@dataclass(frozen=True)
class QuestionSpec:
    prompt: str
    kind: str = Question.Kind.CHOICE
    choices: tuple[str, ...] = ()
    correct_choice: int | None = None


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
    actor: Actor,
) -> Activity:
    """A draft activity of the scope's school (or a district template), with its targets and
    questions."""
    if is_template and not scope.is_district_wide:
        raise ActionError(_("Only the district keeps library templates."))
    if not is_template and scope.school is None and not targets:
        raise ActionError(_("Choose who the activity is for."))
    activity = Activity.objects.create(
        district=scope.district,
        school=None if is_template else _school_of(scope, targets),
        kind=kind,
        title=title.strip(),
        instructions=instructions.strip(),
        translations=translations or {},
        points=points,
        response=response,
        due_at=due_at,
        is_template=is_template,
        created_by=scope.user,
    )
    do_set_targets(scope, activity, targets)
    for position, spec in enumerate(questions):
        _add_question(activity, spec, position)
    record_audit_event(actor=actor, action="activity.created", target=activity)
    return activity


def _school_of(scope: Scope, targets) -> School:
    if scope.school is not None:
        return scope.school
    schools = {t.school or (t.classroom.school if t.classroom else None) for t in targets}
    schools.discard(None)
    if len(schools) != 1:
        raise ActionError(_("An activity belongs to one school: choose targets in one school."))
    return schools.pop()


def do_set_targets(scope: Scope, activity: Activity, targets) -> None:
    """Replace the activity's targets; each must lie inside the author's scope."""
    for target in targets:
        _check_target(scope, activity, target)
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


def _check_target(scope: Scope, activity: Activity, target: TargetSpec) -> None:
    chosen = [x for x in (target.classroom, target.group) if x is not None]
    if len(chosen) > 1 or (not chosen and target.school is None):
        raise ActionError(_("Choose a classroom, a group, a grade or a whole school."))
    if target.classroom is not None:
        if not scope.covers_classroom(target.classroom):
            raise ActionError(_("That classroom is not yours."))
        school_id = target.classroom.school_id
    elif target.group is not None:
        if target.group.district_id != scope.district.id or (
            scope.school is not None and target.group.school_id not in (None, scope.school.id)
        ):
            raise ActionError(_("That group is not yours."))
        school_id = target.group.school_id or activity.school_id
    else:
        if scope.is_classroom_level and not target.grade_level:
            raise ActionError(_("A teacher aims at their classrooms, not the whole school."))
        if target.school.district_id != scope.district.id or not scope.covers_school(
            target.school.id
        ):
            raise ActionError(_("That school is not yours."))
        school_id = target.school.id
    if activity.school_id and school_id != activity.school_id:
        raise ActionError(_("An activity belongs to one school: choose targets in one school."))


def _add_question(activity: Activity, spec: QuestionSpec, position: int) -> Question:
    choices = [c.strip() for c in spec.choices if c.strip()]
    if spec.kind == Question.Kind.CHOICE:
        if len(choices) < 2:
            raise ActionError(_("A multiple-choice question needs at least two answers."))
        if spec.correct_choice is not None and spec.correct_choice not in range(len(choices)):
            raise ActionError(_("Mark one of the answers as right."))
    return Question.objects.create(
        district_id=activity.district_id,
        activity=activity,
        position=position,
        kind=spec.kind,
        prompt=spec.prompt.strip(),
        choices=choices if spec.kind == Question.Kind.CHOICE else [],
        correct_choice=spec.correct_choice if spec.kind == Question.Kind.CHOICE else None,
    )


@transaction.atomic
def do_publish_activity(activity: Activity, *, actor: Actor) -> Activity:
    """Publish now (`activity` from access_activity). Families are told by the notifications
    engine after commit (activities.notify)."""
    if activity.is_template:
        raise ActionError(_("Copy a library template into your classroom to publish it."))
    if activity.status == Activity.Status.PUBLISHED:
        return activity
    if not activity.targets.exists():
        raise ActionError(_("Choose who the activity is for."))
    activity.status = Activity.Status.PUBLISHED
    activity.published_at = timezone.now()
    activity.closed_at = None
    activity.save(update_fields=["status", "published_at", "closed_at"])
    log_event(
        ActivityEvent.Kind.PUBLISHED,
        district_id=activity.district_id,
        school_id=activity.school_id,
        activity_id=activity.id,
        actor=actor,
    )
    record_audit_event(actor=actor, action="activity.published", target=activity)
    return activity


@transaction.atomic
def do_close_activity(activity: Activity, *, actor: Actor) -> Activity:
    """Stop taking submissions (what was sent stays)."""
    activity.status = Activity.Status.CLOSED
    activity.closed_at = timezone.now()
    activity.save(update_fields=["status", "closed_at"])
    record_audit_event(actor=actor, action="activity.closed", target=activity)
    return activity
