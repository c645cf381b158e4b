"""Reads for staff: activities they author or teach, submissions they review, photos they see.

Teachers see their own classrooms, school admins their school (PROMISES V5). A district admin
sees aggregates only, unless they opened a school with an audited reason: `opened_school_ids`
(from their session, tenants-side) lists those schools, and only those.
"""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from activities.models import Activity, Submission
from activities.models import SubmissionPhoto as Photo
from tenants.scope import Scope


def list_activities_for_scope(scope: Scope) -> QuerySet[Activity]:
    """Activities the scope may read: a teacher's are those aimed at their classrooms or that
    they wrote; a school's staff see the school's; a district admin the district's and its
    library templates."""
    activities = Activity.objects.filter(district_id=scope.district.id)
    if scope.is_classroom_level:
        activities = activities.filter(
            Q(targets__classroom_id__in=scope.classroom_ids)
            | Q(created_by_id=scope.user.id, school_id=scope.school.id)
            | Q(is_template=True)
        ).distinct()
    elif scope.school is not None:
        activities = activities.filter(Q(school_id=scope.school.id) | Q(is_template=True))
    return activities.order_by("-created_at", "-id")


def access_activity(scope: Scope, activity_id: int) -> Activity:
    return get_object_or_404(list_activities_for_scope(scope), id=activity_id)


def list_submissions_for_scope(
    scope: Scope, *, opened_school_ids: frozenset[int] = frozenset()
) -> QuerySet[Submission]:
    """Submissions the scope may open: a teacher's classrooms, a school admin's school, and for
    a district admin only the schools they opened (with an audited reason)."""
    submissions = Submission.objects.filter(district_id=scope.district.id)
    if scope.is_classroom_level:
        return submissions.filter(classroom_id__in=scope.classroom_ids)
    if scope.school is not None:
        return submissions.filter(school_id=scope.school.id)
    return submissions.filter(school_id__in=opened_school_ids)


def list_review_queue(
    scope: Scope, *, opened_school_ids: frozenset[int] = frozenset()
) -> QuerySet[Submission]:
    """New submissions waiting for review, oldest first, with what the page shows loaded."""
    return (
        list_submissions_for_scope(scope, opened_school_ids=opened_school_ids)
        .filter(status=Submission.Status.SUBMITTED)
        .select_related("activity", "child", "classroom")
        .prefetch_related("photos")
        .order_by("submitted_at", "id")
    )


def access_submission(
    scope: Scope, submission_id: int, *, opened_school_ids: frozenset[int] = frozenset()
) -> Submission:
    return get_object_or_404(
        list_submissions_for_scope(scope, opened_school_ids=opened_school_ids).select_related(
            "activity", "child", "classroom", "guardian"
        ),
        id=submission_id,
    )


def access_staff_photo(
    scope: Scope, photo_id: int, *, opened_school_ids: frozenset[int] = frozenset()
) -> Photo:
    """A photo of a submission the scope may open (404 otherwise)."""
    submissions = list_submissions_for_scope(scope, opened_school_ids=opened_school_ids)
    return get_object_or_404(
        Photo.objects.select_related("submission"),
        id=photo_id,
        district_id=scope.district.id,
        submission__in=submissions.values("id"),
    )
