"""API: authoring."""

from django.urls import path  # noqa: F401

app_name = "api_activities"

urlpatterns: list = []
