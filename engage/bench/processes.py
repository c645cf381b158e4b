"""Server processes a benchmark (or a fault test) starts and stops itself: Celery workers, the
fake provider server. Each runs in its own process group so it can be stopped, or killed, whole.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A child process in its own group, with its output in a log file."""

    def __init__(self, args: list[str], env: dict):
        self.args = args
        self.env = env
        self.process: subprocess.Popen | None = None
        # Kept open for the child's lifetime (its stdout); read back by output().
        self.log = tempfile.NamedTemporaryFile(prefix="engage-", suffix=".log", delete=False)  # noqa: SIM115

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 (our own commands, no shell)
            self.args,
            env=self.env,
            cwd=ROOT,
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        return self

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def pids(self) -> list[int]:
        """The process and its children (a Celery worker's pool)."""
        if self.process is None:
            return []
        found = [self.process.pid]
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().split()
            except OSError:
                continue
            if len(fields) > 4 and fields[3] == str(self.process.pid):
                found.append(int(status.parent.name))
        return found

    def rss_mb(self) -> float:
        """Resident memory of the process and its children, in MB."""
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def kill(self) -> None:
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


def celery_worker(
    env: dict,
    *,
    queues: str = "notifications,default",
    concurrency: int = 2,
    log_level: str = "WARNING",
) -> Process:
    return Process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "engage",
            "worker",
            "-Q",
            queues,
            "-c",
            str(concurrency),
            "-l",
            log_level,
            "-P",
            "prefork",
            "-O",
            "fair",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
    )


def celery_beat(env: dict, schedule_dir: Path) -> Process:
    return Process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "engage",
            "beat",
            "-l",
            "WARNING",
            "-s",
            str(schedule_dir / "beat-schedule"),
        ],
        env,
    )


class FakeProviderServer(Process):
    """notifications/providers/fake_server.py in its own process (its own interpreter and GIL)."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            [sys.executable, "-m", "notifications.providers.fake_server", str(self.port)], env
        )

    def start(self):
        super().start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/_fake/count", timeout=1).read()  # noqa: S310
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the fake provider server did not start:\n{self.output()}")
