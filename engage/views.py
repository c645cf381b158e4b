"""Platform-level views: health and the benchmark's bare baseline."""

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse

from tenants.views_base import public_view


@public_view
def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@public_view
def bench_bare(request):
    """The benchmark's baseline: a bare Django view that runs one query (bench runs only)."""
    if not settings.ENGAGE_BENCH_VIEWS:
        raise Http404
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")
