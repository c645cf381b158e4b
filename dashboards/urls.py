from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.home, name="home"),
    path("district/", views.district, name="district"),
    path("district/<slug:table>.csv", views.district_export, name="district_export"),
    path("schools/<int:school_id>/", views.school, name="school"),
    path("schools/<int:school_id>/<slug:table>.csv", views.school_export, name="school_export"),
    path("classrooms/<int:classroom_id>/", views.classroom, name="classroom"),
]
