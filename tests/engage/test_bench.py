"""`manage.py bench`: choosing benchmarks, and the JSON a (tiny) run writes.

The run is a real one, in a subprocess on a SQLite file of its own: the feed benchmark serves
pages from gunicorn, which must open the same database (an in-memory test database cannot be
shared). Its figures are not checked against targets: benchmarks print figures, tests don't time.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.engage.test_feed_queries import FAMILY_HOME_QUERIES

BASE_DIR = Path(__file__).resolve().parents[2]


def test_an_unknown_benchmark_is_an_error_that_names_the_known_ones():
    with pytest.raises(CommandError) as error:
        call_command("bench", only="feed,nope")
    assert (
        str(error.value)
        == "Unknown benchmark(s): nope. Known: dashboard, export, fanout, feed, leaderboard, load, photo, purge, roster, seed_scale, submit."
    )


@pytest.mark.slow
def test_a_tiny_feed_run_writes_its_figures_as_json(tmp_path):
    out = tmp_path / "out.json"
    # The embedded mode: SQLite, no Redis (database sessions, as FAMILY_HOME_QUERIES counts them).
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ENGAGE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="engage.settings.test")
    command = [sys.executable, "manage.py", "bench", "--only", "feed", "--scale", "tiny"]
    command += ["--rounds", "1", "--round-seconds", "0.3", "--json", str(out)]
    run = subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, run.stdout + run.stderr

    report = json.loads(out.read_text())
    assert set(report) == {"metrics", "scale", "database", "database_name", "commit"}
    assert (report["scale"], report["database"]) == ("tiny", "sqlite")
    assert report["database_name"] == "engage.sqlite3"
    assert report["commit"] is None or isinstance(report["commit"], str)
    metrics = report["metrics"]
    assert set(metrics) == {"feed_vs_bare_ratio", "feed_queries"}
    assert isinstance(metrics["feed_vs_bare_ratio"], float) and metrics["feed_vs_bare_ratio"] > 0
    assert metrics["feed_queries"] == FAMILY_HOME_QUERIES
    assert "feed_vs_bare_ratio" in run.stdout and "WARNING" not in run.stderr


@pytest.mark.slow
def test_a_tiny_roster_run_imports_twice_in_child_processes(tmp_path):
    out = tmp_path / "out.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ENGAGE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="engage.settings.test")
    command = [sys.executable, "manage.py", "bench", "--only", "roster", "--scale", "tiny"]
    run = subprocess.run(
        [*command, "--json", str(out)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr

    report = json.loads(out.read_text())
    assert (report["scale"], report["database"]) == ("tiny", "sqlite")
    metrics = report["metrics"]
    assert set(metrics) == {
        "roster_import_rows_per_s",
        "roster_reimport_s",
        "roster_import_peak_mb",
    }
    assert all(isinstance(value, float) and value > 0 for value in metrics.values())
    # 400 users, 1,000 enrollments: the files hold 1,860 rows (manifest to enrollments)
    assert "roster: 1,860 rows (400 users, 1,000 enrollments)" in run.stdout


@pytest.mark.slow
def test_a_tiny_leaderboard_run_seeds_activities_once_and_times_both_leaderboards(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ENGAGE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="engage.settings.test")
    runs = []
    for attempt in range(2):
        out = tmp_path / f"out{attempt}.json"
        command = [sys.executable, "manage.py", "bench", "--only", "leaderboard"]
        command += ["--scale", "tiny", "--json", str(out)]
        run = subprocess.run(
            command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=240
        )
        assert run.returncode == 0, run.stdout + run.stderr
        runs.append((run.stdout, json.loads(out.read_text())["metrics"]))
    (first, metrics), (second, _) = runs
    assert set(metrics) == {
        "leaderboard_p95_ms",
        "leaderboard_classroom_p95_ms",
        "leaderboard_school_p95_ms",
        "leaderboard_district_ms",
    }
    assert all(isinstance(value, float) and value > 0 for value in metrics.values())
    assert metrics["leaderboard_p95_ms"] == max(
        metrics["leaderboard_classroom_p95_ms"], metrics["leaderboard_school_p95_ms"]
    )
    # 30 children x 4 completions; 6 classrooms x 6 activities; reused by the second run.
    assert "Seeded 36 activities and 120 submissions" in first
    assert "Reusing the bench activities (tiny)." in second
    assert "leaderboard: 120 submissions, 6 classrooms, 2 schools" in second


@pytest.mark.slow
def test_a_tiny_load_run_serves_every_session_and_loses_no_submission(tmp_path):
    """gunicorn (production config), a Celery worker and a Redis of the test's own, on SQLite."""
    from tests.fakes.services import RedisServer

    out = tmp_path / "out.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(ENGAGE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="engage.settings.test")
    command = [sys.executable, "manage.py", "bench", "--only", "load", "--scale", "tiny"]
    command += ["--load-seconds", "3", "--load-sessions", "4", "--json", str(out)]
    with RedisServer() as redis_server:
        # Sessions and cache on it, and (ENGAGE_TEST_BROKER_URL) a real broker for the worker.
        env.update(REDIS_URL=redis_server.url, ENGAGE_TEST_BROKER_URL=redis_server.url)
        run = subprocess.run(
            command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=240
        )
    assert run.returncode == 0, run.stdout + run.stderr

    metrics = json.loads(out.read_text())["metrics"]
    assert set(metrics) == {
        "load_rps",
        "load_p95_ms",
        "load_5xx",
        "load_lost_submissions",
        "load_no_answer",
        "load_machine_load_1m",
    }
    assert (metrics["load_5xx"], metrics["load_lost_submissions"], metrics["load_no_answer"]) == (
        0,
        0,
        0,
    )
    assert metrics["load_rps"] > 0 and metrics["load_p95_ms"] > 0
    assert "load: 4 sessions for 3 s (think 0.5 s)" in run.stdout
    for kind in ("feed", "announcement", "activity", "submit"):
        assert f"load: {kind}: " in run.stdout
