"""Private files served after a permission check (/files/)."""

from django.urls import path  # noqa: F401

app_name = "files"

urlpatterns: list = []
