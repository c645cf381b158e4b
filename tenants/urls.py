from django.urls import path

from tenants import views
from tenants.roster import views as roster_views

app_name = "tenants"

urlpatterns = [
    path("switch/", views.switch_scope, name="switch_scope"),
    path("district/", views.district_home, name="district_home"),
    path("school/", views.school_home, name="school_home"),
    path("teach/", views.teacher_home, name="teacher_home"),
    path("overview/", views.viewer_home, name="viewer_home"),
    path("classrooms/<int:classroom_id>/", views.classroom_detail, name="classroom_detail"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:membership_id>/revoke/", views.membership_revoke, name="membership_revoke"),
    path("preferences/", views.preferences, name="preferences"),
    path("roster/imports/", roster_views.imports, name="roster_imports"),
    path("roster/imports/<int:run_id>/", roster_views.import_detail, name="roster_import"),
    path("roster/format/", roster_views.roster_format, name="roster_format"),
]
