from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # Every way of signing in sends this signal: the family counts as active this period.
        user_logged_in.connect(_record_sign_in, dispatch_uid="dashboards.sign_in")


def _record_sign_in(sender, request, user, **kwargs):
    from dashboards.actions import record_sign_in

    record_sign_in(user)
