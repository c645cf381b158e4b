from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants import checks  # noqa: F401  (registers the project checks)
        from tenants.auth_backends import connect_user_cache_invalidation

        connect_user_cache_invalidation()  # in every process: the cached user is never stale
