"""API: review, leaderboards, sharing."""

from django.urls import path  # noqa: F401

app_name = "api_review"

urlpatterns: list = []
