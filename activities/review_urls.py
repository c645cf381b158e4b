"""Teachers review submissions; admins share with consent (/review/)."""

from django.urls import path

from activities.views import review

app_name = "review"

urlpatterns = [
    path("", review.queue, name="queue"),
    path("submissions/<int:submission_id>/", review.submission_detail, name="submission"),
    path("submissions/<int:submission_id>/decide/", review.decide, name="decide"),
    path("submissions/<int:submission_id>/badge/", review.award_badge, name="badge"),
    path("submissions/<int:submission_id>/share/", review.share, name="share"),
    path("district/", review.district, name="district"),
    path("district/open/", review.open_school, name="open_school"),
    path("district/close/", review.close_school, name="close_school"),
]
