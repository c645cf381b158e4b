"""Tenancy: District -> School -> Classroom (per school year), plus Groups; people and roles.

Every tenant-owned row carries its `district` (and `school`, `classroom` where it belongs to one),
denormalized on purpose and indexed, so that every query can be scoped by a plain indexed column
and a cross-tenant id can never match. Actions copy these columns from the parent object, never
from request data. `tenants.checks` fails for a model of our apps that does not inherit one of the
scoped bases below, unless it is listed in TENANT_EXEMPT_MODELS with the reason.
"""

import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from privacy.classification import Category as C

TIMEZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]
LANGUAGE_CHOICES = [("en", "English"), ("es", "Español")]


class District(models.Model):
    """The tenant root: a school district (or a trust / local authority)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, default="America/New_York")
    default_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    contact_email = models.EmailField(blank=True)
    sourced_id = models.CharField(max_length=255, blank=True)
    # Data minimisation: a roster's demographics.csv is ignored unless the district turns this on,
    # and then only birthDate is kept (for guardian identity checks).
    is_roster_birth_date_imported = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)
    # The contract's end (PROMISES R8, R9), written only by privacy.districts: from
    # `contract_ended_at` the district is read-only and sends nothing; its people read and export
    # until `access_ends_at`, when disposal starts; `disposal_due_at` is the promised deadline.
    contract_ended_at = models.DateTimeField(null=True, blank=True)
    access_ends_at = models.DateTimeField(null=True, blank=True)
    disposal_due_at = models.DateTimeField(null=True, blank=True)
    termination_reason = models.CharField(
        max_length=10,
        blank=True,
        choices=[("contract", _("The contract ended")), ("inactive", _("Inactive district"))],
    )

    data_classification = {
        "id": C.NONE,
        "name": C.NONE,
        "slug": C.NONE,
        "timezone": C.NONE,
        "default_language": C.NONE,
        "contact_email": C.NONE,
        "sourced_id": C.NONE,
        "is_roster_birth_date_imported": C.NONE,
        "is_active": C.NONE,
        "created_at": C.NONE,
        "contract_ended_at": C.NONE,
        "access_ends_at": C.NONE,
        "disposal_due_at": C.NONE,
        "termination_reason": C.NONE,
    }

    def __str__(self) -> str:
        return self.name


class DistrictScopedModel(models.Model):
    """Base for every row that belongs to one district (see the module docstring)."""

    district = models.ForeignKey(
        District, on_delete=models.CASCADE, related_name="+", db_index=True
    )

    class Meta:
        abstract = True


class School(DistrictScopedModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, blank=True)
    sourced_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "name": C.NONE,
        "slug": C.NONE,
        "timezone": C.NONE,
        "sourced_id": C.NONE,
        "is_active": C.NONE,
        "created_at": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "slug"], name="school_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.district.timezone


class SchoolScopedModel(DistrictScopedModel):
    """Base for rows that belong to one school (and so one district)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", db_index=True)

    class Meta:
        abstract = True


class SchoolYear(DistrictScopedModel):
    """A district's academic year; classrooms belong to one so rosters can roll over."""

    name = models.CharField(max_length=40)
    start_date = models.DateField()
    end_date = models.DateField()
    is_current = models.BooleanField(default=False)
    sourced_id = models.CharField(max_length=255, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "name": C.NONE,
        "start_date": C.NONE,
        "end_date": C.NONE,
        "is_current": C.NONE,
        "sourced_id": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="schoolyear_unique_name"),
            models.UniqueConstraint(
                fields=["district"], condition=Q(is_current=True), name="schoolyear_one_current"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Classroom(SchoolScopedModel):
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    grade_level = models.CharField(max_length=8, blank=True)
    sourced_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "school_year": C.NONE,
        "name": C.NONE,
        "grade_level": C.NONE,
        "sourced_id": C.NONE,
        "is_active": C.NONE,
    }

    class Meta:
        indexes = [models.Index(fields=["district", "school", "school_year"])]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email=None, password=None, **extra):
        email = self.normalize_email(email) if email else None
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email=email, password=password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: staff, viewers and guardians. Children never sign in.

    People span tenants (a teacher at one school can be a guardian at another), so the user row
    is not district-scoped; where a person may act is said by their Memberships.
    """

    email = models.EmailField(unique=True, null=True, blank=True)
    phone = models.CharField(
        max_length=20, unique=True, null=True, blank=True, help_text=_("E.164, e.g. +15551234567")
    )
    phone_verified = models.BooleanField(default=False)
    # Set when the person confirms their address; a roster import never overwrites it then.
    email_verified = models.BooleanField(default=False)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    preferred_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    timezone = models.CharField(max_length=64, choices=TIMEZONE_CHOICES, blank=True)
    is_staff = models.BooleanField(default=False, help_text=_("Platform operator: admin site."))
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=now)
    # Set when two guardian accounts turned out to be one person: this account's history was
    # moved to `merged_into` and this account can no longer sign in.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    data_classification = {
        "id": C.NONE,
        "password": C.CREDENTIAL,
        "last_login": C.USAGE,
        "is_superuser": C.NONE,
        "groups": C.NONE,
        "user_permissions": C.NONE,
        "email": C.CONTACT,
        "phone": C.CONTACT,
        "phone_verified": C.CONTACT,
        "email_verified": C.CONTACT,
        "first_name": C.IDENTITY,
        "last_name": C.IDENTITY,
        "preferred_language": C.PREFERENCE,
        "timezone": C.PREFERENCE,
        "is_staff": C.NONE,
        "is_active": C.NONE,
        "date_joined": C.USAGE,
        "merged_into": C.IDENTITY,
    }

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(phone__isnull=False),
                name="user_has_email_or_phone",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email or self.phone or f"user {self.id}"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District admin")
    SCHOOL_ADMIN = "school_admin", _("School admin")
    TEACHER = "teacher", _("Teacher")
    STAFF = "staff", _("Staff")
    VIEWER = "viewer", _("Viewer")
    GUARDIAN = "guardian", _("Guardian")


class Membership(DistrictScopedModel):
    """One role of one person, and where it applies: district, school, or classroom."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    classroom = models.ForeignKey(
        Classroom, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "user": C.IDENTITY,
        "role": C.IDENTITY,
        "school": C.NONE,
        "classroom": C.NONE,
        "is_active": C.NONE,
        "granted_by": C.NONE,
        "created_at": C.USAGE,
        "revoked_at": C.USAGE,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "school", "role"]),
            models.Index(fields=["user", "is_active"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "district", "school", "classroom"],
                condition=Q(is_active=True),
                name="membership_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class Group(DistrictScopedModel):
    """A named set of people at school or district level: "Grade 3 families", "PTA", "Governors"."""

    class Kind(models.TextChoices):
        FAMILIES = "families", _("Families")
        STAFF = "staff", _("Staff")
        MIXED = "mixed", _("Mixed")

    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FAMILIES)
    created_at = models.DateTimeField(default=now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "name": C.NONE,
        "kind": C.NONE,
        "created_at": C.NONE,
    }

    def __str__(self) -> str:
        return self.name


