"""School staff manage children, guardians and their links one by one (/people/)."""

from django.urls import path  # noqa: F401

app_name = "manage"

urlpatterns: list = []
