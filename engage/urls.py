from django.contrib import admin
from django.urls import include, path

from engage import views as engage_views
from tenants import views as tenants_views

urlpatterns = [
    path("", tenants_views.home, name="home"),
    path("healthz", engage_views.healthz, name="healthz"),
    path("readyz", engage_views.readyz, name="readyz"),
    path("bench/bare/", engage_views.bench_bare, name="bench_bare"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("engage.api_urls")),
    path("family/", include("guardians.urls")),
    path("family/", include("activities.family_urls")),
    path("activities/", include("activities.urls")),
    path("review/", include("activities.review_urls")),
    path("leaderboards/", include("activities.leaderboard_urls")),
    path("files/", include("activities.media_urls")),
    path("join/", include("guardians.join_urls")),
    path("people/", include("guardians.manage_urls")),
    path("onboarding/", include("guardians.onboarding_urls")),
    path("privacy/", include("privacy.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("", include("notifications.urls")),
    path("", include("tenants.urls")),
]
