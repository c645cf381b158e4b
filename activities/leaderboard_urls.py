"""Leaderboards and recognition (/leaderboards/)."""

from django.urls import path

from activities.views import leaderboards

app_name = "leaderboards"

urlpatterns = [
    path("classrooms/<int:classroom_id>/", leaderboards.classroom, name="classroom"),
    path("school/", leaderboards.school, name="school"),
    path("district/", leaderboards.district, name="district"),
]
