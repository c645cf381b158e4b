"""The production-like stack (docker-compose.yml, Dockerfile, gunicorn.conf.py) agrees with the code.

CI has no Docker engine, so these read the files: the services exist and are wired the way
engage/settings expects them, with the names the settings actually read.
"""

import ast
import multiprocessing
import re
import runpy
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings

from engage import readiness
from tests.engage.test_settings import REQUIRED_ENV

BASE_DIR = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]

# Read by libraries or processes rather than engage/settings: boto3's credentials, Django's own.
READ_OUTSIDE_SETTINGS = {"DJANGO_SETTINGS_MODULE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def interpolate(value) -> str:
    """Resolve compose's ${NAME:-default} / ${NAME:?error} as if nothing were exported."""
    text = str(value)
    text = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", text)
    text = re.sub(r"\$\{\w+:\?[^}]*\}", "set-by-the-operator", text)
    return text.replace("$$", "$")


def command_of(service: dict) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: interpolate(value) for name, value in environment.items()}


def services_with_image(prefix: str) -> list[str]:
    return [name for name, s in SERVICES.items() if str(s.get("image", "")).startswith(prefix)]


def django_services() -> list[str]:
    """Services that run the Engage image (built from the Dockerfile)."""
    return [name for name, service in SERVICES.items() if "build" in service]


def env_names_read(path: Path) -> set[str]:
    text = path.read_text()
    return set(re.findall(r"env_\w+\(\s*\"(\w+)\"", text)) | set(
        re.findall(r"os\.environ\.get\(\s*\"(\w+)\"", text)
    )


SETTINGS_ENV = set().union(
    *(env_names_read(path) for path in (BASE_DIR / "engage" / "settings").glob("*.py"))
)
(POSTGRES,) = services_with_image("postgres:")
(REDIS,) = services_with_image("redis:")
(S3_STORE,) = services_with_image("minio/minio")


WORKERS = [name for name in SERVICES if "worker" in command_of(SERVICES[name])]
DJANGO_SERVICES = ["migrate", "web", *WORKERS, "beat"]


def test_the_stack_has_every_service():
    assert set(SERVICES) == {
        "postgres",
        "redis",
        "s3",
        "s3-bucket",
        "migrate",
        "web",
        "worker-notifications",
        "worker-media",
        "worker-privacy",
        "worker-default",
        "beat",
    }
    assert SERVICES[POSTGRES]["image"] == "postgres:16"
    assert SERVICES[REDIS]["image"] == "redis:7"
    assert sorted(django_services()) == sorted(DJANGO_SERVICES)


def test_exactly_one_beat():
    beats = [name for name, service in SERVICES.items() if "beat" in command_of(service)]
    assert beats == ["beat"]
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "celery" in command_of(SERVICES["beat"])


def test_web_runs_gunicorn_with_its_config_file():
    command = command_of(SERVICES["web"])
    assert command[0] == "gunicorn"
    assert command[command.index("-c") + 1] == "gunicorn.conf.py"
    assert "engage.wsgi:application" in command


def queues_of(service: str) -> list[str]:
    command = command_of(SERVICES[service])
    return command[command.index("-Q") + 1].split(",")


def test_every_queue_the_routes_use_has_exactly_one_worker_service():
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    routed.add(settings.CELERY_TASK_DEFAULT_QUEUE)
    consumed = [queue for worker in WORKERS for queue in queues_of(worker)]

    assert sorted(consumed) == sorted(routed) == ["default", "media", "notifications", "privacy"]
    assert {worker: queues_of(worker) for worker in WORKERS} == {
        f"worker-{queue}": [queue] for queue in sorted(routed)
    }
    # /readyz watches the same queues.
    assert sorted(readiness.QUEUES) == sorted(routed)


