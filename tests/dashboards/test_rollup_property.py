"""The rollups equal a from-scratch recomputation after any mix of submissions, sign-ins,
publications, erasures, deletions and restores (a property-based test).

Each example runs a random sequence of real actions on the known world, then:
- the nightly rebuild finds nothing to repair (drift 0), and
- recounting every aggregate from scratch (the counters deleted first) gives the same rows.
"""

import contextlib
import datetime

import pytest
import time_machine
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.actions.submissions import SubmissionError
from activities.models import Submission
from dashboards.models import FamilyPeriod, FamilyState, PeriodStats
from dashboards.rebuild import rebuild_district
from privacy.audit import Actor
from privacy.erasure import do_erase_family
from privacy.lifecycle import do_delete_with_restore, do_restore
from privacy.models import Archive, PrivacyRequest
from privacy.requests import do_create_request
from tests.dashboards.conftest import NOW, submit

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system()
FAMILIES = ["c1", "c2", "c3", "c7", "c8", "d5", "d6"]
operation = st.one_of(
    st.tuples(st.just("submit"), st.sampled_from(FAMILIES), st.sampled_from(["quiz", "task"])),
    st.tuples(st.just("sign_in"), st.sampled_from(FAMILIES), st.just("")),
    st.tuples(st.just("erase"), st.sampled_from(FAMILIES), st.just("")),
    st.tuples(st.just("delete_child"), st.sampled_from(FAMILIES), st.just("")),
    st.tuples(st.just("delete_submission"), st.sampled_from(FAMILIES), st.just("")),
    st.tuples(st.just("restore"), st.just(""), st.just("")),
)
steps = st.lists(st.tuples(operation, st.integers(min_value=0, max_value=70)), max_size=8)


def snapshot(district):
    stats = {
        (r.school_id, r.period, r.dim, r.value): (
            r.families_completed,
            r.completions,
            r.families_active,
            r.activities_published,
        )
        for r in PeriodStats.objects.filter(district=district)
        if any((r.families_completed, r.completions, r.families_active, r.activities_published))
    }
    families = {
        (r.child_id, r.period): (r.completions, r.signed_in, r.school_id, r.classroom_id)
        for r in FamilyPeriod.objects.filter(district=district)
    }
    states = dict(
        FamilyState.objects.filter(district=district).values_list("child_id", "last_active_at")
    )
    return stats, families, states


def test_the_known_world_has_no_drift(dash):
    district = dash.world.lakeside
    before = snapshot(district)
    assert rebuild_district(district) == 0
    assert snapshot(district) == before


def apply(dash, name, key, what):
    from dashboards.actions import record_sign_in
    from privacy.archive import RestoreError

    if name == "restore":
        archive = Archive.objects.filter(state=Archive.State.ARCHIVED).order_by("-id").first()
        if archive is not None:
            with contextlib.suppress(RestoreError):  # something created since collides
                do_restore(archive, actor=SYSTEM)
        return
    guardian, child = dash.guardians[key], dash.children[key]
    if name == "submit":
        child = type(child).objects.filter(id=child.id).first()
        if child is None:
            return
        activity = dash.quiz if what == "quiz" else dash.task
        if key.startswith("d") and what == "quiz":
            activity = dash.task  # the quiz is Room 1's
        # An erased family has no access left (404), a deleted guardian neither.
        with contextlib.suppress(Http404, SubmissionError, StopIteration):
            submit(guardian, child, activity)
    elif name == "sign_in":
        record_sign_in(guardian)
    elif name == "erase":
        if guardian.is_active and guardian.memberships.filter(is_active=True).exists():
            request = do_create_request(
                dash.world.lakeside,
                kind=PrivacyRequest.Kind.ERASURE,
                requester=guardian,
                actor=SYSTEM,
            )
            do_erase_family(request, actor=SYSTEM)
    elif name == "delete_child":
        live = type(child).objects.filter(id=child.id).first()
        if live is not None:
            do_delete_with_restore(
                live,
                kind="child",
                district_id=live.district_id,
                school_id=live.school_id,
                actor=SYSTEM,
                reason="test",
            )
    elif name == "delete_submission":
        submission = Submission.objects.filter(child_id=child.id).order_by("id").first()
        if submission is not None:
            do_delete_with_restore(
                submission,
                kind="submission",
                district_id=submission.district_id,
                school_id=submission.school_id,
                actor=SYSTEM,
                reason="test",
            )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_rollups_equal_a_recount_after_any_sequence(
    dash, django_capture_on_commit_callbacks, steps
):
    district = dash.world.lakeside
    print("steps:", steps)
    with transaction.atomic():
        for (name, key, what), days_ago in sorted(steps, key=lambda s: -s[1]):
            with (
                time_machine.travel(NOW - datetime.timedelta(days=days_ago), tick=False),
                django_capture_on_commit_callbacks(execute=True),
                transaction.atomic(),
            ):
                apply(dash, name, key, what)
        incremental = snapshot(district)
        with time_machine.travel(NOW, tick=False):
            assert rebuild_district(district) == 0
            assert snapshot(district) == incremental
            PeriodStats.objects.filter(district=district).delete()
            rebuild_district(district)
        assert snapshot(district) == incremental
        transaction.set_rollback(True)
