"""Server processes of our own for the fault tests: a throwaway PostgreSQL cluster, and a site
(migrated database, signed-in guardians) prepared in a child process against it.

The cluster is made with initdb in a temporary directory and listens on a free 127.0.0.1 port;
the machine's own PostgreSQL service is never touched. PostgreSQL refuses to run as root, so under
root its commands run as the `postgres` system user.
"""

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from engage.bench.loadgen import Session, Step
from engage.bench.processes import ROOT, free_port


def postgres_bin_dir() -> Path:
    """The newest PostgreSQL server binaries installed (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1].parent


class PostgresCluster:
    """initdb + pg_ctl on a free port; stop() and start() keep the data and the port."""

    def __init__(self, database: str = "engage"):
        self.bin = postgres_bin_dir()
        self.port = free_port()
        self.database = database
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"
        self.user = "postgres" if os.geteuid() == 0 else None
        self.directory = Path(tempfile.mkdtemp(prefix="engage-pg-"))
        self.data = self.directory / "data"
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / program), *args],
            user=self.user,
            cwd=self.directory,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def create(self) -> "PostgresCluster":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.start()
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database
        )
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        )
        log = str(self.directory / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session (what a restart does to the web)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def log(self) -> str:
        path = self.directory / "postgres.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.destroy()


def site_env(database_url: str, var_dir: Path, **extra) -> dict:
    """The environment of a web or worker process of the fault site: test settings (no static
    manifest, fixed field keys), the given database, no Redis unless `extra` sets one."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ENGAGE_TEST_") and k not in ("REDIS_URL", "DATABASE_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="engage.settings.test",
        DATABASE_URL=database_url,
        ENGAGE_VAR_DIR=str(var_dir),
        PYTHONPATH=str(ROOT),
        **{k: str(v) for k, v in extra.items()},
    )
    return env


def prepare_site(env: dict, *, guardians: int) -> list[dict]:
    """Migrate the site's database, seed the tiny bench district, and sign in `guardians`
    guardians: [{"cookie", "csrf", "child_id"}] (in a child process, on the site's settings)."""
    completed = subprocess.run(
        [sys.executable, "-m", "tests.reliability.site", str(guardians)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"preparing the site failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def browsing_sessions(prepared: list[dict]) -> list[Session]:
    """Each guardian reads their home page and their child's activities, round after round."""
    return [
        Session(
            cookie=item["cookie"],
            csrf_token=item["csrf"],
            script=lambda n, child_id=item["child_id"]: [
                Step("feed", "/family/"),
                Step("activities", f"/api/v1/family/children/{child_id}/activities/"),
            ],
        )
        for item in prepared
    ]
