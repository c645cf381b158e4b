"""Project system checks that keep tenancy and capabilities impossible to forget.

- engage.E001: a model of our apps that is not tenant-scoped and not exempt with a reason.
- engage.E002: `<TenantModel>.objects` used in a view, API or task module (reads go through
  `queries.py`, which take the scope); a line may opt out with a `# scope-exempt: <why>` comment.
- engage.E003: a URL pattern of our apps whose view declares no capability and is not public.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

from privacy.classification import our_models
from tenants.models import DistrictScopedModel

TENANT_EXEMPT_MODELS = {
    "tenants.District": "the tenant root itself",
    "tenants.User": "people span tenants; where they may act is their Memberships",
    "privacy.AuditEvent": "platform events have no district; district is nullable and "
    "privacy.queries scope reads by it",
    "notifications.OutboxEntry": "the embedded mode's provider sink, written before any tenant "
    "is known (sign-in codes)",
    "notifications.Suppression": "an opt-out holds for every school that shares the address",
    "notifications.NotificationPreference": "one attention budget per person across tenants",
    "notifications.ProcessedWebhookEvent": "provider event ids, not tenant data",
    "privacy.RetentionRun": "platform-wide jobs (log retention over every district) have no "
    "district; district is nullable and privacy.queries scope reads by it",
    "privacy.Incident": "a breach may touch many districts: operators keep the register; each "
    "district's part (contact, notice) is a scoped IncidentDistrict row",
}

SCOPE_EXEMPT_MARKER = "# scope-exempt:"
CHECKED_MODULE_NAMES = ("views", "api", "tasks")


def is_tenant_model(model) -> bool:
    return issubclass(model, DistrictScopedModel)


def check_tenant_models(models) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{model._meta.label} is not tenant-scoped.",
            hint="Inherit DistrictScopedModel, SchoolScopedModel or a classroom-scoped base, "
            "or add it to tenants.checks.TENANT_EXEMPT_MODELS with the reason.",
            obj=model,
            id="engage.E001",
        )
        for model in models
        if not is_tenant_model(model) and model._meta.label not in TENANT_EXEMPT_MODELS
    ]


def find_unscoped_manager_uses(source: str, tenant_model_names: set[str]) -> list[int]:
    """Line numbers where `<TenantModel>.objects` appears without a scope-exempt comment."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "objects"
            and isinstance(node.value, ast.Name)
            and node.value.id in tenant_model_names
            and SCOPE_EXEMPT_MARKER not in lines[node.lineno - 1]
        ):
            found.append(node.lineno)
    return sorted(found)


def checked_source_files() -> list[Path]:
    files = []
    for label in settings.ENGAGE_APPS:
        root = Path(apps.get_app_config(label).path)
        for name in CHECKED_MODULE_NAMES:
            # views.py / api.py / tasks.py anywhere in the app (sub-domain packages included),
            # and every module of a views/ api/ tasks/ package.
            files.extend(sorted(root.rglob(f"{name}.py")))
            for package in sorted(root.rglob(name)):
                if package.is_dir():
                    files.extend(sorted(package.rglob("*.py")))
    return sorted(set(files))


def check_manager_uses(files) -> list[checks.CheckMessage]:
    names = {model.__name__ for model in our_models() if is_tenant_model(model)}
    errors = []
    for path in files:
        for line in find_unscoped_manager_uses(path.read_text(), names):
            errors.append(
                checks.Error(
                    f"{path.relative_to(settings.BASE_DIR)}:{line} reads a tenant model through "
                    "its manager.",
                    hint="Call a scoped function from queries.py, or mark the line with "
                    f"'{SCOPE_EXEMPT_MARKER} <reason>'.",
                    id="engage.E002",
                )
            )
    return errors


def iter_url_patterns(patterns=None, prefix="", namespace=""):
    """(route, pattern, reversible name) for every URL pattern, through includes."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from iter_url_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield prefix + str(entry.pattern), entry, name


def view_declaration(callback):
    """The capability a view declares, 'public', or None when it declares nothing."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    for holder in (callback, view_class):
        if holder is None:
            continue
        if getattr(holder, "engage_public", False):
            return "public"
        declared = getattr(holder, "engage_capability", None) or getattr(holder, "capability", None)
        if declared:
            return declared
    return None


def is_our_view(callback) -> bool:
    module = getattr(callback, "__module__", "") or ""
    return module.split(".")[0] in {*settings.ENGAGE_APPS, "engage"}


def check_view_capabilities(patterns=None) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"The view for '{route}' ({pattern.callback.__module__}) declares no capability.",
            hint="Use @scoped_view(capability) / ScopedApi.capability, or @public_view.",
            id="engage.E003",
        )
        for route, pattern, _name in iter_url_patterns(patterns)
        if is_our_view(pattern.callback) and view_declaration(pattern.callback) is None
    ]


@checks.register("engage")
def engage_tenancy_checks(app_configs=None, **kwargs):
    return [
        *check_tenant_models(our_models()),
        *check_manager_uses(checked_source_files()),
        *check_view_capabilities(),
    ]
