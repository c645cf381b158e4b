"""API: review, badges, sharing, leaderboards (/api/v1/)."""

from django.urls import path

from activities import api_media
from activities import api_review as api

app_name = "api_review"

urlpatterns = [
    path("review/submissions/", api.ReviewQueueApi.as_view(), name="submissions"),
    path(
        "review/district/schools/<int:school_id>/submissions/",
        api.DistrictSchoolSubmissionsApi.as_view(),
        name="district_school_submissions",
    ),
    path(
        "review/photos/<int:photo_id>/<str:variant>/",
        api_media.ReviewPhotoApi.as_view(),
        name="photo",
    ),
    path(
        "review/submissions/<int:submission_id>/",
        api.SubmissionDetailApi.as_view(),
        name="submission",
    ),
    path(
        "review/submissions/<int:submission_id>/approve/",
        api.ApproveApi.as_view(),
        name="approve",
    ),
    path(
        "review/submissions/<int:submission_id>/return/",
        api.ReturnApi.as_view(),
        name="return",
    ),
    path(
        "review/submissions/<int:submission_id>/badges/",
        api.BadgeApi.as_view(),
        name="badges",
    ),
    path(
        "review/submissions/<int:submission_id>/share/",
        api.ShareApi.as_view(),
        name="share",
    ),
    path("review/schools/", api.SchoolAggregatesApi.as_view(), name="schools"),
    path(
        "leaderboards/classrooms/<int:classroom_id>/",
        api.ClassroomLeaderboardApi.as_view(),
        name="classroom_leaderboard",
    ),
    path("leaderboards/school/", api.SchoolLeaderboardApi.as_view(), name="school_leaderboard"),
    path(
        "leaderboards/district/",
        api.DistrictLeaderboardApi.as_view(),
        name="district_leaderboard",
    ),
]
