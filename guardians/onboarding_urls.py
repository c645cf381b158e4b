"""Staff bring families in: invite funnel, invites, join codes, join requests (/onboarding/)."""

from django.urls import path

from guardians.views import onboarding

app_name = "onboarding"

urlpatterns = [
    path("invites/", onboarding.funnel, name="funnel"),
    path(
        "classrooms/<int:classroom_id>/invites/",
        onboarding.classroom_invites,
        name="classroom_invites",
    ),
    path("classrooms/<int:classroom_id>/join-codes/", onboarding.join_codes, name="join_codes"),
    path(
        "join-codes/<int:join_code_id>/print/", onboarding.join_code_print, name="join_code_print"
    ),
    path(
        "join-codes/<int:join_code_id>/revoke/",
        onboarding.join_code_revoke,
        name="join_code_revoke",
    ),
    path("join-requests/", onboarding.join_requests, name="join_requests"),
    path(
        "join-requests/<int:join_request_id>/",
        onboarding.join_request_detail,
        name="join_request_detail",
    ),
]
