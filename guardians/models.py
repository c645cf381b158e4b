"""Families: children (records that never sign in), their enrollments, and guardian links."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.classification import Category as C
from tenants.models import Classroom, DistrictScopedModel, SchoolScopedModel


class Child(SchoolScopedModel):
    """A pupil, as the school's roster describes them. Children never sign in (PROMISES C7)."""

    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    preferred_name = models.CharField(max_length=150, blank=True)
    grade_level = models.CharField(max_length=8, blank=True)
    pupil_number = models.CharField(max_length=64, blank=True)
    sourced_id = models.CharField(max_length=255, blank=True)
    # Only from a roster's demographics.csv, when the district turns that on (for guardians'
    # identity checks); nothing else of demographics is kept.
    birth_date = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.STUDENT_RECORD,
        "birth_date": C.SENSITIVE,  # encrypted at rest by the privacy issue
        "first_name": C.IDENTITY,
        "last_name": C.IDENTITY,
        "preferred_name": C.IDENTITY,
        "grade_level": C.STUDENT_RECORD,
        "pupil_number": C.STUDENT_RECORD,
        "sourced_id": C.STUDENT_RECORD,
        "is_active": C.NONE,
        "created_at": C.USAGE,
    }

    class Meta:
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["district", "school", "is_active"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.first_name} {self.last_name}".strip()


class Enrollment(SchoolScopedModel):
    """A child in a classroom (for that classroom's school year)."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="enrollments")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.STUDENT_RECORD,
        "classroom": C.STUDENT_RECORD,
        "child": C.STUDENT_RECORD,
        "is_active": C.NONE,
        "created_at": C.USAGE,
    }

    class Meta:
        indexes = [models.Index(fields=["district", "classroom", "is_active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "child"],
                condition=Q(is_active=True),
                name="enrollment_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"child {self.child_id} in classroom {self.classroom_id}"


class GuardianLink(DistrictScopedModel):
    """A guardian's relationship to a child.

    `has_access=False` is the custody "no access" flag: that guardian sees nothing of the child
    (PROMISES V6), though the link is kept so the school knows of the restriction.
    """

    class Relationship(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        PARENT = "parent", _("Parent")
        GRANDPARENT = "grandparent", _("Grandparent")
        CARER = "carer", _("Carer")
        OTHER = "other", _("Other")

    class ContactRole(models.TextChoices):
        PRIMARY = "primary", _("Primary")
        SECONDARY = "secondary", _("Secondary")
        EMERGENCY = "emergency", _("Emergency")

    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guardian_links"
    )
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="guardian_links")
    relationship = models.CharField(
        max_length=20, choices=Relationship.choices, default=Relationship.PARENT
    )
    contact_role = models.CharField(
        max_length=20, choices=ContactRole.choices, default=ContactRole.PRIMARY
    )
    has_access = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "guardian": C.IDENTITY,
        "child": C.STUDENT_RECORD,
        "relationship": C.IDENTITY,
        "contact_role": C.CONTACT,
        "has_access": C.SENSITIVE,
        "is_active": C.NONE,
        "created_at": C.USAGE,
    }

    class Meta:
        indexes = [models.Index(fields=["guardian", "is_active"])]
        constraints = [
            models.UniqueConstraint(
                fields=["guardian", "child"],
                condition=Q(is_active=True),
                name="guardianlink_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"guardian {self.guardian_id} of child {self.child_id}"
