"""Leaderboards: a classroom's children by completions (names as the school chose, opted-out
families left out), schools' classrooms and the district's schools by participation this week
(from Monday in the school's time zone) and this school year; exact values, fixed query counts."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.http import Http404

from activities.actions.leaderboards import (
    do_set_leaderboard_choice,
    do_set_school_leaderboard_settings,
)
from activities.models import ChildProgress, SchoolActivitySettings
from activities.queries.leaderboards import (
    LeaderboardRow,
    ParticipationRow,
    access_classroom_for_leaderboard,
    access_school_for_leaderboard,
    get_classroom_leaderboard,
    get_district_leaderboard,
    get_school_leaderboard,
    week_start,
)
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from privacy.audit import Actor
from privacy.models import AuditEvent
from tenants.actions import do_create_user
from tests.activities.helpers import quiz_for, scope_of
from tests.activities.test_review import submit

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
SYSTEM = Actor.system()


def family(world, first, last, classroom=None, *, email=None):
    classroom = classroom or world.room1
    parent = do_create_user(email=email or f"{first.lower()}@example.org", actor=SYSTEM)
    child = do_create_child(classroom.school, first_name=first, last_name=last, actor=SYSTEM)
    do_enroll_child(child, classroom, actor=SYSTEM)
    do_link_guardian(child, parent, actor=SYSTEM)
    return parent, child


def quizzes(world, count, classroom=None):
    return [quiz_for(world, classroom) for _ in range(count)]


def test_a_classroom_ranks_children_by_completions_with_shared_ranks(world):
    q1, q2, q3 = quizzes(world, 3)
    zed_parent, zed = family(world, "Zed", "Young")
    amy_parent, amy = family(world, "Amy", "bell")
    for quiz in (q1, q2, q3):
        submit(world.ben, world.noah, quiz)
    for quiz in (q1, q2):
        submit(zed_parent, zed, quiz)
        submit(amy_parent, amy, quiz)
    submit(world.ana, world.mia, q1)

    rows = get_classroom_leaderboard(world.room1, viewer_child_ids=[world.mia.id])

    assert rows == [
        LeaderboardRow(1, "Noah B.", 3, False),
        LeaderboardRow(2, "Amy B.", 2, False),
        LeaderboardRow(2, "Zed Y.", 2, False),
        LeaderboardRow(4, "Mia A.", 1, True),
    ]


def test_only_the_classrooms_own_completions_count_and_children_with_none_are_left_out(world):
    (quiz,) = quizzes(world, 1)
    other = task_for(world, world.room2)
    submit(world.ana, world.mia, quiz)
    submit(world.tess, world.ivy, other)  # Room 2
    assert get_classroom_leaderboard(world.room1) == [LeaderboardRow(1, "Mia A.", 1)]
    assert get_classroom_leaderboard(world.room2) == [LeaderboardRow(1, "Ivy T.", 1)]
    assert get_classroom_leaderboard(world.room7) == []


def test_a_preferred_name_is_the_first_name_shown(world):
    (quiz,) = quizzes(world, 1)
    world.noah.preferred_name = "Noe"
    world.noah.save(update_fields=["preferred_name"])
    submit(world.ben, world.noah, quiz)
    assert get_classroom_leaderboard(world.room1)[0].display_name == "Noe B."


def test_families_choose_a_nickname_or_to_stay_off_the_leaderboard(world):
    (quiz,) = quizzes(world, 1)
    submit(world.ana, world.mia, quiz)
    submit(world.ben, world.noah, quiz)
    do_set_leaderboard_choice(
        world.mia, nickname="  Team\u200b  Rocket ", is_on_leaderboard=True, actor=Actor(world.ana)
    )
    do_set_leaderboard_choice(world.noah, nickname="", is_on_leaderboard=False, actor=SYSTEM)

    # The default: first name and last initial; the nickname shows only if the school says so.
    assert get_classroom_leaderboard(world.room1) == [LeaderboardRow(1, "Mia A.", 1)]
    do_set_school_leaderboard_settings(
        world.a1, name_style="nickname", is_leaderboard_shown=True, actor=Actor(world.priya)
    )
    assert get_classroom_leaderboard(world.room1) == [LeaderboardRow(1, "Team Rocket", 1)]

    do_set_leaderboard_choice(world.noah, nickname="", is_on_leaderboard=True, actor=SYSTEM)
    # A school that shows nicknames never shows a child's name: no nickname, "A family".
    assert get_classroom_leaderboard(world.room1) == [
        LeaderboardRow(1, "A family", 1),
        LeaderboardRow(1, "Team Rocket", 1),
    ]
    progress = ChildProgress.objects.get(child=world.mia)
    assert (progress.nickname, progress.is_on_leaderboard, progress.completions) == (
        "Team Rocket",
        True,
        1,
    )
    audit = AuditEvent.objects.get(action="leaderboard.choice", target_id=str(world.mia.id))
    assert (audit.actor, audit.target_id) == (world.ana, str(world.mia.id))
    assert audit.metadata == {"is_on_leaderboard": True, "has_nickname": True}


def test_a_nickname_is_short(world):
    from tenants.actions import ActionError

    with pytest.raises(ActionError, match="at most 40"):
        do_set_leaderboard_choice(
            world.mia, nickname="x" * 41, is_on_leaderboard=True, actor=SYSTEM
        )
    assert not ChildProgress.objects.filter(child=world.mia).exists()


def test_a_child_who_left_the_classroom_is_not_listed(world):
    (quiz,) = quizzes(world, 1)
    submit(world.ben, world.noah, quiz)
    world.noah.enrollments.update(is_active=False)
    assert get_classroom_leaderboard(world.room1) == []


def test_families_see_nothing_when_the_school_turned_leaderboards_off(world):
    (quiz,) = quizzes(world, 1)
    submit(world.ana, world.mia, quiz)
    settings = do_set_school_leaderboard_settings(
        world.a1, name_style="first_initial", is_leaderboard_shown=False, actor=Actor(world.priya)
    )
    assert (settings.district_id, settings.school_id) == (world.lakeside.id, world.a1.id)
    assert get_classroom_leaderboard(world.room1, viewer_child_ids=[world.mia.id]) == []
    assert get_classroom_leaderboard(world.room1, is_staff_view=True) == [
        LeaderboardRow(1, "Mia A.", 1)
    ]
    assert AuditEvent.objects.get(action="leaderboard.settings").metadata == {
        "name_style": "first_initial",
        "is_leaderboard_shown": False,
    }
    assert SchoolActivitySettings.objects.count() == 1


def test_a_school_name_style_must_be_one_of_the_choices(world):
    from tenants.actions import ActionError

    with pytest.raises(ActionError):
        do_set_school_leaderboard_settings(
            world.a1, name_style="full_name", is_leaderboard_shown=True, actor=SYSTEM
        )
    assert SchoolActivitySettings.objects.count() == 0


def test_the_classroom_leaderboard_is_two_queries_however_large(world, assert_num_queries):
    q1, q2 = quizzes(world, 2)
    submit(world.ana, world.mia, q1)
    with assert_num_queries(2):  # the school's settings; the rows
        assert len(get_classroom_leaderboard(world.room1)) == 1
    for n in range(8):
        parent, child = family(world, f"Kid{n}", "More")
        for quiz in (q1, q2)[: 1 + n % 2]:
            submit(parent, child, quiz)
        do_set_leaderboard_choice(child, nickname=f"N{n}", is_on_leaderboard=n != 3, actor=SYSTEM)
    with assert_num_queries(2):
        assert len(get_classroom_leaderboard(world.room1)) == 8


# --- school and district ------------------------------------------------------------------------


def at(year, month, day, hour=12, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


def test_the_week_starts_on_monday_in_the_schools_time_zone():
    # Sunday 23:59 in Chicago is still last week; Monday 00:00 starts a new one.
    assert week_start(at(2026, 11, 29, 23, 59), "America/Chicago") == at(2026, 11, 23, 0)
    assert week_start(at(2026, 11, 30, 0, 0), "America/Chicago") == at(2026, 11, 30, 0)
    # Monday 03:00 UTC is Sunday evening in Chicago.
    monday_utc = datetime.datetime(2026, 11, 30, 3, 0, tzinfo=datetime.UTC)
    assert week_start(monday_utc, "America/Chicago") == at(2026, 11, 23, 0)
    assert week_start(monday_utc, "Europe/London").isoformat() == "2026-11-30T00:00:00+00:00"


def test_the_school_ranks_classrooms_by_participation_this_week_then_this_year(world):
    (q1,) = quizzes(world, 1)
    q2 = task_for(world, world.room2)
    extra_parent, extra = family(world, "Eve", "Extra", world.room2)
    with time_machine.travel(at(2026, 11, 20), tick=False):  # last week (a Friday)
        submit(world.ana, world.mia, q1)
        submit(world.tess, world.ivy, q2)
    with time_machine.travel(at(2026, 11, 23, 0, 1), tick=False):  # Monday, just after midnight
        submit(extra_parent, extra, q2)

    with time_machine.travel(at(2026, 11, 25), tick=False):
        rows = get_school_leaderboard(world.a1)
        assert rows == [
            # Room 2: Eve this week (1 of 2), Ivy and Eve this year (2 of 2).
            ParticipationRow(1, world.room2.id, "Room 2", 2, 1, 2),
            # Room 1: Mia last week only (1 of 2 this year: Noah has not taken part).
            ParticipationRow(2, world.room1.id, "Room 1", 2, 0, 1),
        ]
        assert (rows[0].week_percent, rows[0].year_percent) == (50, 100)
        assert (rows[1].week_percent, rows[1].year_percent) == (0, 50)
    with time_machine.travel(at(2026, 11, 29, 23, 59), tick=False):  # Sunday night: same week
        assert get_school_leaderboard(world.a1)[0].active_this_week == 1
    with time_machine.travel(at(2026, 11, 30, 0, 0), tick=False):  # next Monday
        assert [r.active_this_week for r in get_school_leaderboard(world.a1)] == [0, 0]


def test_a_child_counts_once_and_only_for_the_classroom_they_are_enrolled_in(world):
    q1, q2 = quizzes(world, 2)
    submit(world.ana, world.mia, q1)
    submit(world.ana, world.mia, q2)
    rows = {r.name: r for r in get_school_leaderboard(world.a1)}
    assert (rows["Room 1"].active_this_week, rows["Room 1"].active_this_year) == (1, 1)
    # Mia moves to Room 2: her Room 1 work stays with Room 1's (no longer hers) count.
    world.mia.enrollments.update(is_active=False)
    do_enroll_child(world.mia, world.room2, actor=SYSTEM)
    rows = {r.name: r for r in get_school_leaderboard(world.a1)}
    assert (rows["Room 1"].enrolled, rows["Room 1"].active_this_year) == (1, 0)
    assert (rows["Room 2"].enrolled, rows["Room 2"].active_this_year) == (2, 0)


def test_equal_rates_share_a_rank_and_an_empty_classroom_ranks_last(world):
    from tenants.actions import do_create_classroom
    from tenants.models import SchoolYear

    year = SchoolYear.objects.get(district=world.lakeside, is_current=True)
    do_create_classroom(world.a1, school_year=year, name="Room 0", actor=SYSTEM)
    rows = get_school_leaderboard(world.a1)
    assert [(r.rank, r.name, r.enrolled) for r in rows] == [
        (1, "Room 0", 0),
        (1, "Room 1", 2),
        (1, "Room 2", 1),
    ]


def test_last_years_classrooms_are_not_ranked(world):
    from tenants.actions import do_create_school_year

    do_create_school_year(
        world.lakeside,
        name="2027-2028",
        start_date=datetime.date(2027, 8, 15),
        end_date=datetime.date(2028, 6, 15),
        is_current=True,
        actor=SYSTEM,
    )
    assert get_school_leaderboard(world.a1) == []


def test_the_district_ranks_its_schools(world):
    (q1,) = quizzes(world, 1)
    q7 = quiz_for_room7(world)
    submit(world.ana, world.mia, q1)
    submit(world.ana, world.leo, q7)
    rows = get_district_leaderboard(world.lakeside)
    assert rows == [
        ParticipationRow(1, world.a2.id, "Lakeside Middle", 1, 1, 1),
        ParticipationRow(2, world.a1.id, "Lakeside Elementary", 3, 1, 1),
    ]
    assert get_district_leaderboard(world.hillcrest) == [
        ParticipationRow(1, world.b2.id, "Hillcrest Academy", 0, 0, 0),
        ParticipationRow(1, world.b1.id, "Hillcrest Primary", 1, 0, 0),
    ]


def test_each_school_counts_its_week_in_its_own_time_zone(world):
    (q1,) = quizzes(world, 1)
    world.a2.timezone = "Pacific/Auckland"
    world.a2.save(update_fields=["timezone"])
    q7 = quiz_for_room7(world)
    # Sunday 20:00 in Chicago is Monday 15:00 in Auckland: this week there, last week here.
    with time_machine.travel(at(2026, 11, 29, 20), tick=False):
        submit(world.ana, world.mia, q1)
        submit(world.ana, world.leo, q7)
    with time_machine.travel(at(2026, 11, 30, 1), tick=False):  # Monday in Chicago too
        rows = {r.name: r for r in get_district_leaderboard(world.lakeside)}
    assert rows["Lakeside Elementary"].active_this_week == 0
    assert rows["Lakeside Middle"].active_this_week == 1


def task_for(world, classroom, title="Read together"):
    """A one-question quiz for one classroom, set by its school's admin."""
    from activities.actions.authoring import (
        QuestionSpec,
        TargetSpec,
        do_create_activity,
        do_publish_activity,
    )

    admin = {world.a1.id: world.priya, world.a2.id: world.quinn}[classroom.school_id]
    activity = do_create_activity(
        scope_of(admin),
        kind="quiz",
        title=title,
        instructions="Read a book together.",
        targets=[TargetSpec(classroom=classroom)],
        questions=[QuestionSpec(prompt="1 + 1?", choices=("1", "2"), correct_choice=1)],
        actor=Actor(admin),
    )
    return do_publish_activity(activity, actor=Actor(admin))