@pytest.mark.parametrize("worker", ["notifications", "media", "privacy", "default"])
def test_each_worker_is_a_named_celery_worker_pinged_by_its_healthcheck(worker):
    command = command_of(SERVICES[f"worker-{worker}"])
    assert command[:4] == ["celery", "-A", "engage", "worker"]
    node = command[command.index("-n") + 1]
    assert node == f"{worker}@%h"
    assert re.fullmatch(r"--concurrency=\$\{\w+_CONCURRENCY:-\d+\}", command[-2])
    assert SERVICES[f"worker-{worker}"]["healthcheck"]["test"] == [
        "CMD-SHELL",
        f"celery -A engage inspect ping -d {worker}@$$HOSTNAME --timeout 10",
    ]
    assert SERVICES[f"worker-{worker}"]["stop_grace_period"] == "60s"


@pytest.mark.parametrize("service", DJANGO_SERVICES)
def test_django_services_get_production_settings_and_the_required_variables(service):
    environment = environment_of(SERVICES[service])
    assert environment["DJANGO_SETTINGS_MODULE"] == "engage.settings.production"
    for name in REQUIRED_ENV:
        assert environment.get(name), f"{service} lacks {name}"
    # Compose refuses to start without a real secret key rather than ship a default one.
    assert ":?" in SERVICES[service]["environment"]["SECRET_KEY"]


@pytest.mark.parametrize("service", DJANGO_SERVICES)
def test_database_and_redis_urls_point_at_their_services(service):
    environment = environment_of(SERVICES[service])
    database = urlparse(environment["DATABASE_URL"])
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == POSTGRES
    redis_url = urlparse(environment["REDIS_URL"])
    assert redis_url.scheme == "redis"
    assert redis_url.hostname == REDIS
    assert SERVICES[service]["depends_on"][POSTGRES]["condition"] == "service_healthy"
    assert SERVICES[service]["depends_on"][REDIS]["condition"] == "service_healthy"


def test_redis_is_a_broker_that_never_evicts():
    command = command_of(SERVICES[REDIS])
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert command[command.index("--appendonly") + 1] == "yes"


def test_s3_variables_are_the_ones_settings_read():
    environment = environment_of(SERVICES["web"])
    s3_in_compose = {name for name in environment if name.startswith("AWS_")}
    s3_in_settings = {name for name in SETTINGS_ENV if name.startswith("AWS_")}
    assert s3_in_settings <= s3_in_compose
    assert s3_in_compose - s3_in_settings == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert urlparse(environment["AWS_S3_ENDPOINT_URL"]).hostname == S3_STORE
    bucket_job = SERVICES["s3-bucket"]
    assert (
        environment_of(bucket_job)["AWS_STORAGE_BUCKET_NAME"]
        == (environment["AWS_STORAGE_BUCKET_NAME"])
    )
    assert bucket_job["depends_on"][S3_STORE]["condition"] == "service_healthy"
    assert SERVICES["web"]["depends_on"]["s3-bucket"]["condition"] == (
        "service_completed_successfully"
    )


@pytest.mark.parametrize("service", DJANGO_SERVICES)
def test_every_variable_given_to_django_is_read_somewhere(service):
    """A misspelt variable would be silently ignored; this catches it."""
    gunicorn_env = env_names_read(BASE_DIR / "gunicorn.conf.py")
    unread = set(environment_of(SERVICES[service])) - SETTINGS_ENV - READ_OUTSIDE_SETTINGS
    assert unread - gunicorn_env == set()


