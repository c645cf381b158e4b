"""School staff manage children, guardians and their links one by one (/people/)."""

from django.urls import path

from guardians.views import deletion, manage
from tenants import views as tenants_views

app_name = "manage"

urlpatterns = [
    path("", manage.child_list, name="child_list"),
    path("children/add/", manage.child_add, name="child_add"),
    path("children/<int:child_id>/", manage.child_detail, name="child_detail"),
    path("children/<int:child_id>/edit/", manage.child_edit, name="child_edit"),
    path("children/<int:child_id>/move/", manage.child_move, name="child_move"),
    path("children/<int:child_id>/remove/", manage.child_remove, name="child_remove"),
    path("children/<int:child_id>/delete/", deletion.child_delete, name="child_delete"),
    path("children/<int:child_id>/guardians/add/", manage.link_add, name="link_add"),
    path("links/<int:link_id>/edit/", manage.link_edit, name="link_edit"),
    path("links/<int:link_id>/end/", manage.link_end, name="link_end"),
    path("guardians/", manage.guardian_list, name="guardian_list"),
    path("guardians/<int:guardian_id>/", manage.guardian_detail, name="guardian_detail"),
    path("guardians/<int:guardian_id>/edit/", manage.guardian_edit, name="guardian_edit"),
    path("guardians/<int:guardian_id>/remove/", manage.guardian_remove, name="guardian_remove"),
    path("guardians/<int:guardian_id>/delete/", deletion.guardian_delete, name="guardian_delete"),
    # Staff are people too; the page lives with the staff list (tenants.views).
    path("staff/<int:membership_id>/edit/", tenants_views.staff_edit, name="staff_edit"),
]
