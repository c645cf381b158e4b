"""Personal-data classification: every field of every model in our apps says what it holds.

Each model declares `data_classification = {field_name: Category}` covering all its fields
(including `id` and many-to-many fields). `unclassified_fields()` lists the gaps; a system check
(`privacy.checks`) and a test fail on any. Export, erasure and the data inventory (privacy issue)
are built on these categories.
"""

from django.apps import apps
from django.conf import settings
from django.db import models


class Category(models.TextChoices):
    NONE = "none", "Not personal data"
    IDENTITY = "identity", "Identity"
    CONTACT = "contact", "Contact details"
    STUDENT_RECORD = "student_record", "Student record"
    SENSITIVE = "sensitive", "Sensitive"
    CONTENT = "content", "Content shared by the family"
    USAGE = "usage", "Usage and activity"
    PREFERENCE = "preference", "Preferences"
    CREDENTIAL = "credential", "Sign-in credentials"
    SECURITY = "security", "Security and audit"


def our_models() -> list[type[models.Model]]:
    """Concrete models of Engage's own apps (not Django's or third parties')."""
    return [
        model
        for app_label in settings.ENGAGE_APPS
        for model in apps.get_app_config(app_label).get_models()
    ]


def field_names(model: type[models.Model]) -> list[str]:
    return [
        field.name
        for field in model._meta.get_fields()
        if field.concrete or (field.many_to_many and not field.auto_created)
    ]


def unclassified_fields(models_to_check=None) -> list[str]:
    """`app.Model.field` for each field without a valid category, plus stale entries."""
    problems = []
    for model in models_to_check if models_to_check is not None else our_models():
        label = model._meta.label
        declared = getattr(model, "data_classification", None) or {}
        names = field_names(model)
        for name in names:
            if name not in declared:
                problems.append(f"{label}.{name}")
            elif declared[name] not in Category.values:
                problems.append(f"{label}.{name} (unknown category {declared[name]!r})")
        problems.extend(f"{label}.{name} (no such field)" for name in declared if name not in names)
    return problems


def personal_fields(model: type[models.Model]) -> dict[str, str]:
    """The fields of `model` that hold personal data, with their category."""
    return {
        name: category
        for name, category in model.data_classification.items()
        if category != Category.NONE
    }
