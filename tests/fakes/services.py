"""Real server processes for fault tests: their own redis-server, Celery workers and beat.

They use free ports on 127.0.0.1 and never touch the machine's own Redis.
"""

import os
import subprocess
import time
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from engage.bench.processes import ROOT, celery_beat, celery_worker, free_port

__all__ = ["RedisServer", "beat", "free_port", "wait_for", "worker", "worker_env"]


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


def worker(env: dict, concurrency: int = 2):
    return celery_worker(env, concurrency=concurrency, log_level="INFO")


def beat(env: dict, schedule_dir: Path):
    return celery_beat(env, schedule_dir)


def wait_for(predicate, timeout: float, interval: float = 0.2, message: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
