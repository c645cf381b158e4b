"""Dashboards at the scale of a `seed_scale` district (docs/DASHBOARDS.md).

dashboard_district_p95_ms: the district dashboard request (this school year), served by gunicorn
on loopback to a signed-in district admin, one request after another: 95th percentile of
DISTRICT_SAMPLES requests after WARM_UP untimed ones.
dashboard_school_p95_ms: the same for SCHOOL_SAMPLES school dashboards drawn at random.
dashboard_vs_naive_ratio: the district request's median divided by the median time of the same
figures computed straightforwardly over the raw tables (submissions, children, links, deliveries:
`naive_district_figures`), NAIVE_RUNS runs in this process, in the same run.

The district: `seed_scale`'s (slug "scale", as `manage.py seed_scale` builds it) when it exists
and has the run's number of children; otherwise one is seeded at the run's scale
(engage.seeding.SCALE_SPECS) as "bench-dashboard-<scale>", and kept for the next run.
"""

import datetime
import random
import statistics
import time

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from activities.models import Activity, Submission
from engage.bench.http import (
    _KeepAliveConnection,
    _request_bytes,
    create_session_cookie,
    run_gunicorn,
)
from engage.bench.registry import BenchContext, BenchError, Metrics, benchmark, p95
from engage.seeding import SCALE_SPECS, email_domain, seed_scale
from guardians.models import Child, GuardianLink
from notifications.models import Delivery
from tenants.middleware import MFA_OK_SESSION_KEY
from tenants.models import District, Membership, Role, School, User

WARM_UP = 10
DISTRICT_SAMPLES = 60
SCHOOL_SAMPLES = 100
NAIVE_RUNS = 3


@benchmark("dashboard")
def dashboard(context: BenchContext) -> Metrics:
    """District and school dashboards on a seed_scale district: p95 in ms, and vs naive."""
    district = _district(context)
    admin = _admin(district)
    schools = list(School.objects.filter(district=district, is_active=True).order_by("id"))
    if not schools:
        raise BenchError(f"District {district.slug!r} has no schools.")
    cookie, forget = create_session_cookie(
        admin, role=Role.DISTRICT_ADMIN, extra={MFA_OK_SESSION_KEY: admin.id}
    )
    rng = random.Random(7)
    try:
        with run_gunicorn(context.run_dir) as server:
            connection = _KeepAliveConnection(server)
            district_path = "/dashboards/district/"
            for _ in range(WARM_UP):
                _get(connection, server, district_path, cookie)
            district_ms = [
                _get(connection, server, district_path, cookie) for _ in range(DISTRICT_SAMPLES)
            ]
            paths = [f"/dashboards/schools/{s.id}/" for s in rng.choices(schools, k=SCHOOL_SAMPLES)]
            for path in paths[:WARM_UP]:
                _get(connection, server, path, cookie)
            school_ms = [_get(connection, server, path, cookie) for path in paths]
            connection.close()
    finally:
        forget()
    naive_ms = []
    for _ in range(NAIVE_RUNS):
        started = time.perf_counter()
        naive_district_figures(district)
        naive_ms.append((time.perf_counter() - started) * 1000)
    district_p95, school_p95 = p95(district_ms), p95(school_ms)
    ratio = statistics.median(district_ms) / statistics.median(naive_ms)
    submissions = Submission.objects.filter(district=district).count()
    context.write(
        f"dashboard: {district.slug} ({len(schools)} schools, {submissions:,} submissions); "
        f"district median {statistics.median(district_ms):.1f} ms, p95 {district_p95:.1f} ms "
        f"({DISTRICT_SAMPLES} requests); school median {statistics.median(school_ms):.1f} ms, "
        f"p95 {school_p95:.1f} ms ({SCHOOL_SAMPLES}); naive figures median "
        f"{statistics.median(naive_ms):.0f} ms ({NAIVE_RUNS} runs)"
    )
    return {
        "dashboard_district_p95_ms": round(district_p95, 1),
        "dashboard_school_p95_ms": round(school_p95, 1),
        "dashboard_vs_naive_ratio": round(ratio, 3),
    }


