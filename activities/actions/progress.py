"""A child's progress: completions, points, weekly streaks and milestone badges.

Called inside the submitting transaction. The ChildProgress row is locked (select_for_update)
before it is read, so two submissions for one child at the same moment add up to two and a
milestone badge is awarded once (the unique constraint backs this up). A streak counts weeks
(Monday to Sunday, in the school's time zone) with a completion, and forgives one missed week.
"""

import datetime
import zoneinfo

from django.utils import timezone

from activities.models import Activity, BadgeAward, ChildProgress, Submission
from guardians.models import Child

MILESTONES = {
    1: BadgeAward.Kind.FIRST,
    5: BadgeAward.Kind.FIVE,
    10: BadgeAward.Kind.TEN,
    25: BadgeAward.Kind.TWENTY_FIVE,
}
STREAKS = {4: BadgeAward.Kind.STREAK_4, 10: BadgeAward.Kind.STREAK_10}


def lock_progress(child: Child) -> ChildProgress:
    """The child's progress row, created when missing, locked until the transaction ends."""
    rows = ChildProgress.objects.select_for_update()
    progress = rows.filter(district_id=child.district_id, child_id=child.id).first()
    if progress is not None:
        return progress
    # Created by a concurrent submission meanwhile: no row here, and that one is locked below.
    ChildProgress.objects.bulk_create(
        [ChildProgress(district_id=child.district_id, school_id=child.school_id, child=child)],
        ignore_conflicts=True,
    )
    return rows.get(district_id=child.district_id, child_id=child.id)


def week_of(moment: datetime.datetime, tz_name: str) -> datetime.date:
    local = moment.astimezone(zoneinfo.ZoneInfo(tz_name)).date()
    return local - datetime.timedelta(days=local.weekday())


def record_completion(
    submission: Submission, activity: Activity, child: Child, *, timezone_name: str
) -> list[BadgeAward]:
    """Count a first-time completion; returns the milestone badges it earned. Weeks are counted
    in `timezone_name` (the school's)."""
    progress = lock_progress(child)
    progress.completions += 1
    progress.points += activity.points
    week = week_of(submission.submitted_at, timezone_name)
    progress.streak_weeks = _next_streak(progress, week)
    progress.best_streak_weeks = max(progress.best_streak_weeks, progress.streak_weeks)
    progress.last_week = max(week, progress.last_week) if progress.last_week else week
    progress.updated_at = timezone.now()
    progress.save()
    earned = [kind for count, kind in MILESTONES.items() if progress.completions == count]
    earned += [kind for weeks, kind in STREAKS.items() if progress.streak_weeks == weeks]
    return [_award(child, kind, submission) for kind in earned if not _has(child, kind)]


def _next_streak(progress: ChildProgress, week: datetime.date) -> int:
    if progress.last_week is None:
        return 1
    gap = (week - progress.last_week).days // 7
    if gap <= 0:
        return progress.streak_weeks or 1  # this week already counted (or a late, older week)
    if gap <= 2:  # the next week, or the one after a single missed week
        return progress.streak_weeks + 1
    return 1


def _has(child: Child, kind: str) -> bool:
    return BadgeAward.objects.filter(
        district_id=child.district_id, child_id=child.id, kind=kind
    ).exists()


def _award(child: Child, kind: str, submission: Submission) -> BadgeAward:
    return BadgeAward.objects.create(
        district_id=child.district_id,
        school_id=child.school_id,
        child=child,
        kind=kind,
        submission=submission,
    )
