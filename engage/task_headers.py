"""What a queued task carries besides its arguments: the request that queued it, and when.

`engage_request_id` lets the worker's log lines carry the id of the web request that queued the
task (engage.logging); `engage_sent_at` (epoch seconds) lets /readyz tell how long the oldest
task of a queue has waited (engage.readiness). Both are message headers, set when a task is
published and read by the worker before it runs the task; a task queued outside a request
(beat, a command) has no request id, and its lines carry the task's name only.
"""

import time

from celery import signals

from engage.logging import LogContext, bind, current_context, current_request_id, unbind

REQUEST_ID_HEADER = "engage_request_id"
SENT_AT_HEADER = "engage_sent_at"

_tokens: dict[str, object] = {}


@signals.before_task_publish.connect
def stamp_task(headers=None, **kwargs) -> None:
    if headers is None:
        return
    headers[SENT_AT_HEADER] = time.time()
    request_id = current_request_id()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id


@signals.task_prerun.connect
def bind_task_context(task_id=None, task=None, **kwargs) -> None:
    # A task run eagerly inside a request keeps that request's context (it was never published).
    outer = current_context() or LogContext()
    request_id = task.request.get(REQUEST_ID_HEADER) or outer.request_id
    _tokens[task_id] = bind(
        LogContext(request_id=request_id or "", task=task.name, known_ids=outer.known_ids)
    )


@signals.task_postrun.connect
def unbind_task_context(task_id=None, **kwargs) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        unbind(token)
