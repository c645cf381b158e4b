"""Platform-level views: health, readiness and the benchmark's bare baseline."""

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from engage.readiness import run_checks
from tenants.views_base import public_view


@public_view
def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@public_view
@never_cache
def readyz(request):
    """Readiness: database, Redis, storage and queue lag (engage.readiness); 503 when one fails.
    A plain Django view, so no API throttle applies: load balancers poll it."""
    ready, report = run_checks()
    return JsonResponse(report, status=200 if ready else 503)


@public_view
def bench_bare(request):
    """The benchmark's baseline: a bare Django view that runs one query (bench runs only)."""
    if not settings.ENGAGE_BENCH_VIEWS:
        raise Http404
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")
