from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from privacy import (
            checks,  # noqa: F401  (registers the classification check)
            lifecycle,  # noqa: F401  (registers the timer handlers)
        )

        # Every way of signing in (password, code, single sign-on) sends this signal: it
        # restarts the person's inactivity clock (PROMISES R3).
        user_logged_in.connect(_restart_inactivity_clock, dispatch_uid="privacy.inactivity")


def _restart_inactivity_clock(sender, request, user, **kwargs):
    from django.utils import timezone

    from privacy.lifecycle import do_reset_inactivity_clock

    do_reset_inactivity_clock(user, now=timezone.now())
