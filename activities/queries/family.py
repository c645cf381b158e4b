"""Reads for families: a child's feed, an activity to complete, their own submissions.

Everything starts from `guardians.queries.list_children_for_guardian(scope)`: the guardian's
own children, with access (PROMISES V3, V6). An activity is reachable only when it is published
(or closed, to read) and targets that child; another family's submission is never reachable.

A child the school removed stays with their family (PROMISES R4), read-only: the activities they
took part in, their portfolio and badges; nothing is open and nothing new can be sent.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from activities.models import (
    Activity,
    ActivityTarget,
    BadgeAward,
    ChildProgress,
    Question,
    Submission,
)
from activities.models import SubmissionPhoto as Photo
from activities.queries.audience import Reach, get_reach, list_group_ids_of
from guardians.models import Child
from guardians.queries import access_child_for_guardian, list_children_for_guardian
from tenants.scope import Scope

VISIBLE_STATUSES = (Activity.Status.PUBLISHED, Activity.Status.CLOSED)


def is_open(activity: Activity) -> bool:
    """Can families answer it now? Published, not closed (a due date only orders the feed), and
    not reached through a child the school removed (`access_child_activity` marks those)."""
    return (
        activity.status == Activity.Status.PUBLISHED
        and activity.closed_at is None
        and not getattr(activity, "is_read_only_for_family", False)
    )


def get_child_reach(scope: Scope, child: Child) -> Reach:
    return get_reach(child, group_ids=list_group_ids_of(scope.user.id, scope.district.id))


def list_activities_for_child(scope: Scope, child: Child, reach: Reach) -> QuerySet[Activity]:
    """Published or closed activities that reach the child (the child is access-checked); for a
    child the school removed, those they took part in (their enrollments have ended)."""
    if not child.is_active:
        return (
            Activity.objects.filter(  # scoped: the child's district and own submissions
                district_id=scope.district.id,
                status__in=VISIBLE_STATUSES,
                is_template=False,
                submissions__child_id=child.id,
            )
            .distinct()
            .order_by("due_at", "-published_at", "id")
        )
    return (
        Activity.objects.filter(  # scoped: the child's district and reach
            reach.target_q(),
            district_id=scope.district.id,
            status__in=VISIBLE_STATUSES,
            is_template=False,
        )
        .distinct()
        .order_by("due_at", "-published_at", "id")
    )


@dataclass
class FeedItem:
    activity: Activity
    submission: Submission | None = None


@dataclass
class ChildFeed:
    child: Child
    open: list[FeedItem] = field(default_factory=list)
    done: list[FeedItem] = field(default_factory=list)


def get_child_feed(scope: Scope, child: Child) -> ChildFeed:
    """What is open for the child (due soonest first, then undated), and what is done.

    Queries: the guardian's groups, the activities, the child's submissions for them.
    """
    reach = get_child_reach(scope, child)
    activities = list(list_activities_for_child(scope, child, reach))
    submissions = {
        s.activity_id: s
        for s in Submission.objects.filter(
            district_id=scope.district.id,
            child_id=child.id,
            activity_id__in=[a.id for a in activities],
        )
    }
    feed = ChildFeed(child=child)
    for activity in activities:
        submission = submissions.get(activity.id)
        if submission is not None:
            feed.done.append(FeedItem(activity, submission))
        elif is_open(activity) and child.is_active:
            feed.open.append(FeedItem(activity))
    feed.open.sort(key=lambda item: (item.activity.due_at is None, item.activity.due_at or 0))
    feed.done.sort(key=lambda item: item.submission.submitted_at, reverse=True)
    return feed


def access_child_activity(scope: Scope, child_id: int, activity_id: int) -> tuple[Child, Activity]:
    """The guardian's child and an activity that reaches them (404 otherwise), with questions.
    Through a child the school removed, the activity is read-only (`is_open` is False)."""
    child = access_child_for_guardian(scope, child_id)
    reach = get_child_reach(scope, child)
    activity = get_object_or_404(
        list_activities_for_child(scope, child, reach).prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("position", "id")),
            "targets",
        ),
        id=activity_id,
    )
    activity.is_read_only_for_family = not child.is_active
    return child, activity


def get_own_submission(scope: Scope, child: Child, activity: Activity) -> Submission | None:
    """The child's submission for the activity, with its photos (both access-checked)."""
    return (
        Submission.objects.filter(
            district_id=scope.district.id, child_id=child.id, activity_id=activity.id
        )
        .prefetch_related("photos")
        .first()
    )


