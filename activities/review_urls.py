"""Teachers review submissions; admins share with consent (/review/)."""

from django.urls import path  # noqa: F401

app_name = "review"

urlpatterns: list = []
