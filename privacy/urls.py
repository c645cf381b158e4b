from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("policy/", views.policy, name="policy"),
]