def quiz_for_room7(world):
    return task_for(world, world.room7)


def test_school_and_district_leaderboards_take_fixed_queries(world, assert_num_queries):
    (quiz,) = quizzes(world, 1)
    submit(world.ana, world.mia, quiz)
    with assert_num_queries(1):
        get_school_leaderboard(world.a1)
    with assert_num_queries(2):  # the schools' time zones; the rows
        get_district_leaderboard(world.lakeside)
    from tenants.actions import do_create_classroom, do_create_school
    from tenants.models import SchoolYear

    year = SchoolYear.objects.get(district=world.lakeside, is_current=True)
    for n in range(4):
        school = do_create_school(world.lakeside, name=f"S{n}", slug=f"s{n}", actor=SYSTEM)
        room = do_create_classroom(world.a1, school_year=year, name=f"R{n}", actor=SYSTEM)
        do_create_classroom(school, school_year=year, name=f"R{n}", actor=SYSTEM)
        parent, child = family(world, f"Kid{n}", "More", room)
        submit(parent, child, task_for(world, room))
    with assert_num_queries(1):
        assert len(get_school_leaderboard(world.a1)) == 6
    with assert_num_queries(2):
        assert len(get_district_leaderboard(world.lakeside)) == 6


# --- who sees which -----------------------------------------------------------------------------


def test_staff_reach_classroom_leaderboards_in_their_scope(world):
    room1 = world.room1.id
    for person in ("tom", "priya", "sam", "dana"):
        assert access_classroom_for_leaderboard(scope_of(world.people[person]), room1).id == room1
    for person in ("tina", "mo", "quinn", "hugo", "hank", "vera", "ana", "ben"):
        with pytest.raises(Http404):
            access_classroom_for_leaderboard(scope_of(world.people[person]), room1)


def test_school_leaderboards_in_scope(world):
    assert access_school_for_leaderboard(scope_of(world.priya), None) == world.a1
    assert access_school_for_leaderboard(scope_of(world.tom), world.a1.id) == world.a1
    assert access_school_for_leaderboard(scope_of(world.dana), world.a2.id) == world.a2
    assert access_school_for_leaderboard(scope_of(world.vera), world.a2.id) == world.a2
    for person, school in [
        ("priya", world.a2),
        ("dana", world.b1),
        ("hank", world.a1),
        ("ana", world.a1),
    ]:
        with pytest.raises(Http404):
            access_school_for_leaderboard(scope_of(world.people[person]), school.id)
    with pytest.raises(Http404):
        access_school_for_leaderboard(scope_of(world.dana), None)