def gunicorn_config(monkeypatch, **env) -> dict:
    for name in (
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "GUNICORN_ACCESS_LOG",
        "LOG_FORMAT",
        "GUNICORN_BIND",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_the_web_port_is_the_one_gunicorn_binds_and_the_healthcheck_asks(monkeypatch):
    bound_port = gunicorn_config(monkeypatch)["bind"].rsplit(":", 1)[1]
    (published,) = SERVICES["web"]["ports"]
    assert interpolate(published) == f"8000:{bound_port}"
    healthcheck = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert f"'http://127.0.0.1:{bound_port}/readyz'" in healthcheck
    # Asked with an allowed host name, or Django would answer 400 to a strict ALLOWED_HOSTS.
    assert "os.environ['ALLOWED_HOSTS'].split(',')[0]" in healthcheck
    assert "'Host': host" in healthcheck
    # Nothing but the web port is published: the database, Redis and the store stay inside.
    assert [name for name, service in SERVICES.items() if "ports" in service] == ["web"]


def production_setting(name: str):
    """A literal of engage/settings/production.py, read without importing it (that needs the
    production environment)."""
    tree = ast.parse((BASE_DIR / "engage" / "settings" / "production.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"production.py does not set {name}")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_answer_over_plain_http_in_production(client, path):
    """The healthchecks ask over HTTP inside the network: both paths are exempt from the HTTPS
    redirect and from the admins' two-factor setup redirect."""
    from tenants.middleware import TWO_FACTOR_SETUP_PREFIXES

    exempt = production_setting("SECURE_REDIRECT_EXEMPT")
    assert any(re.search(pattern, path.lstrip("/")) for pattern in exempt)
    assert path.startswith(TWO_FACTOR_SETUP_PREFIXES)
    assert client.get(path).status_code == 200


def test_logs_are_json_in_the_stack_and_in_production(monkeypatch):
    environment = environment_of(SERVICES["web"])
    assert environment["LOG_FORMAT"] == "json"
    config = gunicorn_config(monkeypatch, LOG_FORMAT="json")
    assert config["logconfig_dict"]["formatters"] == {
        "json": {"()": "engage.logging.JsonFormatter"}
    }
    assert config["logconfig_dict"]["loggers"]["gunicorn.access"]["level"] == "CRITICAL"
    assert "logconfig_dict" not in gunicorn_config(monkeypatch, LOG_FORMAT="plain")


def test_the_erasure_journal_lives_outside_the_database():
    journal = environment_of(SERVICES["web"])["ENGAGE_ERASURE_JOURNAL"]
    assert journal == "storage:erasure-journal/"
    assert "ENGAGE_ERASURE_JOURNAL" in SETTINGS_ENV
    for service in DJANGO_SERVICES:
        assert environment_of(SERVICES[service])["ENGAGE_ERASURE_JOURNAL"] == journal


def test_long_running_services_have_healthchecks():
    for name, service in SERVICES.items():
        if service.get("restart") == "no":
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_gunicorn_config(monkeypatch):
    config = gunicorn_config(monkeypatch)
    assert config["bind"] == "0.0.0.0:8000"
    # Threaded workers: a cheap page does not queue behind a slow request in the same process.
    assert config["worker_class"] == "gthread"
    assert config["workers"] == min(2 * multiprocessing.cpu_count() + 1, 12)
    assert config["threads"] == 4
    assert config["timeout"] == 30
    assert 0 < config["graceful_timeout"] <= config["timeout"]
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    assert config["limit_request_line"] == 4094
    assert config["forwarded_allow_ips"]
    # Engage logs each request itself (route, not path: paths carry tokens).
    assert config["accesslog"] is None
    assert config["control_socket_disable"] is True

    assert gunicorn_config(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3
    assert gunicorn_config(monkeypatch, GUNICORN_THREADS="2")["threads"] == 2
    assert gunicorn_config(monkeypatch, GUNICORN_ACCESS_LOG="-")["accesslog"] == "-"


def test_dockerfile():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.12-slim" in dockerfile
    assert re.search(r"pip install --require-hashes -r \S*requirements\.txt", dockerfile)
    assert "COPY requirements/base.txt" in dockerfile
    assert "engage.settings.production" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER engage", dockerfile, re.MULTILINE)
    assert 'CMD ["gunicorn", "-c", "gunicorn.conf.py", "engage.wsgi:application"]' in dockerfile
