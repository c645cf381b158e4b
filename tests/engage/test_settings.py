"""Production settings refuse to start half-configured, and pass `check --deploy` when complete.

Each case runs Django in a fresh process with a stripped environment, as a server would start.
"""

import ast
import base64
import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def production_required_env() -> list[str]:
    """REQUIRED_ENV of engage.settings.production, read without importing (importing needs it)."""
    tree = ast.parse((BASE_DIR / "engage" / "settings" / "production.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "REQUIRED_ENV" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("engage/settings/production.py has no REQUIRED_ENV")


REQUIRED_ENV = production_required_env()


# Required by a system check (engage.E011, privacy/crypto.py) rather than at import.
FIELD_KEY_ENV = ["ENGAGE_FIELD_KEYS", "ENGAGE_FIELD_HASH_KEY"]


def dummy_production_env() -> dict[str, str]:
    """The four required variables, pointing at hosts that are never contacted, and fresh field
    keys."""
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "engage.example.org",
        "DATABASE_URL": "postgres://engage@db.invalid:5432/engage",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "ENGAGE_FIELD_KEYS": f"k1:{base64.b64encode(secrets.token_bytes(32)).decode()}",
        "ENGAGE_FIELD_HASH_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


def run_production(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    stripped = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "engage.settings.production",
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=stripped,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


SETUP = ["-c", "import django; django.setup(); print('loaded')"]


def test_the_required_list_is_the_four_variables():
    assert REQUIRED_ENV == ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
    assert set(dummy_production_env()) == set(REQUIRED_ENV) | set(FIELD_KEY_ENV)


@pytest.mark.parametrize("missing", REQUIRED_ENV)
def test_production_refuses_to_start_without(missing):
    env = dummy_production_env()
    del env[missing]

    result = run_production(SETUP, env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Production settings need these environment variables: {missing}\n" in result.stderr
    assert "loaded" not in result.stdout


def test_production_loads_with_exactly_the_four_variables():
    env = {name: value for name, value in dummy_production_env().items() if name in REQUIRED_ENV}
    result = run_production(SETUP, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded"


def test_production_passes_the_deploy_check():
    result = run_production(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], dummy_production_env()
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_reports_errors_to_sentry_without_personal_data():
    """With a DSN, production settings initialise Sentry with send_default_pii off (nothing is
    sent: no event happens, and the DSN's host is a closed local port)."""
    probe = (
        "import django, json, sentry_sdk; django.setup();"
        "client = sentry_sdk.get_client();"
        "print(json.dumps({'active': client.is_active(), 'dsn': client.options['dsn'],"
        " 'pii': client.options['send_default_pii'],"
        " 'traces': client.options['traces_sample_rate']}))"
    )
    dsn = "http://public-key@127.0.0.1:9/42"
    result = run_production(["-c", probe], {**dummy_production_env(), "SENTRY_DSN": dsn})

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"active": True, "dsn": dsn, "pii": False, "traces": 0.0}


def test_production_without_a_dsn_reports_nothing():
    probe = "import django, sentry_sdk; django.setup(); print(sentry_sdk.get_client().is_active())"
    result = run_production(["-c", probe], dummy_production_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_logs_one_json_object_per_line_with_the_request_id():
    probe = (
        "import django, logging; django.setup();"
        "from engage.logging import LogContext, bind; bind(LogContext(request_id='req-prod-0001'));"
        "logging.getLogger('engage.probe').warning('probe.logged', extra={'count': 3})"
    )
    result = run_production(["-c", probe], dummy_production_env())

    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(text) for text in result.stderr.splitlines()]
    assert {k: v for k, v in line.items() if k != "time"} == {
        "level": "WARNING",
        "logger": "engage.probe",
        "message": "probe.logged",
        "request_id": "req-prod-0001",
        "user_id": None,
        "district_id": None,
        "count": 3,
    }
