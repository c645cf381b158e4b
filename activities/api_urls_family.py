"""API: families completing activities."""

from django.urls import path

from activities import api_family, api_media

app_name = "api_family_activities"

urlpatterns = [
    path(
        "family/children/<int:child_id>/activities/",
        api_family.ChildFeedApi.as_view(),
        name="feed",
    ),
    path(
        "family/children/<int:child_id>/activities/<int:activity_id>/",
        api_family.ChildActivityApi.as_view(),
        name="activity",
    ),
    path(
        "family/photos/<int:photo_id>/<str:variant>/",
        api_media.FamilyPhotoApi.as_view(),
        name="photo",
    ),
    path(
        "family/children/<int:child_id>/portfolio/",
        api_family.PortfolioApi.as_view(),
        name="portfolio",
    ),
]
