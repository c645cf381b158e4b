"""Families: children (records that never sign in), their enrollments, and guardian links."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.classification import Category as C
from privacy.fields import (
    EncryptedBooleanField,
    EncryptedCharField,
    EncryptedDateField,
    KeyedHashField,
)
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
    # identity checks); nothing else of demographics is kept. Encrypted at rest (PROMISES S1);
    # the identity check finds children by the keyed hash.
    birth_date = EncryptedDateField(null=True, blank=True)
    birth_date_hash = KeyedHashField(source="birth_date")
    # Pupil premium / free-school-meals status as the district records it (None: not recorded),
    # for the engagement gap on dashboards, which count by the keyed hash without decrypting.
    is_disadvantaged = EncryptedBooleanField(null=True, blank=True)
    is_disadvantaged_hash = KeyedHashField(source="is_disadvantaged")
    is_active = models.BooleanField(default=True)
    # When the roster removed the child (a leaver, or no longer listed): the privacy engine's
    # retention timers start here. Cleared when a later roster lists the child again.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.STUDENT_RECORD,
        "birth_date": C.SENSITIVE,
        "birth_date_hash": C.SENSITIVE,
        "is_disadvantaged": C.SENSITIVE,
        "is_disadvantaged_hash": C.SENSITIVE,
        "removed_at": C.NONE,
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
        indexes = [
            models.Index(fields=["district", "school", "is_active"]),
            models.Index(fields=["district", "birth_date_hash"]),
        ]

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


class Invite(DistrictScopedModel):
    """A signed, single-use, expiring invitation for a guardian to join (by SMS or email).

    Only the SHA-256 of the link's token is stored: a leaked database cannot be used to accept
    invites. `message` is the notifications Message that carried it, whose Delivery rows say
    whether it arrived. A resend revokes the previous invite and makes a new one.
    """

    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites"
    )
    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=8, blank=True)  # "sms", "email" or "" for both
    message = models.ForeignKey(
        "notifications.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "guardian": C.IDENTITY,
        "school": C.NONE,
        "token_hash": C.CREDENTIAL,
        "channel": C.NONE,
        "message": C.NONE,
        "created_by": C.SECURITY,
        "created_at": C.USAGE,
        "expires_at": C.NONE,
        "accepted_at": C.USAGE,
        "revoked_at": C.NONE,
    }

    class Meta:
        indexes = [models.Index(fields=["district", "guardian", "created_at"])]

    def __str__(self) -> str:
        return f"invite {self.id} for guardian {self.guardian_id}"


class GuardianProfile(DistrictScopedModel):
    """The optional profile a guardian may give when joining. Every field may be left empty."""

    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    relationship = models.CharField(
        max_length=20, choices=GuardianLink.Relationship.choices, blank=True
    )
    children_grades = models.CharField(max_length=100, blank=True)
    children_at_school = models.PositiveSmallIntegerField(null=True, blank=True)
    # As the guardian chose to give it, never required (PROMISES C1); encrypted at rest (S1).
    ethnicity = EncryptedCharField(max_length=100, blank=True, default="")
    is_skipped = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "guardian": C.IDENTITY,
        "relationship": C.IDENTITY,
        "children_grades": C.STUDENT_RECORD,
        "children_at_school": C.IDENTITY,
        "ethnicity": C.SENSITIVE,
        "is_skipped": C.NONE,
        "updated_at": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "guardian"], name="guardianprofile_unique_guardian"
            )
        ]

    def __str__(self) -> str:
        return f"profile of guardian {self.guardian_id}"


class JoinCode(SchoolScopedModel):
    """A teacher-issued classroom join code (also printed as a QR invite). Expires.

    Families the roster missed use it to ask to join; staff approve each request.
    """

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=16, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "classroom": C.NONE,
        "code": C.CREDENTIAL,
        "created_by": C.SECURITY,
        "created_at": C.NONE,
        "expires_at": C.NONE,
        "revoked_at": C.NONE,
    }

    def __str__(self) -> str:
        return f"join code for classroom {self.classroom_id}"


class JoinRequest(SchoolScopedModel):
    """A family's request to join a classroom through a join code, waiting for staff approval.

    `requester` has confirmed their own contact by one-time code; the child is as they typed it
    until staff match it to a roster child (or create one) on approval.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Declined")

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="+")
    join_code = models.ForeignKey(JoinCode, on_delete=models.SET_NULL, null=True, related_name="+")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    child_first_name = models.CharField(max_length=150)
    child_last_name = models.CharField(max_length=150)
    child_birth_date = EncryptedDateField(null=True, blank=True)
    relationship = models.CharField(
        max_length=20,
        choices=GuardianLink.Relationship.choices,
        default=GuardianLink.Relationship.PARENT,
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    child = models.ForeignKey(
        Child, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "classroom": C.STUDENT_RECORD,
        "join_code": C.NONE,
        "requester": C.IDENTITY,
        "child_first_name": C.IDENTITY,
        "child_last_name": C.IDENTITY,
        "child_birth_date": C.SENSITIVE,
        "relationship": C.IDENTITY,
        "status": C.NONE,
        "child": C.STUDENT_RECORD,
        "decided_by": C.SECURITY,
        "decided_at": C.SECURITY,
        "created_at": C.USAGE,
    }

    class Meta:
        indexes = [models.Index(fields=["district", "school", "status"])]

    def __str__(self) -> str:
        return f"join request {self.id} ({self.status})"


class Household(DistrictScopedModel):
    """Guardians who live at one address. Guardians of a child who are not in the same household
    never see each other's contact details."""

    label = models.CharField(max_length=200, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "label": C.CONTACT,
        "address_line1": C.CONTACT,
        "address_line2": C.CONTACT,
        "city": C.CONTACT,
        "postal_code": C.CONTACT,
        "created_at": C.USAGE,
    }

    def __str__(self) -> str:
        return f"household {self.id}"


class HouseholdMember(DistrictScopedModel):
    """A guardian's household in one district (at most one)."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    guardian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "household": C.CONTACT,
        "guardian": C.IDENTITY,
        "created_at": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "guardian"], name="householdmember_unique_guardian"
            )
        ]

    def __str__(self) -> str:
        return f"guardian {self.guardian_id} in household {self.household_id}"
