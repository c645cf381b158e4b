"""Serving Engage with gunicorn on loopback and measuring requests per second against it.

The server is a subprocess on a free 127.0.0.1 port, with the settings of this process plus
ENGAGE_BENCH_VIEWS=1 and DEBUG=0. The load is a small pool of threads, each holding one keep-alive
connection and sending prepared requests, so the client spends as little of the machine's two
cores as it can. Every loop stops at its deadline; any answer other than 200 stops the run.
"""

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.management import call_command
from django.utils.crypto import get_random_string

from engage.bench.registry import BenchError
from tenants.models import User
from tenants.scope import SESSION_KEY as SCOPE_SESSION_KEY
from tenants.scope import list_scopes_for_user

STARTUP_TIMEOUT_SECONDS = 30
SOCKET_TIMEOUT_SECONDS = 30
# Two cores: two worker processes, each with a couple of threads to cover database waits.
WORKERS = 2
THREADS = 2
CONNECTIONS = 4


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    log_path: Path
    pid: int = 0

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the arbiter), by pid."""
        found = []
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().split()
            except OSError:
                continue
            if len(fields) > 4 and fields[3] == str(self.pid):
                found.append(int(status.parent.name))
        return sorted(found)


@contextmanager
def run_gunicorn(
    run_dir: Path, *, production_config: bool = False, env: dict | None = None
) -> Iterator[Server]:
    """A gunicorn serving engage.wsgi on a free loopback port, stopped on exit.

    By default the bench's own small configuration (below); with `production_config`, the
    project's gunicorn.conf.py (the production worker model, timeouts and recycling) on a free
    port. `env` replaces this process's environment for the server."""
    prepare_static_files()
    server = Server(host="127.0.0.1", port=_free_port(), log_path=run_dir / "gunicorn.log")
    base_env = os.environ if env is None else env
    env = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": base_env.get("DJANGO_SETTINGS_MODULE", "engage.settings.local"),
        "ENGAGE_BENCH_VIEWS": "1",
        "DEBUG": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "engage.wsgi:application"]
    if production_config:
        command += [f"--config={settings.BASE_DIR / 'gunicorn.conf.py'}"]
    else:
        command += [
            f"--workers={WORKERS}",
            "--worker-class=gthread",
            f"--threads={THREADS}",
            "--keep-alive=10",
            "--no-control-socket",
            "--log-level=warning",
        ]
    command += [
        f"--chdir={settings.BASE_DIR}",
        f"--bind={server.host}:{server.port}",
        f"--error-logfile={server.log_path}",
    ]
    # Started from the run directory, so gunicorn does not pick up the project's production
    # gunicorn.conf.py unless asked: the bench states its whole configuration.
    with server.log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command, cwd=run_dir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    server = replace(server, pid=process.pid)
    try:
        _wait_until_serving(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def prepare_static_files() -> None:
    """Pages link their CSS through the static manifest; build it when the storage needs one."""
    if isinstance(staticfiles_storage, ManifestFilesMixin):
        call_command("collectstatic", interactive=False, verbosity=0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
        try:
            status = _get_status(server, "/healthz")
        except OSError as error:
            last = str(error)
        else:
            if status == 200:
                return
            last = f"answered {status}"
        time.sleep(0.2)
    raise BenchError(
        f"gunicorn did not serve /healthz within {STARTUP_TIMEOUT_SECONDS} s ({last}):\n"
        f"{server.log_tail()}"
    )


def _get_status(server: Server, path: str) -> int:
    with (
        socket.create_connection((server.host, server.port), timeout=5) as sock,
        sock.makefile("rb") as reader,
    ):
        sock.sendall(_request_bytes(server, path, cookie="", close=True))
        return _read_response(reader)[0]


def get_scope_key(user: User, *, role: str) -> str:
    """The session's context key for `user` acting as `role` (their first such context)."""
    for scope in list_scopes_for_user(user):
        if scope.role == role:
            return scope.key
    raise BenchError(f"{user.email} has no {role} role to sign in with.")


def create_session_cookie(
    user: User, *, role: str, extra: dict | None = None
) -> tuple[str, Callable[[], None]]:
    """A signed-in session for `user` acting as `role` (plus `extra` session keys), as a Cookie
    header value, and a function that deletes it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update(extra or {})
    store[USER_SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SCOPE_SESSION_KEY] = get_scope_key(user, role=role)
    store.create()
    # A browser sends back the CSRF cookie it was given; without one each page would set a new one.
    csrf = f"{settings.CSRF_COOKIE_NAME}={get_random_string(32)}"
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {csrf}", store.delete


def measure_requests_per_second(
    server: Server, path: str, *, cookies: list[str], seconds: float
) -> float:
    """Completed 200 answers per second over `seconds`, from CONNECTIONS keep-alive connections.

    Each connection cycles through `cookies` (one signed-in person each; "" for none)."""
    requests = [_request_bytes(server, path, cookie=cookie) for cookie in cookies]
    deadline = time.monotonic() + seconds
    counts = [0] * CONNECTIONS
    errors: list[str] = []
    threads = [
        threading.Thread(
            target=_load_loop,
            args=(server, requests[index:] + requests[:index], deadline, counts, index, errors),
            daemon=True,
        )
        for index in range(CONNECTIONS)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + SOCKET_TIMEOUT_SECONDS + 5)
    elapsed = time.monotonic() - started
    if errors:
        raise BenchError(f"GET {path}: {errors[0]}\n{server.log_tail()}")
    if any(thread.is_alive() for thread in threads):
        raise BenchError(f"GET {path}: the load did not stop in time.")
    return sum(counts) / elapsed


def _load_loop(server, requests, deadline, counts, index, errors) -> None:
    connection = _KeepAliveConnection(server)
    try:
        for request in itertools.cycle(requests):
            if time.monotonic() >= deadline or errors:
                return
            status, location = connection.get(request)
            if status != 200:
                hint = " (the session is not signed in)" if "/accounts/login" in location else ""
                errors.append(f"answered {status} {location}{hint}".rstrip())
                return
            counts[index] += 1
    except OSError as error:
        errors.append(f"connection failed: {error}")
    finally:
        connection.close()


class _KeepAliveConnection:
    """One HTTP/1.1 connection to the server, reopened when the server closes it."""

    def __init__(self, server: Server):
        self.server = server
        self.sock: socket.socket | None = None
        self.reader = None

    def get(self, request: bytes) -> tuple[int, str]:
        """Send a prepared request; (status, Location) of the answer."""
        if self.sock is None:
            self.sock = socket.create_connection(
                (self.server.host, self.server.port), timeout=SOCKET_TIMEOUT_SECONDS
            )
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.reader = self.sock.makefile("rb")
        self.sock.sendall(request)
        status, location, closing = _read_response(self.reader)
        if closing:
            self.close()
        return status, location

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
            self.sock = self.reader = None


def _request_bytes(server: Server, path: str, *, cookie: str, close: bool = False) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {server.host}:{server.port}",
        "Accept: text/html",
        "Accept-Language: en",
        f"Connection: {'close' if close else 'keep-alive'}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(reader) -> tuple[int, str, bool]:
    """(status, Location, whether the server closes) of one response, its body read and dropped."""
    status_line = reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split()[1])
    length, location, closing = None, "", False
    while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length":
            length = int(value)
        elif name == "location":
            location = value
        elif name == "connection":
            closing = value.lower() == "close"
    if length is None:
        raise ConnectionError(f"answer {status} has no Content-Length")
    reader.read(length)
    return status, location, closing