def list_portfolio(scope: Scope, child: Child) -> QuerySet[Submission]:
    """The child's past work with the teacher's feedback, newest first (child access-checked)."""
    return (
        Submission.objects.filter(district_id=scope.district.id, child_id=child.id)
        .select_related("activity")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=Photo.objects.filter(status=Photo.Status.READY),
                to_attr="ready_photos",
            )
        )
        .order_by("-submitted_at", "-id")
    )


def list_badges(scope: Scope, child: Child) -> QuerySet[BadgeAward]:
    return BadgeAward.objects.filter(district_id=scope.district.id, child_id=child.id).order_by(
        "awarded_at", "id"
    )


def get_progress(scope: Scope, child: Child) -> ChildProgress | None:
    return ChildProgress.objects.filter(district_id=scope.district.id, child_id=child.id).first()


def access_family_photo(scope: Scope, photo_id: int) -> Photo:
    """A photo of one of the guardian's own children's submissions (404 for anyone else's)."""
    children = list_children_for_guardian(scope).values("id")
    return get_object_or_404(
        Photo.objects.select_related("submission"),
        id=photo_id,
        district_id=scope.district.id,
        submission__child_id__in=children,
    )


def _reaches(target, reach: Reach) -> bool:
    """Does this target reach a child with this reach? (The Python twin of Reach.target_q.)"""
    if target.classroom_id:
        return target.classroom_id in reach.classroom_ids
    if target.group_id:
        return target.group_id in reach.group_ids
    if target.school_id != reach.school_id:
        return False
    return not target.grade_level or target.grade_level in reach.grade_levels


def list_reachable_open_activities_by_child(
    scope: Scope, children: list[Child]
) -> dict[int, list[Activity]]:
    """{child id: open activities that reach the child, done or not, due soonest first} for the
    guardian's children (access-checked, with `current_enrollments` prefetched; the caller leaves
    out children the school removed). What a submission does not change: the family home leaves
    out what is done (list_done_activity_ids). 2 queries, whatever the family; the activities'
    `body_html` is deferred."""
    if not children:
        return {}
    groups = list_group_ids_of(scope.user.id, scope.district.id)
    reaches = {child.id: get_reach(child, group_ids=groups) for child in children}
    matching = Q(pk__in=[])
    for reach in reaches.values():
        matching |= reach.target_q(prefix="")
    targets = list(
        ActivityTarget.objects.filter(  # scoped: the family's district and reach
            matching,
            district_id=scope.district.id,
            activity__status=Activity.Status.PUBLISHED,
            activity__closed_at__isnull=True,
            activity__is_template=False,
        )
        .select_related("activity")
        .defer("activity__body_html")
    )
    by_child: dict[int, dict[int, Activity]] = {child.id: {} for child in children}
    for target in targets:
        for child_id, reach in reaches.items():
            if _reaches(target, reach):
                by_child[child_id][target.activity_id] = target.activity
    return {
        child_id: sorted(found.values(), key=lambda a: (a.due_at is None, a.due_at or 0, a.id))
        for child_id, found in by_child.items()
    }


def list_done_activity_ids(scope: Scope, child_ids) -> set[tuple[int, int]]:
    """{(child id, activity id)} of these children's submissions to open activities (the
    children are access-checked by the caller). 1 query, none for no child."""
    if not child_ids:
        return set()
    return set(
        Submission.objects.filter(
            district_id=scope.district.id,
            child_id__in=list(child_ids),
            activity__status=Activity.Status.PUBLISHED,
            activity__closed_at__isnull=True,
        ).values_list("child_id", "activity_id")
    )
