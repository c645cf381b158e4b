"""Privacy system checks.

- engage.E010: every field of every model in our apps is classified for personal data.
- engage.E011: the field-encryption keys are well formed, and present where production needs them.
"""

from django.core import checks

from privacy.classification import unclassified_fields
from privacy.crypto import field_key_problems


def check_classification(models=None) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{field} has no personal-data classification.",
            hint="Add it to the model's data_classification with a privacy.classification.Category.",
            id="engage.E010",
        )
        for field in unclassified_fields(models)
    ]


@checks.register("engage")
def engage_classification_check(app_configs=None, **kwargs):
    return check_classification()


def check_field_keys() -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{problem}.",
            hint="Sensitive fields are encrypted with keys of their own, never SECRET_KEY; "
            "docs/ENCRYPTION.md says how to generate and set them.",
            id="engage.E011",
        )
        for problem in field_key_problems()
    ]


@checks.register("engage")
def engage_field_keys_check(app_configs=None, **kwargs):
    return check_field_keys()
