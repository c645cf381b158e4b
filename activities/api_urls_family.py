"""API: families completing activities."""

from django.urls import path  # noqa: F401

app_name = "api_family_activities"

urlpatterns: list = []
