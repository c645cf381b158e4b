"""Families join: invite links, self-registration, classroom join codes (/join/)."""

from django.urls import path

from guardians.views import joining

app_name = "join"

urlpatterns = [
    path("", joining.start, name="start"),
    path("i/<str:token>/", joining.invite, name="invite"),
    path("i/<str:token>/code/", joining.invite_code, name="invite_code"),
    path("consent/", joining.consent, name="consent"),
    path("profile/", joining.profile, name="profile"),
    path("requested/", joining.requested, name="requested"),
    path("c/<str:code>/", joining.join_code, name="code"),
    path("c/<str:code>/verify/", joining.join_code_verify, name="code_verify"),
    path("<slug:district_slug>/register/", joining.register, name="register"),
    path("<slug:district_slug>/register/code/", joining.register_code, name="register_code"),
]
