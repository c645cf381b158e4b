"""Only notifications/providers/ talks to messaging vendors."""

import ast
from pathlib import Path

from django.conf import settings

VENDORS = {"twilio", "sendgrid", "python_http_client", "boto3", "botocore"}


def vendor_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & VENDORS


def test_no_module_outside_the_providers_imports_a_vendor_client():
    root = Path(settings.BASE_DIR)
    offenders = {
        str(path.relative_to(root)): sorted(vendor_imports(path))
        for app in [*settings.ENGAGE_APPS, "engage"]
        for path in (root / app).rglob("*.py")
        if "providers" not in path.parts and "migrations" not in path.parts and vendor_imports(path)
    }
    assert offenders == {}
