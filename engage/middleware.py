"""The request id: taken from the proxy or made here, on every log line and on the response."""

import logging
import re
import time
import uuid

from engage.logging import LogContext, bind, unbind

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only when it is a plain token: anything else (too long, spaces, quotes,
# control characters) could forge log lines or carry data, so a fresh id replaces it.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

logger = logging.getLogger("engage.request")


class RequestIdMiddleware:
    """First in MIDDLEWARE: binds the request's log context, answers with X-Request-ID, and
    writes one `http.request` line per request (the route pattern, never the path: paths hold
    invite tokens)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))
        request.request_id = request_id
        token = bind(LogContext(request_id=request_id, known_ids=lambda: known_ids(request)))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            match = getattr(request, "resolver_match", None)
            logger.info(
                "http.request",
                extra={
                    "method": request.method,
                    "route": match.route if match else None,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            unbind(token)


def request_id_from(offered: str) -> str:
    """The offered id when it is a sane token, else a new random one."""
    offered = offered.strip()
    return offered if SANE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def known_ids(request) -> tuple[int | None, int | None]:
    """(user id, district id) as far as the request already resolved them: reads, no query."""
    user = getattr(request, "_cached_user", None)  # set once django.contrib.auth loaded the user
    user_id = user.id if user is not None and user.is_authenticated else None
    engage = getattr(request, "engage", None)
    scope = engage.resolved_scope() if engage is not None else None
    return user_id, scope.district.id if scope is not None else None
