from django.urls import path

from guardians.views import family

app_name = "guardians"

urlpatterns = [
    path("", family.home, name="home"),
    path("children/<int:child_id>/", family.child_detail, name="child_detail"),
    path("children/<int:child_id>/remove/", family.remove_child, name="remove_child"),
]