class GroupMember(DistrictScopedModel):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "group": C.IDENTITY,
        "user": C.IDENTITY,
        "added_at": C.USAGE,
    }

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="groupmember_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in group {self.group_id}"


class DistrictSignInProvider(DistrictScopedModel):
    """A single sign-on provider (Google, Microsoft, Clever, OpenID Connect) a district offers.

    The client id and secret live in allauth's SocialApp (admin-editable); this row says which
    districts use that app. A platform-wide app (one Google client) may serve many districts; an
    OpenID Connect app is usually one district's own identity provider. Single sign-on only signs
    in people the district has already rostered (`tenants.sso`); `email_domain`, when set, limits
    it further to addresses at that domain.
    """

    social_app = models.ForeignKey(
        "socialaccount.SocialApp", on_delete=models.CASCADE, related_name="+"
    )
    is_enabled = models.BooleanField(default=True)
    email_domain = models.CharField(
        max_length=253,
        blank=True,
        help_text=_(
            "Optional: only people with an email address at this domain, e.g. lakeside.org"
        ),
    )
    created_at = models.DateTimeField(default=now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "social_app": C.NONE,
        "is_enabled": C.NONE,
        "email_domain": C.NONE,
        "created_at": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "social_app"], name="districtsigninprovider_unique_app"
            )
        ]

    def __str__(self) -> str:
        return f"{self.social_app_id} for district {self.district_id}"


class RosterPerson(DistrictScopedModel):
    """A person as one district's roster knows them: the roster's sourcedId for a User.

    People span districts, so a sourcedId (stable only within the district's roster) cannot live
    on User. Students are Child rows and carry their own `sourced_id`.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sourced_id = models.CharField(max_length=255)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "user": C.IDENTITY,
        "sourced_id": C.IDENTITY,
        "is_active": C.NONE,
        "created_at": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "sourced_id"], name="rosterperson_unique_sourced_id"
            )
        ]
        indexes = [models.Index(fields=["district", "user"])]

    def __str__(self) -> str:
        return f"{self.sourced_id} in district {self.district_id}"


class RosterImportRun(DistrictScopedModel):
    """One run of the roster importer: who, when, which file, what it changed, how it ended.

    The run is the audit record of a roster import (one row and one audit event per run, not one
    per imported row). Uploads and API pushes create the run first (QUEUED) and a Celery task
    fills in progress and the report; the command line records a finished run.
    """

    class Outcome(models.TextChoices):
        PENDING = "", _("Pending")
        APPLIED = "applied", _("Applied")
        DRY_RUN = "dry_run", _("Dry run")
        FAILED = "failed", _("Failed")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    class Trigger(models.TextChoices):
        COMMAND = "command", _("Command line")
        UPLOAD = "upload", _("Upload")
        API = "api", _("API")

    # Set when a school admin ran the import: it may only touch that school.
    school = models.ForeignKey(
        "School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    started_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    source_format = models.CharField(max_length=20)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.COMMAND)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FINISHED)
    is_dry_run = models.BooleanField(default=False)
    is_valid_rows_only = models.BooleanField(default=False)
    file_name = models.CharField(max_length=255, blank=True)
    # Private storage path of an uploaded file while it waits for the worker; deleted after.
    upload_path = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    # The whole report as `Report.as_dict()` (errors capped), for the report page.
    report = models.JSONField(default=dict, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "started_by": C.SECURITY,
        "started_at": C.SECURITY,
        "finished_at": C.SECURITY,
        "source_format": C.NONE,
        "trigger": C.NONE,
        "status": C.NONE,
        "is_dry_run": C.NONE,
        "is_valid_rows_only": C.NONE,
        "file_name": C.NONE,
        "upload_path": C.NONE,
        "file_sha256": C.NONE,
        "outcome": C.NONE,
        "progress_done": C.NONE,
        "progress_total": C.NONE,
        "counts": C.NONE,
        "error_count": C.NONE,
        # Row errors quote cell values (names, contacts) of the file.
        "report": C.STUDENT_RECORD,
    }

    class Meta:
        indexes = [models.Index(fields=["district", "started_at"])]

    def __str__(self) -> str:
        return f"roster import {self.id} ({self.status} {self.outcome})"
