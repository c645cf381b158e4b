"""Real server processes for fault tests: their own redis-server, Celery workers and beat.

They use free ports on 127.0.0.1 and never touch the machine's own Redis.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def worker_env(broker_url: str, providers_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGAGE_TEST_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "engage.settings.test",
            "ENGAGE_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "ENGAGE_TEST_BROKER_URL": broker_url,
            "ENGAGE_TEST_PROVIDERS_URL": providers_url,
            "PYTHONPATH": str(ROOT),
            **{k: str(v) for k, v in extra.items()},
        }
    )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        env.pop("DATABASE_URL", None)
    return env


class CeleryProcess:
    """`celery -A engage worker` (or beat) in its own process group, killable with SIGKILL."""

    def __init__(self, env: dict, *args: str):
        self.args = [sys.executable, "-m", "celery", "-A", "engage", *args]
        self.env = env
        self.process = None
        # Kept open for the child's lifetime (its stdout); read back by output().
        self.log = tempfile.NamedTemporaryFile(prefix="celery-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self) -> "CeleryProcess":
        self.process = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text()[-4000:]

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def worker(env: dict, concurrency: int = 2) -> CeleryProcess:
    return CeleryProcess(
        env,
        "worker",
        "-Q",
        "notifications,default",
        "-c",
        str(concurrency),
        "-l",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-P",
        "prefork",
    )


def beat(env: dict, schedule_dir: Path) -> CeleryProcess:
    return CeleryProcess(env, "beat", "-l", "WARNING", "-s", str(schedule_dir / "beat-schedule"))


def wait_for(predicate, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
