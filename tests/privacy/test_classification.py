from django.db import models
from django.test.utils import isolate_apps

from privacy.checks import check_classification
from privacy.classification import Category, personal_fields, unclassified_fields
from tenants.models import User


@isolate_apps("privacy")
def test_classification_fails_for_an_unclassified_field():
    class Note(models.Model):
        author = models.CharField(max_length=10)
        body = models.TextField()
        data_classification = {"id": Category.NONE, "author": Category.IDENTITY, "gone": "x"}

        class Meta:
            app_label = "privacy"

    assert unclassified_fields([Note]) == ["privacy.Note.body", "privacy.Note.gone (no such field)"]
    assert [e.id for e in check_classification([Note])] == ["engage.E010", "engage.E010"]


@isolate_apps("privacy")
def test_classification_rejects_an_unknown_category():
    class Note(models.Model):
        body = models.TextField()
        data_classification = {"id": Category.NONE, "body": "secret-ish"}

        class Meta:
            app_label = "privacy"

    assert unclassified_fields([Note]) == ["privacy.Note.body (unknown category 'secret-ish')"]


def test_every_field_of_our_apps_is_classified():
    assert unclassified_fields() == []


def test_personal_fields_of_the_user():
    assert personal_fields(User) == {
        "password": "credential",
        "last_login": "usage",
        "email": "contact",
        "phone": "contact",
        "phone_verified": "contact",
        "email_verified": "contact",
        "first_name": "identity",
        "last_name": "identity",
        "preferred_language": "preference",
        "timezone": "preference",
        "date_joined": "usage",
        "merged_into": "identity",
    }
