"""A bounded HTTP load generator: many signed-in sessions, each a person clicking with pauses.

Used by the `load` benchmark and by the fault tests (tests/reliability/). Plain asyncio on raw
sockets, one task per session, so 200 sessions cost one thread and little CPU on a two-core
machine that also runs the server. Each session runs its script step after step, pausing a random
think time between steps, until the deadline; every run stops by itself. Nothing here imports
Django: the sessions are prepared by the caller.

Every request is recorded as a Sample (when it started, what it was, the status, the time to the
last byte). A status of 0 is a request that got no answer (refused, reset, or no answer within
the timeout): a hang shows as 0s, not as a stuck run.
"""

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

NO_ANSWER = 0


@dataclass(frozen=True)
class Step:
    """One request of a session's script."""

    kind: str  # a label for the figures: "feed", "announcement", "submit", ...
    path: str
    method: str = "GET"
    json_body: dict | None = None


@dataclass(frozen=True)
class Session:
    """A signed-in person: their Cookie header, CSRF token, and their script.

    `script(n)` gives the steps of the session's n-th round (0, 1, 2, ...)."""

    cookie: str
    csrf_token: str
    script: Callable[[int], list[Step]]


@dataclass(frozen=True)
class Sample:
    session: int
    kind: str
    started: float  # seconds since the load started
    status: int  # NO_ANSWER when there was none
    ms: float
    submission_id: int | None = None  # the id a 200 POST answered with, if any


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests_per_second(self) -> float:
        answered = sum(1 for s in self.samples if s.status != NO_ANSWER)
        return answered / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: int, kind: str | None = None) -> float:
        """Nearest-rank percentile of answered requests (of one kind, or all)."""
        times = sorted(
            s.ms for s in self.samples if s.status != NO_ANSWER and kind in (None, s.kind)
        )
        if not times:
            return 0.0
        rank = max(1, -(-percent * len(times) // 100))  # ceil
        return times[rank - 1]

    def statuses(self, kind: str | None = None) -> Counter:
        return Counter(s.status for s in self.samples if kind in (None, s.kind))

    @property
    def server_errors(self) -> int:
        return sum(1 for s in self.samples if s.status >= 500)

    @property
    def no_answers(self) -> int:
        return sum(1 for s in self.samples if s.status == NO_ANSWER)

    @property
    def accepted_submission_ids(self) -> list[int]:
        return [s.submission_id for s in self.samples if s.submission_id is not None]

    def kinds(self) -> list[str]:
        return sorted({s.kind for s in self.samples})


def run_load(
    host: str,
    port: int,
    sessions: list[Session],
    *,
    seconds: float,
    think_seconds: float,
    timeout: float = 30.0,
    seed: int = 0,
) -> LoadResult:
    """Run every session against host:port for `seconds`; the samples of every request.

    Sessions start spread over the first think time, then each pauses uniformly between 0.5x and
    1.5x `think_seconds` after every answer."""
    return asyncio.run(
        _run(host, port, sessions, seconds=seconds, think=think_seconds, timeout=timeout, seed=seed)
    )


async def _run(host, port, sessions, *, seconds, think, timeout, seed) -> LoadResult:
    result = LoadResult()
    started = time.monotonic()
    deadline = started + seconds
    random_source = random.Random(seed)
    tasks = [
        asyncio.create_task(
            _session_loop(
                index,
                session,
                _Connection(host, port),
                result,
                started=started,
                deadline=deadline,
                think=think,
                timeout=timeout,
                first_pause=random_source.uniform(0, think),
                random_source=random.Random(seed * 100_003 + index),
            )
        )
        for index, session in enumerate(sessions)
    ]
    await asyncio.gather(*tasks)
    result.seconds = time.monotonic() - started
    return result


async def _session_loop(
    index,
    session,
    connection,
    result,
    *,
    started,
    deadline,
    think,
    timeout,
    first_pause,
    random_source,
) -> None:
    await asyncio.sleep(first_pause)
    round_number = 0
    try:
        while time.monotonic() < deadline:
            for step in session.script(round_number):
                if time.monotonic() >= deadline:
                    return
                result.samples.append(
                    await _timed_request(index, session, step, connection, started, timeout)
                )
                pause = think * random_source.uniform(0.5, 1.5)
                await asyncio.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            round_number += 1
    finally:
        connection.close()


async def _timed_request(index, session, step, connection, started, timeout) -> Sample:
    began = time.monotonic()
    request = _request_bytes(connection, session, step)
    submission_id = None
    try:
        status, body = await asyncio.wait_for(connection.send(request), timeout)
    except (OSError, TimeoutError, EOFError, ValueError):
        connection.close()
        status, body = NO_ANSWER, b""
    if step.method == "POST" and status == 200:
        submission_id = _answer_id(body)
    return Sample(
        session=index,
        kind=step.kind,
        started=began - started,
        status=status,
        ms=(time.monotonic() - began) * 1000,
        submission_id=submission_id,
    )


def _answer_id(body: bytes) -> int | None:
    try:
        value = json.loads(body).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def _request_bytes(connection, session: Session, step: Step) -> bytes:
    body = b"" if step.json_body is None else json.dumps(step.json_body).encode()
    lines = [
        f"{step.method} {step.path} HTTP/1.1",
        f"Host: {connection.host}:{connection.port}",
        "Accept: text/html,application/json",
        "Accept-Language: en",
        "Connection: keep-alive",
        f"Cookie: {session.cookie}",
    ]
    if step.method != "GET":
        lines += [
            f"X-CSRFToken: {session.csrf_token}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
        ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Connection:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """(status, body) of the answer to one prepared request."""
        reused = self.writer is not None
        try:
            return await self._send_once(request)
        except ConnectionError:
            if not reused:
                raise
        # The server closed an idle keep-alive connection before reading anything: send again.
        self.close()
        return await self._send_once(request)

    async def _send_once(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(request)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        status = int(status_line.split()[1])
        length, closing, chunked = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection":
                closing = value == "close"
            elif name == "transfer-encoding":
                chunked = "chunked" in value
        body = await (self._read_chunked() if chunked else self.reader.readexactly(length))
        if closing:
            self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
