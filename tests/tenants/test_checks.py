"""The project checks that make tenancy and capabilities hard to forget."""

from django.db import models
from django.test.utils import isolate_apps
from django.urls import path

from privacy.classification import our_models
from tenants.checks import (
    check_manager_uses,
    check_tenant_models,
    check_view_capabilities,
    checked_source_files,
    find_unscoped_manager_uses,
)
from tenants.models import SchoolScopedModel
from tenants.views_base import public_view, scoped_view


@isolate_apps("tenants")
def test_tenant_check_fails_for_a_model_that_skips_the_scoping_base():
    class Rogue(models.Model):
        note = models.CharField(max_length=10)

        class Meta:
            app_label = "tenants"

    class Scoped(SchoolScopedModel):
        note = models.CharField(max_length=10)

        class Meta:
            app_label = "tenants"

    errors = check_tenant_models([Rogue, Scoped])
    assert [(e.id, e.msg) for e in errors] == [
        ("engage.E001", "tenants.Rogue is not tenant-scoped.")
    ]


def test_every_model_of_our_apps_is_scoped_or_exempt():
    assert check_tenant_models(our_models()) == []


def test_manager_check_finds_unscoped_reads():
    source = (
        "from tenants.models import Classroom, District\n"
        "def view(request):\n"
        "    rooms = Classroom.objects.all()\n"
        "    ok = District.objects.all()\n"
        "    also = Classroom.objects.filter(id=1)  # scope-exempt: operator page\n"
        "    return Classroom.objects.get(id=2)\n"
    )
    assert find_unscoped_manager_uses(source, {"Classroom"}) == [3, 6]


def test_no_view_api_or_task_reads_a_tenant_model_through_its_manager():
    files = checked_source_files()
    assert any(str(f).endswith("tenants/views.py") for f in files)
    assert check_manager_uses(files) == []


def _undeclared(request):
    return None


_undeclared.__module__ = "tenants.views"


@scoped_view("roster:view")
def _declared(request, scope):
    return None


@public_view
def _public(request):
    return None


def test_view_check_fails_for_a_view_without_a_capability():
    patterns = [
        path("a/", _undeclared),
        path("b/<int:x>/", _declared),
        path("c/", _public),
    ]
    _declared.__module__ = _public.__module__ = "tenants.views"
    errors = check_view_capabilities(patterns)
    assert [(e.id, e.msg) for e in errors] == [
        ("engage.E003", "The view for 'a/' (tenants.views) declares no capability.")
    ]


def test_every_view_of_our_urlconf_declares_a_capability():
    assert check_view_capabilities() == []
