"""API: authoring (activities.api_authoring), under /api/v1/."""

from django.urls import path

from activities import api_authoring as api

app_name = "api_activities"

urlpatterns = [
    path("activities/", api.ActivityListApi.as_view(), name="list"),
    path("activities/library/", api.LibraryListApi.as_view(), name="library"),
    path(
        "activities/library/<int:template_id>/copy/",
        api.LibraryCopyApi.as_view(),
        name="copy",
    ),
    path("activities/<int:activity_id>/", api.ActivityDetailApi.as_view(), name="detail"),
    path(
        "activities/<int:activity_id>/publish/",
        api.ActivityPublishApi.as_view(),
        name="publish",
    ),
    path(
        "activities/<int:activity_id>/schedule/",
        api.ActivityScheduleApi.as_view(),
        name="schedule",
    ),
    path(
        "activities/<int:activity_id>/unschedule/",
        api.ActivityUnscheduleApi.as_view(),
        name="unschedule",
    ),
    path("activities/<int:activity_id>/close/", api.ActivityCloseApi.as_view(), name="close"),
    path(
        "activities/<int:activity_id>/attachment/",
        api.ActivityAttachmentApi.as_view(),
        name="attachment",
    ),
]