def _district(context: BenchContext) -> District:
    spec = SCALE_SPECS.get(context.scale, SCALE_SPECS["small"])
    built = District.objects.filter(slug="scale").first()
    if built is not None and Child.objects.filter(district=built).count() == spec.children:
        context.write("dashboard: using the seed_scale district 'scale'.")
        return built
    slug = f"bench-dashboard-{context.scale}"
    existing = District.objects.filter(slug=slug).first()
    if existing is not None:
        context.write(f"dashboard: reusing {slug!r}.")
        return existing
    context.write(f"dashboard: seeding {slug!r} at scale {context.scale}.")
    return seed_scale(spec, slug=slug, seed=1, write=lambda line: None)


def _admin(district: District) -> User:
    """A district admin of the seeded district (its people are at the seed's own domain)."""
    email = f"dashboard-admin@{email_domain(district.slug)}"
    user, _ = User.objects.get_or_create(email=email, defaults={"first_name": "Bench"})
    Membership.objects.get_or_create(
        district=district, user=user, role=Role.DISTRICT_ADMIN, defaults={"is_active": True}
    )
    return user


def _get(connection, server, path: str, cookie: str) -> float:
    request = _request_bytes(server, path, cookie=cookie)
    started = time.perf_counter()
    status, location = connection.get(request)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise BenchError(f"GET {path} answered {status} {location}\n{server.log_tail()}")
    return elapsed


def naive_district_figures(district: District) -> dict:
    """The district dashboard's figures (this school year) straight from the raw tables: what
    the rollups save. Same shape of answer: headline, per school, breakdowns, trend, reach."""
    now = timezone.now()
    start = datetime.datetime(
        now.year if now.month >= 8 else now.year - 1, 8, 1, tzinfo=datetime.UTC
    )
    submissions = Submission.objects.filter(district=district, submitted_at__gte=start)
    children = Child.objects.filter(district=district, is_active=True)
    figures = {
        "families": list(children.values("school_id").annotate(n=Count("id")).order_by()),
        "invited_connected": list(
            GuardianLink.objects.filter(district=district, is_active=True, child__is_active=True)
            .values("child__school_id")
            .annotate(
                invited=Count("child", distinct=True),
                connected=Count(
                    "child", distinct=True, filter=Q(guardian__last_login__isnull=False)
                ),
            )
            .order_by()
        ),
        "by_school": list(
            submissions.values("school_id")
            .annotate(completions=Count("id"), families=Count("child", distinct=True))
            .order_by()
        ),
        "active_30d": list(
            submissions.filter(submitted_at__gte=now - datetime.timedelta(days=30))
            .values("school_id")
            .annotate(n=Count("child", distinct=True))
            .order_by()
        ),
        "by_grade": list(
            submissions.values("child__grade_level")
            .annotate(n=Count("child", distinct=True))
            .order_by()
        ),
        "by_disadvantage": list(
            submissions.values("child__is_disadvantaged_hash")
            .annotate(n=Count("child", distinct=True))
            .order_by()
        ),
        "by_language": list(
            submissions.values("guardian__preferred_language")
            .annotate(n=Count("child", distinct=True))
            .order_by()
        ),
        "trend": list(
            submissions.filter(submitted_at__gte=now - datetime.timedelta(weeks=12))
            .annotate(week=TruncWeek("submitted_at"))
            .values("week")
            .annotate(n=Count("child", distinct=True), completions=Count("id"))
            .order_by()
        ),
        "published": Activity.objects.filter(district=district, published_at__gte=start).count(),
        "reach": list(
            Delivery.objects.filter(district=district, created_at__gte=start)
            .values("channel", "status")
            .annotate(n=Count("id"))
            .order_by()
        ),
    }
    return figures
