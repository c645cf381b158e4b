"""Families complete activities for their children (/family/...)."""

from django.urls import path  # noqa: F401

app_name = "family_activities"

urlpatterns: list = []
