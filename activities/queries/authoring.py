"""Reads for authoring: the staff list, one activity to edit, the district library, who may be
targeted, and who is reminded.

Built on `staff.list_activities_for_scope` (what a scope may read). Writing is narrower: a
teacher edits what they wrote, a school's admins their school's activities, the district its
library templates; an activity the scope may read but not write is a 403, one it may not read a
404 (another classroom's, school's or district's id).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from activities.models import Activity, ActivityTarget, Question, Submission
from activities.queries.audience import list_children_reached
from activities.queries.staff import access_activity, list_activities_for_scope
from guardians.models import GuardianLink
from tenants.models import Classroom, Group, School
from tenants.queries import list_classrooms_for_scope
from tenants.scope import Scope

PAGE_SIZE = 50
FAMILY_GROUP_KINDS = (Group.Kind.FAMILIES, Group.Kind.MIXED)


def _with_targets(activities: QuerySet[Activity]) -> QuerySet[Activity]:
    return activities.prefetch_related(
        Prefetch(
            "targets",
            queryset=ActivityTarget.objects.select_related("classroom", "group", "school").order_by(
                "id"
            ),
        )
    )


def list_authoring_activities(scope: Scope, *, status: str = "") -> QuerySet[Activity]:
    """The scope's activities (not library templates), newest first, with their school, targets
    and count of submissions loaded: a constant number of queries for any page."""
    submissions = (
        Submission.objects.filter(activity_id=OuterRef("id"))
        .order_by()
        .values("activity_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    activities = list_activities_for_scope(scope).filter(is_template=False)
    if status:
        activities = activities.filter(status=status)
    return _with_targets(
        activities.select_related("school", "created_by").annotate(
            submissions_count=Coalesce(Subquery(submissions, output_field=IntegerField()), 0)
        )
    )


def list_library_templates(scope: Scope) -> QuerySet[Activity]:
    """The district library: templates of the scope's district, newest first."""
    return (
        list_activities_for_scope(scope)
        .filter(is_template=True)
        .select_related("created_by")
        .annotate(questions_count=Count("questions", distinct=True))
    )


def access_template(scope: Scope, template_id: int) -> Activity:
    """A library template of the scope's district (404 otherwise)."""
    return get_object_or_404(
        list_activities_for_scope(scope).filter(is_template=True).select_related("district"),
        id=template_id,
    )


def can_write_activity(scope: Scope, activity: Activity) -> bool:
    """Whether a scope that may read `activity` may change it."""
    if activity.is_template:
        return scope.is_district_wide
    if scope.is_classroom_level:
        return activity.created_by_id == scope.user.id
    return scope.school is not None or activity.created_by_id == scope.user.id


def access_activity_for_write(scope: Scope, activity_id: int) -> Activity:
    """An activity the scope may change: 404 when it may not read it, 403 when only read."""
    activity = access_activity(scope, activity_id)
    if not can_write_activity(scope, activity):
        raise PermissionDenied
    return activity


@dataclass
class ActivityDetail:
    activity: Activity
    targets: list[ActivityTarget]
    questions: list[Question]
    counts: dict[str, int] = field(default_factory=dict)
    children_reached: int = 0
    copies: int = 0

    @property
    def submitted(self) -> int:
        return sum(self.counts.values())


def get_activity_detail(activity: Activity) -> ActivityDetail:
    """What the detail page shows: targets, questions, submissions by status, reach."""
    targets = list(activity.targets.select_related("classroom", "group", "school").order_by("id"))
    counts = dict.fromkeys(Submission.Status.values, 0)
    rows = (
        Submission.objects.filter(district_id=activity.district_id, activity_id=activity.id)
        .order_by()
        .values_list("status")
        .annotate(count=Count("id"))
    )
    counts.update(dict(rows))
    detail = ActivityDetail(
        activity=activity,
        targets=targets,
        questions=list(activity.questions.all()),
        counts=counts,
    )
    if activity.is_template:
        detail.copies = Activity.objects.filter(
            district_id=activity.district_id, template_id=activity.id
        ).count()
    elif targets:
        detail.children_reached = list_children_reached(activity).count()
    return detail


def target_label(target) -> str:
    """How a target (ActivityTarget or TargetChoice source) reads on staff pages."""
    if target.classroom_id:
        return target.classroom.name
    if target.group_id:
        return target.group.name
    if target.grade_level:
        return _("Grade %(grade)s, %(school)s") % {
            "grade": target.grade_level,
            "school": target.school.name,
        }
    return _("All of %(school)s") % {"school": target.school.name}


