"""Structured logs: one JSON object per line, each knowing the request (or task) it belongs to.

The work in hand is a context variable: `engage.middleware.RequestIdMiddleware` binds the request
id for the length of a request, and a Celery task binds the id of the request that queued it
(engage.task_headers), so every line a request causes, in the web process or later in a worker,
carries the same `request_id`. User and district ids are added when the request has already
resolved them (reading them never costs a query). Names, email addresses and phone numbers are
never written: log calls pass ids (HOUSE_STYLE 5), extras with a personal key are dropped, and
anything shaped like an address or a phone number in a message is masked as a last resort.

Production uses JsonFormatter (LOG_FORMAT=json); local runs keep the readable format.
This module imports nothing from Django at load time: gunicorn's master uses it too.
"""

import contextvars
import datetime
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LogContext:
    request_id: str = ""
    task: str = ""
    # Returns (user_id, district_id) as far as they are already known; None when unknown.
    known_ids: Callable[[], tuple[int | None, int | None]] = field(default=lambda: (None, None))


_context: contextvars.ContextVar[LogContext | None] = contextvars.ContextVar(
    "engage_log_context", default=None
)


def bind(context: LogContext) -> contextvars.Token:
    """Make `context` the current one; give the token back to `unbind`."""
    return _context.set(context)


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


def current_context() -> LogContext | None:
    return _context.get()


def current_request_id() -> str:
    context = _context.get()
    return context.request_id if context else ""


# Extras never written, whatever the caller passed.
PERSONAL_KEYS = frozenset(
    {
        "address",
        "body",
        "email",
        "first_name",
        "last_name",
        "name",
        "password",
        "phone",
        "to",
        "token",
    }
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"\+\d[\d ().-]{7,}\d")
# Attributes every LogRecord has: what is left on a record is the caller's `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn/gunicorn colouring
}


def mask(text: str) -> str:
    """Email addresses and phone numbers out of a free text (the last line of defence)."""
    return PHONE.sub("[phone]", EMAIL.sub("[email]", text))


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, user_id, district_id (and task), then the
    caller's structured extras; an exception's type and traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
            **_context_fields(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and key not in entry and key not in PERSONAL_KEYS:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class ContextFilter(logging.Filter):
    """Puts `request_id` on every record, for readable formats ("%(request_id)s")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


def _context_fields() -> dict:
    context = _context.get()
    if context is None:
        return {"request_id": None, "user_id": None, "district_id": None}
    try:
        user_id, district_id = context.known_ids()
    except Exception:  # a log line is never lost to its context (a request being torn down)
        user_id = district_id = None
    fields = {"request_id": context.request_id, "user_id": user_id, "district_id": district_id}
    if context.task:
        fields["task"] = context.task
    return fields
