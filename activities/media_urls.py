"""Private files served after a permission check (/files/); see activities.views.media."""

from django.urls import path

from activities.views import media

app_name = "files"

urlpatterns = [
    path(
        "family/photos/<int:photo_id>/<str:variant>/",
        media.family_photo,
        name="family_photo",
    ),
    path(
        "review/photos/<int:photo_id>/<str:variant>/",
        media.review_photo,
        name="review_photo",
    ),
    path(
        "district/photos/<int:photo_id>/<str:variant>/",
        media.district_photo,
        name="district_photo",
    ),
    path(
        "activities/<int:activity_id>/attachment/",
        media.staff_attachment,
        name="activity_attachment",
    ),
    path(
        "family/children/<int:child_id>/activities/<int:activity_id>/attachment/",
        media.family_attachment,
        name="family_activity_attachment",
    ),
]
