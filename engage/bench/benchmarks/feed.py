"""The guardian home page, /family/ ("the feed"), with real content: each child's open activities.

feed_vs_bare_ratio: requests per second of /family/ over those of /bench/bare/ (a bare Django view
running one query), both served by one gunicorn and measured in alternating rounds, so whatever
else the machine does hits both alike; the ratio of the two medians.

feed_queries: the queries one /family/ request runs, counted in-process for a one-child family,
then again after the family and the district grow. The growth runs in a transaction that is rolled
back, so the bench data stays as seeded. Differing counts mean N+1: the larger one is reported.
"""

from statistics import median
from uuid import uuid4

from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from engage import versioned_cache
from engage.bench.activity_seed import get_or_seed_activity_data
from engage.bench.http import (
    create_session_cookie,
    get_scope_key,
    measure_requests_per_second,
    run_gunicorn,
)
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark
from engage.bench.seed import EMAIL_DOMAIN, SYSTEM, BenchData
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.models import GuardianLink
from tenants.actions import do_add_membership, do_create_classroom, do_create_user
from tenants.cache_keys import family_dependency, memberships_dependency
from tenants.models import Classroom, Role, SchoolYear, User
from tenants.scope import SESSION_KEY as SCOPE_SESSION_KEY

FEED_PATH = "/family/"
BARE_PATH = "/bench/bare/"
SIGNED_IN_GUARDIANS = 8
WARM_UP_SECONDS = 1.0
GROWTH_CHILDREN = 5
GROWTH_FAMILIES = 20


@benchmark("feed")
def feed(context: BenchContext) -> Metrics:
    """The guardian home page: throughput against a bare view, and its query count."""
    # Real feed content: the bench district's published activities and the families' submissions
    # (engage.bench.activity_seed), so every family's home lists what each child has to do.
    get_or_seed_activity_data(context.data, write=context.write)
    queries = count_feed_queries(context)
    ratio = measure_feed_vs_bare(context)
    return {"feed_vs_bare_ratio": round(ratio, 3), "feed_queries": queries}


def measure_feed_vs_bare(context: BenchContext) -> float:
    connection = connections[context.database]
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        raise BenchError("gunicorn cannot open an in-memory SQLite database; use a file.")
    guardians = context.data.list_two_child_guardians(SIGNED_IN_GUARDIANS)
    sessions = [create_session_cookie(guardian, role=Role.GUARDIAN) for guardian in guardians]
    cookies = {BARE_PATH: [""], FEED_PATH: [cookie for cookie, _ in sessions]}
    rates: dict[str, list[float]] = {BARE_PATH: [], FEED_PATH: []}
    try:
        with run_gunicorn(context.run_dir) as server:
            for path in rates:
                measure_requests_per_second(
                    server, path, cookies=cookies[path], seconds=WARM_UP_SECONDS
                )
            for _ in range(context.rounds):
                for path, found in rates.items():
                    found.append(
                        measure_requests_per_second(
                            server, path, cookies=cookies[path], seconds=context.round_seconds
                        )
                    )
    finally:
        for _, delete_session in sessions:
            delete_session()
    bare, family = median(rates[BARE_PATH]), median(rates[FEED_PATH])
    context.write(
        f"feed: {BARE_PATH} {bare:.0f} req/s, {FEED_PATH} {family:.0f} req/s "
        f"(medians of {context.rounds} rounds of {context.round_seconds:g} s; "
        f"bare {_rounded(rates[BARE_PATH])}, family {_rounded(rates[FEED_PATH])})"
    )
    return family / bare


def _rounded(rates: list[float]) -> str:
    return " ".join(f"{rate:.0f}" for rate in rates)


def count_feed_queries(context: BenchContext) -> int:
    """Queries of one /family/ request, before and after growth; the larger, with a warning."""
    data = context.data
    guardian = data.get_one_child_guardian()
    with transaction.atomic(using=context.database):
        before = _count_family_home_queries(context, guardian)
        _grow(data, guardian)
        after = _count_family_home_queries(context, guardian)
        transaction.set_rollback(True, using=context.database)
    context.write(
        f"feed: {FEED_PATH} ran {before} queries for a one-child family, {after} after adding "
        f"{GROWTH_CHILDREN} children in new classrooms, a co-teacher and {GROWTH_FAMILIES} families"
    )
    if before != after:
        context.warn(
            f"WARNING: {FEED_PATH} query count grows with the data ({before} -> {after}): "
            "reporting the larger."
        )
    return max(before, after)


def _count_family_home_queries(context: BenchContext, guardian: User) -> int:
    client = Client()
    client.force_login(guardian)
    session = client.session
    session[SCOPE_SESSION_KEY] = get_scope_key(guardian, role=Role.GUARDIAN)
    session.save()
    client.get(FEED_PATH)  # first-use caches of this process are not the page's queries
    # Count the page with nothing cached for this family: the worst case, not the warm one.
    versioned_cache.bump(family_dependency(guardian.id), memberships_dependency(guardian.id))
    with CaptureQueriesContext(connections[context.database]) as captured:
        response = client.get(FEED_PATH)
    if response.status_code != 200:
        raise BenchError(f"GET {FEED_PATH} answered {response.status_code} in-process.")
    return len(captured)


def _grow(data: BenchData, guardian: User) -> None:
    """Five more children for `guardian`, each in a new classroom with its teacher, a co-teacher
    in the first child's classroom, and more families at the school."""
    link = GuardianLink.objects.filter(
        district_id=data.district.id, guardian_id=guardian.id, is_active=True
    ).first()
    if link is None:
        raise BenchError(f"{guardian.email} has no child in the bench district.")
    school = link.child.school
    year = SchoolYear.objects.get(district_id=data.district.id, is_current=True)
    tag = uuid4().hex[:8]
    first_classroom = link.child.enrollments.get(is_active=True).classroom
    _add_teacher(first_classroom, email=f"growth-{tag}-coteacher@{EMAIL_DOMAIN}")
    for number in range(GROWTH_CHILDREN):
        classroom = do_create_classroom(
            school, school_year=year, name=f"Growth {tag} {number}", actor=SYSTEM
        )
        _add_teacher(classroom, email=f"growth-{tag}-teacher{number}@{EMAIL_DOMAIN}")
        _add_child(classroom, guardian, first_name=f"Growth{number}")
    classrooms = list(
        Classroom.objects.filter(district_id=data.district.id, school_id=school.id).order_by("id")
    )
    for number in range(GROWTH_FAMILIES):
        parent = do_create_user(
            email=f"growth-{tag}-parent{number}@{EMAIL_DOMAIN}", first_name="Growth", actor=SYSTEM
        )
        _add_child(classrooms[number % len(classrooms)], parent, first_name=f"Other{number}")


def _add_teacher(classroom: Classroom, *, email: str) -> None:
    teacher = do_create_user(email=email, first_name="Growth", last_name="Teacher", actor=SYSTEM)
    do_add_membership(
        teacher,
        role=Role.TEACHER,
        district=classroom.school.district,
        classroom=classroom,
        actor=SYSTEM,
    )


def _add_child(classroom: Classroom, guardian: User, *, first_name: str) -> None:
    child = do_create_child(
        classroom.school, first_name=first_name, last_name="Growth", actor=SYSTEM
    )
    do_enroll_child(child, classroom, actor=SYSTEM)
    do_link_guardian(child, guardian, actor=SYSTEM)
