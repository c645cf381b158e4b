from django.apps import AppConfig


class EngageConfig(AppConfig):
    """The project package as an app: home of cross-cutting commands (bench, demo seeding)."""

    name = "engage"
    verbose_name = "Engage platform"
