"""A guardian's text-and-quiz submission, end to end.

submit_p95_ms: the 95th percentile of the wall time of POST /api/v1/family/children/<child>/
activities/<activity>/ (JSON: a short text and the answers to a two-question quiz), sent one at a
time to gunicorn on loopback by signed-in guardians of the bench district, each a new submission
(so each counts towards progress and badges: the heavier path). The quizzes are made for the run,
one per classroom of the sampled children per round, and removed afterwards with everything
their submissions wrote.
"""

import statistics
import time

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from activities.models import (
    Activity,
    ActivityEvent,
    ActivityTarget,
    BadgeAward,
    ChildProgress,
    Question,
)
from engage import versioned_cache
from engage.bench.http import create_session_cookie, run_gunicorn
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark
from guardians.models import GuardianLink
from tenants.cache_keys import school_activities_dependency
from tenants.models import Classroom, Role

WARM_UP = 10
FAMILIES = {"tiny": 4, "small": 20, "district": 40}
QUIZZES_PER_CLASSROOM = {"tiny": 3, "small": 8, "district": 8}
TITLE = "Bench submit quiz"


@benchmark("submit")
def submit(context: BenchContext) -> Metrics:
    """A guardian's text-and-quiz submission request, end to end: p95 in ms."""
    data = context.data
    families = FAMILIES.get(context.scale, 20)
    pairs = _children(data, families)
    quizzes = make_quizzes(
        data.district,
        [classroom_id for _, _, classroom_id in pairs],
        QUIZZES_PER_CLASSROOM.get(context.scale, 8),
    )
    try:
        timings = _post_all(context, pairs, quizzes)
    finally:
        clean_up(data.district, [child_id for _, child_id, _ in pairs])
    measured = timings[WARM_UP:] if len(timings) > WARM_UP * 4 else timings
    p95 = statistics.quantiles(measured, n=20)[-1] if len(measured) >= 2 else measured[0]
    context.write(
        f"submit: {len(measured)} submissions measured (after {len(timings) - len(measured)} "
        f"warm-up), median {statistics.median(measured):.1f} ms, p95 {p95:.1f} ms"
    )
    return {"submit_p95_ms": round(p95, 1)}


def _children(data, families: int) -> list[tuple]:
    """(guardian, child id, classroom id) for the first parent of `families` families."""
    pairs = []
    for family in range(families):
        guardian = data.get_guardian(family, 1)
        link = (
            GuardianLink.objects.filter(  # bench: the seeded family's own link
                district_id=data.district.id, guardian_id=guardian.id, is_active=True
            )
            .select_related("child")
            .first()
        )
        enrollment = link.child.enrollments.filter(is_active=True).first()
        pairs.append((guardian, link.child_id, enrollment.classroom_id))
    return pairs


@transaction.atomic
def make_quizzes(
    district, classroom_ids: list[int], per_classroom: int, *, title: str = TITLE
) -> dict[int, list]:
    """Published two-question quizzes for the run, `per_classroom` in each classroom:
    {classroom id: [(activity id, choice question id, short question id), ...]}. The schools'
    cached family pages are refreshed, as publishing does."""
    quizzes: dict[int, list] = {}
    now = timezone.now()
    school_ids = set()
    for classroom_id in classroom_ids:
        if classroom_id in quizzes:
            continue
        quizzes[classroom_id] = []
        school_id = Classroom.objects.get(id=classroom_id).school_id
        school_ids.add(school_id)
        for number in range(per_classroom):
            activity = Activity.objects.create(
                district=district,
                school_id=school_id,
                kind=Activity.Kind.QUIZ,
                title=f"{title} {number}",
                status=Activity.Status.PUBLISHED,
                published_at=now,
            )
            ActivityTarget.objects.create(
                district=district, activity=activity, school_id=school_id, classroom_id=classroom_id
            )
            choice = Question.objects.create(
                district=district,
                activity=activity,
                prompt="2 + 3?",
                choices=["4", "5", "6"],
                correct_choice=1,
            )
            short = Question.objects.create(
                district=district,
                activity=activity,
                position=1,
                kind=Question.Kind.SHORT,
                prompt="Favourite number?",
            )
            quizzes[classroom_id].append((activity.id, choice.id, short.id))
    versioned_cache.bump(*(school_activities_dependency(i) for i in sorted(school_ids)))
    return quizzes


def _post_all(context: BenchContext, pairs, quizzes) -> list[float]:
    timings: list[float] = []
    cleanups = []
    with run_gunicorn(context.run_dir) as server:
        base = f"http://{server.host}:{server.port}"
        try:
            sessions = []
            for guardian, child_id, classroom_id in pairs:
                cookie, delete = create_session_cookie(guardian, role=Role.GUARDIAN)
                cleanups.append(delete)
                http = requests.Session()
                for part in cookie.split("; "):
                    name, _, value = part.partition("=")
                    http.cookies.set(name, value)
                csrf = http.cookies.get(settings.CSRF_COOKIE_NAME)
                sessions.append((http, csrf, child_id, classroom_id))
                # Warm the workers and the session (its policy check), untimed.
                for _ in range(2):
                    http.get(f"{base}/api/v1/family/children/{child_id}/activities/", timeout=30)
            for round_number in range(len(next(iter(quizzes.values())))):
                for http, csrf, child_id, classroom_id in sessions:
                    activity_id, choice_id, short_id = quizzes[classroom_id][round_number]
                    url = f"{base}/api/v1/family/children/{child_id}/activities/{activity_id}/"
                    body = {
                        "text": "We counted the stairs together.",
                        "answers": {str(choice_id): 1, str(short_id): "7"},
                    }
                    started = time.perf_counter()
                    response = http.post(url, json=body, headers={"X-CSRFToken": csrf}, timeout=30)
                    elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise BenchError(
                            f"POST {url} answered {response.status_code}: "
                            f"{response.text[:300]}\n{server.log_tail()}"
                        )
                    timings.append(elapsed)
        finally:
            for delete in cleanups:
                delete()
    return timings


@transaction.atomic
def clean_up(district, child_ids: list[int], *, title: str = TITLE) -> None:
    """Remove the run's quizzes and what their submissions wrote (the seed stays as it was)."""
    activities = Activity.objects.filter(district=district, title__startswith=title)
    ActivityEvent.objects.filter(district=district, activity__in=activities).delete()
    BadgeAward.objects.filter(district=district, child_id__in=child_ids).delete()
    ChildProgress.objects.filter(district=district, child_id__in=child_ids).delete()
    school_ids = sorted(set(activities.values_list("school_id", flat=True)))
    activities.delete()
    versioned_cache.bump(*(school_activities_dependency(i) for i in school_ids))
