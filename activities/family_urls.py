"""Families complete activities for their children (/family/...)."""

from django.urls import path

from activities.views import family

app_name = "family_activities"

urlpatterns = [
    path("children/<int:child_id>/activities/", family.child_feed, name="feed"),
    path(
        "children/<int:child_id>/activities/<int:activity_id>/",
        family.activity_detail,
        name="activity",
    ),
    path("children/<int:child_id>/portfolio/", family.portfolio, name="portfolio"),
    path("children/<int:child_id>/leaderboard/", family.leaderboard, name="leaderboard"),
]
