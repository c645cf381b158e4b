"""Milestone badges (activities.actions.progress) at their boundaries, with frozen time: the first
activity, 5 / 10 / 25 completions, and weekly streaks (Monday to Sunday in the school's time zone)
that forgive one missed week but not two."""

import datetime
import zoneinfo

import pytest
import time_machine

from activities.models import BadgeAward, ChildProgress
from tests.activities.helpers import quiz_for
from tests.activities.test_review import submit

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")  # Lakeside's time zone


def badges(child) -> list[str]:
    return list(
        BadgeAward.objects.filter(child=child).order_by("id").values_list("kind", flat=True)
    )


def progress(child) -> ChildProgress:
    return ChildProgress.objects.get(child=child)


def local(year, month, day, hour=12, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def submit_at(world, moment, activity):
    with time_machine.travel(moment, tick=False):
        return submit(world.ben, world.noah, activity)


def test_completion_milestones_at_1_5_10_and_25(world):
    activities = [quiz_for(world) for _ in range(26)]
    expected = {1: ["first"], 5: ["first", "five"], 10: ["first", "five", "ten"]}
    expected[25] = ["first", "five", "ten", "twenty_five"]
    seen = []
    for count, activity in enumerate(activities, start=1):
        submit(world.ben, world.noah, activity)
        seen.append(badges(world.noah))
        if count in expected:
            assert seen[-1] == expected[count], count
    assert seen[3] == ["first"]  # 4 completions: no five yet
    assert seen[8] == ["first", "five"]  # 9: no ten yet
    assert seen[23] == ["first", "five", "ten"]  # 24: no twenty-five yet
    assert seen[25] == expected[25]  # 26: nothing more
    assert (progress(world.noah).completions, progress(world.noah).points) == (26, 260)


def test_editing_a_submission_counts_nothing_again(world):
    quiz = quiz_for(world)
    submit(world.ben, world.noah, quiz)
    submit(world.ben, world.noah, quiz, short="8")
    assert (progress(world.noah).completions, badges(world.noah)) == (1, ["first"])


def test_a_milestone_badge_names_the_submission_that_earned_it(world):
    quiz = quiz_for(world)
    submission = submit(world.ben, world.noah, quiz)
    award = BadgeAward.objects.get(child=world.noah)
    assert (award.kind, award.submission, award.district, award.school) == (
        "first",
        submission,
        world.lakeside,
        world.a1,
    )


def test_a_weekly_streak_forgives_one_missed_week(world):
    activities = [quiz_for(world) for _ in range(5)]
    # Weeks of Monday 2 Nov, 9 Nov, 16 Nov; none the week of 23 Nov; then the week of 30 Nov.
    moments = [local(2026, 11, 2), local(2026, 11, 9), local(2026, 11, 16), local(2026, 12, 3)]
    streaks = []
    for moment, activity in zip(moments, activities, strict=False):
        submit_at(world, moment, activity)
        streaks.append(progress(world.noah).streak_weeks)
    assert streaks == [1, 2, 3, 4]
    assert badges(world.noah) == ["first", "streak_4"]
    assert progress(world.noah).last_week == datetime.date(2026, 11, 30)


def test_two_missed_weeks_start_the_streak_again(world):
    activities = [quiz_for(world) for _ in range(3)]
    submit_at(world, local(2026, 11, 2), activities[0])
    submit_at(world, local(2026, 11, 9), activities[1])
    # Nothing the weeks of 16 and 23 November.
    submit_at(world, local(2026, 11, 30), activities[2])
    noah = progress(world.noah)
    assert (noah.streak_weeks, noah.best_streak_weeks) == (1, 2)


def test_two_completions_in_one_week_are_one_week_of_streak(world):
    activities = [quiz_for(world) for _ in range(2)]
    submit_at(world, local(2026, 11, 23, 0, 0), activities[0])  # Monday, midnight
    submit_at(world, local(2026, 11, 29, 23, 59), activities[1])  # Sunday, one minute to go
    assert (progress(world.noah).streak_weeks, progress(world.noah).completions) == (1, 2)


def test_the_week_turns_at_midnight_on_monday_in_the_schools_time_zone(world):
    activities = [quiz_for(world) for _ in range(2)]
    submit_at(world, local(2026, 11, 29, 23, 59), activities[0])  # Sunday 23:59 in Chicago
    # Monday 00:00 in Chicago (06:00 UTC): a new week, so a streak of two.
    submit_at(world, local(2026, 11, 30, 0, 0), activities[1])
    assert progress(world.noah).streak_weeks == 2
    assert progress(world.noah).last_week == datetime.date(2026, 11, 30)


def test_monday_in_utc_is_still_sunday_in_chicago(world):
    activities = [quiz_for(world) for _ in range(2)]
    submit_at(world, local(2026, 11, 29, 9), activities[0])  # Sunday morning
    # Monday 03:00 UTC is Sunday 21:00 in Chicago: the same week.
    submit_at(world, datetime.datetime(2026, 11, 30, 3, 0, tzinfo=datetime.UTC), activities[1])
    assert progress(world.noah).streak_weeks == 1


def test_a_ten_week_streak(world):
    activities = [quiz_for(world) for _ in range(10)]
    start = local(2026, 9, 7)  # a Monday
    for week, activity in enumerate(activities):
        submit_at(world, start + datetime.timedelta(weeks=week), activity)
        if week == 8:
            assert "streak_10" not in badges(world.noah)
    assert progress(world.noah).streak_weeks == 10
    assert badges(world.noah) == ["first", "streak_4", "five", "ten", "streak_10"]
