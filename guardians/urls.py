from django.urls import path

from guardians import views

app_name = "guardians"

urlpatterns = [
    path("", views.home, name="home"),
    path("children/<int:child_id>/", views.child_detail, name="child_detail"),
]
