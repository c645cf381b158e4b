from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # iPhones send HEIC: teach Pillow to open HEIF once per process (web and workers alike).
        # activities.media still tells Image.open which formats it may try.
        from pillow_heif import register_heif_opener

        register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
