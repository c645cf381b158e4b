from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from guardians import api as guardians_api
from tenants import api as tenants_api
from tenants.roster import api as roster_api

urlpatterns = [
    path("v1/me/", tenants_api.MeApi.as_view(), name="api_me"),
    path("v1/contexts/", tenants_api.ContextListApi.as_view(), name="api_contexts"),
    path("v1/schools/", tenants_api.SchoolListApi.as_view(), name="api_schools"),
    path("v1/classrooms/", tenants_api.ClassroomListApi.as_view(), name="api_classrooms"),
    path(
        "v1/classrooms/<int:classroom_id>/",
        tenants_api.ClassroomDetailApi.as_view(),
        name="api_classroom_detail",
    ),
    path("v1/family/children/", guardians_api.MyChildrenApi.as_view(), name="api_my_children"),
    path(
        "v1/family/children/<int:child_id>/",
        guardians_api.MyChildDetailApi.as_view(),
        name="api_my_child_detail",
    ),
    path(
        "v1/roster/imports/",
        roster_api.RosterImportListApi.as_view(),
        name="api_roster_imports",
    ),
    path(
        "v1/roster/imports/<int:run_id>/",
        roster_api.RosterImportDetailApi.as_view(),
        name="api_roster_import",
    ),
    path("v1/", include("activities.api_urls_authoring")),
    path("v1/", include("activities.api_urls_family")),
    path("v1/", include("activities.api_urls_review")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]
