"""Every promise of PROMISES.md has a test that names it; and the promises about what Engage
never collects or sends (C1, C6, C7, C9), checked over the whole code base."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from guardians.models import Child, GuardianProfile
from privacy.classification import our_models
from tenants.models import Role

ROOT = Path(settings.BASE_DIR)
PROMISES = ROOT.parent / "shared" / "PROMISES.md"
CODE_PATTERN = re.compile(r"^\| ([VCRS]\d+) \|", re.MULTILINE)


def promise_codes() -> list[str]:
    """The codes of PROMISES.md; the list below when the file is not beside the project (CI
    checks out the project alone), kept equal to it by the first test."""
    if PROMISES.exists():
        return CODE_PATTERN.findall(PROMISES.read_text())
    return KNOWN_CODES


KNOWN_CODES = [
    *(f"V{n}" for n in range(1, 7)),
    *(f"C{n}" for n in range(1, 10)),
    *(f"R{n}" for n in range(1, 15)),
    *(f"S{n}" for n in range(1, 6)),
]


def _test_function_names():
    names = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def test_the_promise_list_is_the_one_in_promises_md():
    assert promise_codes() == KNOWN_CODES


def test_every_promise_has_a_test_that_names_it():
    names = _test_function_names()
    missing = [
        code
        for code in promise_codes()
        if not any(re.search(rf"(^test|_){code}_", name) for name in names)
    ]
    assert missing == []


# --- C1: only what is needed ----------------------------------------------------------------

FORBIDDEN = re.compile(
    r"ssn|social_security|medical|diagnos|health|disciplin|behaviou?r_incident|biometric|"
    r"fingerprint|face_id|politic|religio|sexual|immigration|criminal"
)


def test_C1_no_model_collects_what_the_service_does_not_need():
    fields = [
        f"{model._meta.label}.{field.name}"
        for model in our_models()
        for field in model._meta.get_fields()
        if FORBIDDEN.search(field.name)
    ]
    assert fields == []


def test_C1_the_optional_profile_stays_optional():
    required = [
        field.name
        for field in GuardianProfile._meta.concrete_fields
        if field.editable
        and not field.blank
        and not field.primary_key
        and not field.is_relation
        and field.name not in {"is_skipped", "updated_at"}
    ]
    assert required == []


# --- C6: device and browser data only in aggregate -------------------------------------------


def test_C6_nothing_ties_a_device_or_browser_to_a_person():
    device_fields = [
        f"{model._meta.label}.{field.name}"
        for model in our_models()
        for field in model._meta.get_fields()
        if re.search(r"user_agent|device|browser|fingerprint|screen", field.name)
    ]
    assert device_fields == []


# --- C7: children never have accounts --------------------------------------------------------


def test_C7_children_are_records_that_never_sign_in():
    child_fields = {field.name for field in Child._meta.get_fields()}
    assert child_fields.isdisjoint({"password", "email", "phone", "user", "last_login"})
    assert not any(re.search(r"student|child|pupil", role) for role in Role.values)


# --- C9: data leaves only to deliver the service --------------------------------------------

# The only modules that may open a connection to another service: the providers (Twilio,
# SendGrid), storage (S3 through django-storages) and error reporting (Sentry, in settings).
OUTBOUND = re.compile(
    r"^\s*(import|from)\s+(requests|httpx|urllib3|urllib\.request|http\.client|aiohttp|"
    r"boto3|botocore|twilio|sendgrid|sentry_sdk|socket)\b",
    re.MULTILINE,
)
ALLOWED_OUTBOUND = ("notifications/providers/", "engage/settings/", "engage/bench/")


@pytest.mark.parametrize("app", [*settings.ENGAGE_APPS, "engage"])
def test_C9_data_leaves_only_through_the_listed_subprocessors(app):
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and not str(path.relative_to(ROOT)).startswith(ALLOWED_OUTBOUND)
        and OUTBOUND.search(path.read_text())
    ]
    assert offenders == []