# --- who may be targeted -----------------------------------------------------------------------


@dataclass(frozen=True)
class TargetChoice:
    key: str  # "classroom:<id>", "group:<id>", "grade:<school id>:<grade>", "school:<id>"
    label: str
    kind: str  # "classroom", "group", "grade", "school"
    classroom: Classroom | None = None
    group: Group | None = None
    school: School | None = None
    grade_level: str = ""

    def target_fields(self) -> dict:
        """Keyword arguments of the authoring actions' TargetSpec."""
        return {
            "classroom": self.classroom,
            "group": self.group,
            "school": self.school,
            "grade_level": self.grade_level,
        }


def list_target_choices(scope: Scope) -> list[TargetChoice]:
    """What the scope may aim an activity at, in its school: a teacher's classrooms, the school's
    family groups (and the district's), its grade levels, and (admins) the whole school.
    Empty for a district-wide scope, which writes library templates."""
    if scope.school is None:
        return []
    school = scope.school
    choices = [
        TargetChoice(f"classroom:{c.id}", c.name, "classroom", classroom=c)
        for c in list_classrooms_for_scope(scope)
    ]
    groups = Group.objects.filter(  # the scope's district: its school's groups or district-wide
        Q(school_id=school.id) | Q(school__isnull=True),
        district_id=scope.district.id,
        kind__in=FAMILY_GROUP_KINDS,
    )
    choices += [
        TargetChoice(f"group:{g.id}", g.name, "group", group=g) for g in groups.order_by("name")
    ]
    grades = (
        Classroom.objects.filter(  # grade levels of the scope's own school
            district_id=scope.district.id,
            school_id=school.id,
            is_active=True,
            school_year__is_current=True,
        )
        .exclude(grade_level="")
        .order_by("grade_level")
        .values_list("grade_level", flat=True)
        .distinct()
    )
    choices += [
        TargetChoice(
            f"grade:{school.id}:{grade}",
            _("Grade %(grade)s, %(school)s") % {"grade": grade, "school": school.name},
            "grade",
            school=school,
            grade_level=grade,
        )
        for grade in grades
    ]
    if not scope.is_classroom_level:
        choices.append(
            TargetChoice(
                f"school:{school.id}",
                _("All of %(school)s") % {"school": school.name},
                "school",
                school=school,
            )
        )
    return choices


def target_key(target: ActivityTarget) -> str:
    """The choice key of a saved target (to show a form's current targets)."""
    if target.classroom_id:
        return f"classroom:{target.classroom_id}"
    if target.group_id:
        return f"group:{target.group_id}"
    if target.grade_level:
        return f"grade:{target.school_id}:{target.grade_level}"
    return f"school:{target.school_id}"


@dataclass(frozen=True)
class TargetRef:
    """A target as an API client names it, by ids."""

    classroom_id: int | None = None
    group_id: int | None = None
    school_id: int | None = None
    grade_level: str = ""


def find_target_objects(scope: Scope, refs: list[TargetRef]) -> list[dict]:
    """The objects the refs name, looked up in the scope's district only (whether they are the
    author's is the action's check): TargetSpec keyword arguments per ref. LookupError names
    the field of an id that is not in the district."""
    district_id = scope.district.id
    found = {
        "classroom": Classroom.objects.filter(district_id=district_id)
        .select_related("school")
        .in_bulk([r.classroom_id for r in refs if r.classroom_id]),
        "group": Group.objects.filter(district_id=district_id).in_bulk(
            [r.group_id for r in refs if r.group_id]
        ),
        "school": School.objects.filter(district_id=district_id).in_bulk(
            [r.school_id for r in refs if r.school_id]
        ),
    }
    targets = []
    for ref in refs:
        fields = {"grade_level": ref.grade_level}
        for name in ("classroom", "group", "school"):
            wanted = getattr(ref, f"{name}_id")
            if wanted and wanted not in found[name]:
                raise LookupError(f"{name}_id")
            fields[name] = found[name].get(wanted) if wanted else None
        targets.append(fields)
    return targets


# --- reminders ---------------------------------------------------------------------------------


def list_guardian_ids_to_remind(activity: Activity) -> QuerySet:
    """Guardians (with access) of the children reached who have not submitted."""
    pending = list_children_reached(activity).exclude(submissions__activity_id=activity.id)
    return (
        GuardianLink.objects.filter(  # bounded by the activity's district and its children
            district_id=activity.district_id, child__in=pending, is_active=True, has_access=True
        )
        .values_list("guardian_id", flat=True)
        .distinct()
    )
