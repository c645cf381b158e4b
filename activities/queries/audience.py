"""Who an activity is for: the targets a child is reached by, and the children an activity reaches.

A target names a classroom, a group, a grade level of a school, or a whole school. A child is
reached through their active enrollments of the current school year (classrooms and their grade
levels), their school, and the groups their guardian belongs to.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import GroupMember


@dataclass(frozen=True)
class Reach:
    """Where a child is, as targets see it."""

    school_id: int
    classroom_ids: frozenset[int]
    grade_levels: frozenset[str]
    group_ids: frozenset[int]

    def target_q(self, prefix: str = "targets__") -> Q:
        """Matches activities (or, with prefix="", targets) that reach this child."""
        p = prefix
        whole_school = Q(
            **{
                f"{p}school_id": self.school_id,
                f"{p}grade_level": "",
                f"{p}classroom__isnull": True,
                f"{p}group__isnull": True,
            }
        )
        reach = Q(**{f"{p}classroom_id__in": self.classroom_ids}) | whole_school
        if self.grade_levels:
            reach |= Q(
                **{f"{p}school_id": self.school_id, f"{p}grade_level__in": self.grade_levels}
            )
        if self.group_ids:
            reach |= Q(**{f"{p}group_id__in": self.group_ids})
        return reach


def get_reach(child: Child, *, group_ids=frozenset()) -> Reach:
    """The child's reach; `child.current_enrollments` (prefetched) spares a query."""
    enrollments = getattr(child, "current_enrollments", None)
    if enrollments is None:
        enrollments = list(
            Enrollment.objects.filter(  # the child was access-checked by the caller
                child_id=child.id, is_active=True, classroom__school_year__is_current=True
            ).select_related("classroom")
        )
    classrooms = [e.classroom for e in enrollments]
    grades = {c.grade_level for c in classrooms if c.grade_level}
    if child.grade_level:
        grades.add(child.grade_level)
    return Reach(
        school_id=child.school_id,
        classroom_ids=frozenset(c.id for c in classrooms),
        grade_levels=frozenset(grades),
        group_ids=frozenset(group_ids),
    )


def list_group_ids_of(user_id: int, district_id: int) -> frozenset[int]:
    """Groups the person belongs to in the district (family groups reach their children)."""
    return frozenset(
        GroupMember.objects.filter(district_id=district_id, user_id=user_id).values_list(
            "group_id", flat=True
        )
    )


def list_children_reached(activity) -> QuerySet[Child]:
    """Active children an activity reaches (for reminders and participation rates)."""
    targets = list(activity.targets.all())
    reach = Q(pk__in=[])
    for target in targets:
        if target.classroom_id:
            reach |= Q(enrollments__classroom_id=target.classroom_id, enrollments__is_active=True)
        elif target.group_id:
            members = GroupMember.objects.filter(group_id=target.group_id).values("user_id")
            reach |= Q(
                guardian_links__guardian_id__in=members,
                guardian_links__is_active=True,
                guardian_links__has_access=True,
            )
        elif target.grade_level:
            reach |= Q(school_id=target.school_id) & (
                Q(grade_level=target.grade_level)
                | Q(
                    enrollments__classroom__grade_level=target.grade_level,
                    enrollments__is_active=True,
                    enrollments__classroom__school_year__is_current=True,
                )
            )
        elif target.school_id:
            reach |= Q(school_id=target.school_id)
    return Child.objects.filter(  # bounded by the activity's own district
        reach, district_id=activity.district_id, is_active=True
    ).distinct()


def list_guardian_ids_reached(activity) -> QuerySet:
    """Guardians (with access) of the children an activity reaches."""
    return (
        GuardianLink.objects.filter(
            district_id=activity.district_id,
            child__in=list_children_reached(activity),
            is_active=True,
            has_access=True,
        )
        .values_list("guardian_id", flat=True)
        .distinct()
    )
