"""engage.E010: every field of every model in our apps is classified for personal data."""

from django.core import checks

from privacy.classification import unclassified_fields


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
