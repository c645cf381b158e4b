"""Teachers author activities and the district library (/activities/)."""

from django.urls import path

from activities.views import authoring

app_name = "activities"

urlpatterns = [
    path("", authoring.activity_list, name="list"),
    path("new/", authoring.activity_new, name="new"),
    path("library/", authoring.library, name="library"),
    path("library/<int:template_id>/copy/", authoring.library_copy, name="copy"),
    path("<int:activity_id>/", authoring.activity_detail, name="detail"),
    path("<int:activity_id>/edit/", authoring.activity_edit, name="edit"),
    path("<int:activity_id>/publish/", authoring.activity_publish, name="publish"),
    path("<int:activity_id>/schedule/", authoring.activity_schedule, name="schedule"),
    path("<int:activity_id>/unschedule/", authoring.activity_unschedule, name="unschedule"),
    path("<int:activity_id>/close/", authoring.activity_close, name="close"),
]
