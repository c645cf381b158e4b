"""Privacy pages (/privacy/): the public policy, a family's own privacy page, the district's
privacy console and the incident register."""

from django.urls import path

from privacy.views import public

app_name = "privacy"

urlpatterns = [
    path("policy/", public.policy, name="policy"),
]
