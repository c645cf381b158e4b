"""A small known world for the dashboards: Lakeside Elementary (a1) with 17 families.

Frozen at Wednesday 18 November 2026, 12:00 in Chicago (ISO week 47, school year Y2026).

Room 1 (grade 03): Mia, Noah and c1..c8. Room 2 (grade 04): Ivy and d1..d6. Lakeside Middle
(a2): Leo. Each new child has one guardian of their own (c1..c3 speak Spanish). c1..c5 are
recorded as disadvantaged, c6..c8, d1..d6, Mia, Noah and Ivy as not; Leo is not recorded.

- Invited: every guardian of c1..c8 and d1..d6 (14 families); joined: c1..c6 and d1..d4 (10).
- d6's email is suppressed (opted out).
- Tom's quiz (Room 1): c1..c6 complete it. Priya's task (all of a1): c1, c2 and d1..d5.
  So a1 has 11 families who completed something and 13 completions.
- c7's guardian signs in: 12 families active.
"""

import datetime

import pytest
import time_machine
from django.utils import timezone

from activities.actions.submissions import do_submit
from activities.models import Activity
from activities.queries import family
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.actions.invites import do_accept_invite, do_invite_guardians
from guardians.models import Invite
from notifications.actions import do_suppress_address
from privacy.audit import Actor
from privacy.fields import with_keyed_hashes
from tenants.actions import do_create_user
from tests.activities.helpers import family_scope, quiz_for, scope_of, task_for

SYSTEM = Actor.system()
NOW = datetime.datetime(2026, 11, 18, 18, 0, tzinfo=datetime.UTC)


class DashWorld:
    pass


def _family(world, key, classroom, grade, *, language="en", disadvantaged=None):
    school = classroom.school
    child = do_create_child(
        school, first_name=key.upper(), last_name="Family", grade_level=grade, actor=SYSTEM
    )
    do_enroll_child(child, classroom, actor=SYSTEM)
    if disadvantaged is not None:
        child.is_disadvantaged = disadvantaged
        child.save(update_fields=with_keyed_hashes(type(child), ["is_disadvantaged"]))
    guardian = do_create_user(
        email=f"{key}@example.org",
        first_name=f"Parent {key}",
        last_name="Family",
        preferred_language=language,
        actor=SYSTEM,
    )
    do_link_guardian(child, guardian, actor=SYSTEM)
    return child, guardian


def submit(guardian, child, activity):
    scope = family_scope(guardian)
    child, activity = family.access_child_activity(scope, child.id, activity.id)
    answers = {str(q.id): (1 if q.kind == "choice" else "7") for q in activity.questions.all()}
    return do_submit(
        scope, child, activity, text="We did it", answers=answers, actor=Actor(user=guardian)
    )


def build_dash_world(world) -> DashWorld:
    from dashboards.actions import record_sign_in
    from dashboards.rebuild import rebuild_district

    # The named world was built before this test's on-commit capture: the nightly run counts it.
    for child in (world.mia, world.noah, world.ivy):
        child.is_disadvantaged = False
        child.save(update_fields=with_keyed_hashes(type(child), ["is_disadvantaged"]))
    for district in world.districts.values():
        rebuild_district(district)
    d = DashWorld()
    d.world = world
    d.children, d.guardians = {}, {}
    for n in range(1, 9):
        key = f"c{n}"
        d.children[key], d.guardians[key] = _family(
            world,
            key,
            world.room1,
            "03",
            language="es" if n <= 3 else "en",
            disadvantaged=n <= 5,
        )
    for n in range(1, 7):
        key = f"d{n}"
        d.children[key], d.guardians[key] = _family(
            world, key, world.room2, "04", disadvantaged=False
        )
    priya = scope_of(world.priya)
    invited = [d.guardians[k] for k in sorted(d.guardians)]
    do_invite_guardians(
        priya, invited, channels=["email"], joined_ids=set(), actor=Actor(user=world.priya)
    )
    for key in ("c1", "c2", "c3", "c4", "c5", "c6", "d1", "d2", "d3", "d4"):
        invite = Invite.objects.get(guardian=d.guardians[key], accepted_at=None, revoked_at=None)
        do_accept_invite(invite, channel="email", actor=Actor(user=d.guardians[key]))
    do_suppress_address("email", "d6@example.org", reason="unsubscribed", actor=SYSTEM)
    d.quiz = quiz_for(world)
    d.task = task_for(world, response=Activity.Response.TEXT)
    for key in ("c1", "c2", "c3", "c4", "c5", "c6"):
        submit(d.guardians[key], d.children[key], d.quiz)
    for key in ("c1", "c2", "d1", "d2", "d3", "d4", "d5"):
        submit(d.guardians[key], d.children[key], d.task)
    record_sign_in(d.guardians["c7"])
    return d


@pytest.fixture
def dash(world, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            built = build_dash_world(world)
        yield built


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield timezone.now()
