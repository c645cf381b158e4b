"""Privacy records: the audit trail, consents, policy settings, lifecycle timers, the archive of
deleted data, privacy requests, erased families' roster ids (hashed) and the runs of the
retention jobs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from privacy.classification import Category as C
from tenants.models import DistrictScopedModel


class AuditEvent(models.Model):
    """Who did what to whom, written in the same transaction as the change it records.

    Platform-level events (a sign-in code request, an operator's command) have no district, so
    this model carries a nullable district instead of inheriting the scoped base; reads still go
    through `privacy.queries`, which scope by district.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    district = models.ForeignKey(
        "tenants.District", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    data_classification = {
        "id": C.NONE,
        "actor": C.SECURITY,
        "district": C.NONE,
        "school": C.NONE,
        "action": C.SECURITY,
        "target_type": C.NONE,
        "target_id": C.SECURITY,
        "ip_address": C.SECURITY,
        "metadata": C.SECURITY,
        "created_at": C.SECURITY,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "created_at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class PolicyVersion(DistrictScopedModel):
    """A version of the privacy policy a district's families consent to.

    The newest version with `effective_at` in the past is in force; consents record which
    version they were given to, so a new version can ask families again.
    """

    version = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    # Plain-language summary shown on the joining page; `url` links the full text (or empty for
    # the platform's own policy page).
    summary = models.TextField()
    url = models.URLField(blank=True)
    effective_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    # S4: what changed since the previous version, in plain words for families. A material
    # change asks every family to consent again once it is in force (and needs 30 days' notice
    # to the district); a non-material one is only shown to them once. Versions are material
    # unless the district says otherwise, as every version was before this was recorded.
    changes_summary = models.TextField(blank=True)
    is_material = models.BooleanField(default=True)
    # When the district's admins were told of a material change (the 30 days' notice).
    notified_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "version": C.NONE,
        "title": C.NONE,
        "summary": C.NONE,
        "url": C.NONE,
        "effective_at": C.NONE,
        "created_at": C.NONE,
        "changes_summary": C.NONE,
        "is_material": C.NONE,
        "notified_at": C.NONE,
        "published_by": C.SECURITY,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "version"], name="policyversion_unique_version"
            )
        ]
        indexes = [models.Index(fields=["district", "effective_at"])]

    def __str__(self) -> str:
        return f"policy {self.version} of district {self.district_id}"


class Consent(DistrictScopedModel):
    """One consent decision, append-only: the newest row per (user, kind) is in force.

    The privacy policy consent is required to join; the two opt-ins are optional and off by
    default. Every change is a new row, so the history (what, which policy version, when) stays.
    """

    class Kind(models.TextChoices):
        PRIVACY_POLICY = "privacy_policy", _("Privacy policy")
        PHOTO_PROMOTION = "photo_promotion", _("Use of photos and comments in promotion")
        NON_ESSENTIAL_MESSAGES = "non_essential", _("Non-essential messages")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    is_granted = models.BooleanField()
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=20, blank=True)  # "join", "settings", "import"
    recorded_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "user": C.IDENTITY,
        "kind": C.PREFERENCE,
        "is_granted": C.PREFERENCE,
        "policy_version": C.PREFERENCE,
        "source": C.PREFERENCE,
        "recorded_at": C.PREFERENCE,
    }

    class Meta:
        indexes = [models.Index(fields=["district", "user", "kind", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.kind}={self.is_granted} for user {self.user_id}"


class PrivacySettings(DistrictScopedModel):
    """A district's policy windows (school is null) or a school's tightening of them.

    `values` holds only what differs from the platform default (privacy.policy.WINDOWS), so a
    new window or a changed default reaches every district that did not choose otherwise.
    """

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    values = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "values": C.NONE,
        "updated_by": C.SECURITY,
        "updated_at": C.NONE,
    }

    class Meta:
        verbose_name_plural = "privacy settings"
        constraints = [
            models.UniqueConstraint(
                fields=["district"],
                condition=models.Q(school__isnull=True),
                name="privacysettings_one_per_district",
            ),
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(school__isnull=False),
                name="privacysettings_one_per_school",
            ),
        ]

    def __str__(self) -> str:
        return f"privacy settings of district {self.district_id} school {self.school_id}"


class LifecycleTimer(DistrictScopedModel):
    """One long clock: what happens to which record, and when (PROMISES R2-R9).

    Swept daily by `privacy.timers.sweep`: due rows are claimed with SELECT ... FOR UPDATE SKIP
    LOCKED and marked RUNNING in one short transaction, so two sweepers never take the same row;
    a missed day simply finds more rows due. A claim older than the recovery timeout (a worker
    that died) goes back to PENDING; every handler is idempotent, so running it again is safe.
    """

    class Kind(models.TextChoices):
        INACTIVITY_NOTICE = "inactivity_notice", _("Notice before an inactive account closes")
        INACTIVITY_CLOSURE = "inactivity_closure", _("Closure of an inactive account")
        ACCOUNT_DELETION = "account_deletion", _("Deletion of a closed account")
        CHILD_DELETION = "child_deletion", _("Deletion of a child removed by school and family")
        ARCHIVE_PURGE = "archive_purge", _("Purge of deleted data after the restore window")
        REQUEST_DUE = "request_due", _("A privacy request falls due")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    # What the clock is about: "tenants.user", "guardians.child", "privacy.archive", ...
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "kind": C.NONE,
        "subject_type": C.NONE,
        "subject_id": C.NONE,
        "due_at": C.NONE,
        "state": C.NONE,
        "attempts": C.NONE,
        "last_error": C.NONE,
        "claimed_at": C.NONE,
        "created_at": C.NONE,
        "done_at": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"],
                condition=models.Q(state__in=["pending", "running"]),
                name="lifecycletimer_one_open_per_subject",
            )
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="pending"),
                name="lifecycletimer_due_idx",
            ),
            models.Index(
                fields=["district", "subject_type", "subject_id"],
                name="lifecycletimer_subject_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.subject_type}:{self.subject_id} due {self.due_at:%Y-%m-%d}"


class RetentionRun(models.Model):
    """One run of a retention job, for one district or the platform (district null): what it
    did, as counts, and how it ended (`retention status`, the district's privacy console)."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job = models.CharField(max_length=40)
    district = models.ForeignKey(
        "tenants.District", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    is_dry_run = models.BooleanField(default=False)
    trigger = models.CharField(max_length=20, default="beat")  # beat, command, request
    counts = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    error = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "job": C.NONE,
        "district": C.NONE,
        "is_dry_run": C.NONE,
        "trigger": C.NONE,
        "counts": C.NONE,
        "outcome": C.NONE,
        "error": C.NONE,
        "started_at": C.NONE,
        "finished_at": C.NONE,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "started_at"]),
            models.Index(fields=["job", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.outcome} at {self.started_at:%Y-%m-%d %H:%M}"


class Archive(DistrictScopedModel):
    """Something deleted (an account, a child, a submission) and everything hanging off it, out
    of the live tables at once and restorable exactly until `restore_until` (PROMISES R1).

    The rows themselves are in ArchivedRow (serialized), the files stay in storage under the
    names in `files` until the purge removes both. `counts` and `categories` describe what was
    deleted for the deletion certificate without holding any of it.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("Account")
        CHILD = "child", _("Child")
        SUBMISSION = "submission", _("Submission")

    class State(models.TextChoices):
        ARCHIVED = "archived", _("Deleted, can be restored")
        RESTORED = "restored", _("Restored")
        PURGED = "purged", _("Deleted for good")

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    # Why it was deleted, in the operator's words (no personal data: "left the school").
    reason = models.CharField(max_length=200, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    categories = models.JSONField(default=list, blank=True)
    # Other rows' foreign keys that the deletion set to NULL: restored with the rows.
    nulled = models.JSONField(default=list, blank=True)
    files = models.JSONField(default=list, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ARCHIVED)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(default=timezone.now)
    restore_until = models.DateTimeField()
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restored_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "kind": C.NONE,
        "subject_type": C.NONE,
        "subject_id": C.NONE,
        "reason": C.SECURITY,
        "counts": C.NONE,
        "categories": C.NONE,
        "nulled": C.NONE,
        "files": C.CONTENT,
        "state": C.NONE,
        "deleted_by": C.SECURITY,
        "deleted_at": C.SECURITY,
        "restore_until": C.NONE,
        "restored_by": C.SECURITY,
        "restored_at": C.SECURITY,
        "purged_at": C.SECURITY,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "state", "deleted_at"]),
            models.Index(fields=["district", "subject_type", "subject_id"]),
        ]

    def __str__(self) -> str:
        return f"archived {self.kind} {self.subject_id} ({self.state})"


class ArchivedRow(DistrictScopedModel):
    """One deleted row, serialized with Django's serializer (fields by name, ids kept), so a
    restore re-inserts it exactly. `position` is the order to re-insert in (parents first)."""

    archive = models.ForeignKey(Archive, on_delete=models.CASCADE, related_name="rows")
    model_label = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    position = models.PositiveIntegerField()
    data = models.JSONField()

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "archive": C.NONE,
        "model_label": C.NONE,
        "object_id": C.NONE,
        "position": C.NONE,
        # Whatever the deleted row held, classified as the row's own model says.
        "data": C.CONTENT,
    }

    class Meta:
        indexes = [models.Index(fields=["archive", "position"])]

    def __str__(self) -> str:
        return f"{self.model_label}:{self.object_id} in archive {self.archive_id}"


class PrivacyRequest(DistrictScopedModel):
    """A request about personal data, with the due date the district's policy gives it.

    Families make them from their privacy page (access, correction, restriction, closure,
    erasure); district admins make school or district deletion requests. They appear in the
    school's (or the district's) queue with their due date until done or declined.
    """

    class Kind(models.TextChoices):
        ACCESS = "access", _("Copy of my data")
        CORRECTION = "correction", _("Correction")
        RESTRICTION = "restriction", _("Restriction of processing")
        CLOSURE = "closure", _("Account closure")
        ERASURE = "erasure", _("To be forgotten")
        SCHOOL_DELETION = "school_deletion", _("Deletion of a school's data")
        DISTRICT_DELETION = "district_deletion", _("Deletion of the district's data")

    class Status(models.TextChoices):
        # A context of their own: "Open" alone reads as a verb ("Abrir") in Spanish.
        OPEN = "open", pgettext_lazy("request status", "Open")
        DONE = "done", pgettext_lazy("request status", "Done")
        DECLINED = "declined", pgettext_lazy("request status", "Declined")
        CANCELLED = "cancelled", pgettext_lazy("request status", "Withdrawn")

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the request is about, for a correction: the family's words.
    details = models.TextField(blank=True)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The school's answer (for a correction, what was changed), and for deletions the
    # certificate: counts and categories deleted, never the content.
    response = models.TextField(blank=True)
    certificate = models.JSONField(default=dict, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "kind": C.PREFERENCE,
        "status": C.PREFERENCE,
        "requester": C.IDENTITY,
        "details": C.CONTENT,
        "due_at": C.NONE,
        "created_at": C.USAGE,
        "completed_at": C.USAGE,
        "handled_by": C.SECURITY,
        "response": C.CONTENT,
        "certificate": C.NONE,
    }

    class Meta:
        indexes = [
            models.Index(fields=["district", "status", "due_at"]),
            models.Index(fields=["district", "school", "status", "due_at"]),
            models.Index(fields=["requester", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} request {self.id} ({self.status})"


class ErasedRosterId(DistrictScopedModel):
    """A roster id of an erased family (PROMISES R5): the roster import skips it from then on.

    Only a keyed hash of the sourcedId is kept (privacy.tombstones), never the id itself (R12):
    the platform alone can tell that the district's information system sent the same id again.
    """

    class Kind(models.TextChoices):
        PERSON = "person", _("Guardian or staff member")
        CHILD = "child", _("Child")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    sourced_id_hash = models.CharField(max_length=64)
    erased_at = models.DateTimeField(default=timezone.now)
    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "kind": C.NONE,
        # A pseudonym of the roster id, as RosterPerson.sourced_id / Child.sourced_id were.
        "sourced_id_hash": C.IDENTITY,
        "erased_at": C.NONE,
        "request": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "kind", "sourced_id_hash"], name="erasedrosterid_unique"
            )
        ]

    def __str__(self) -> str:
        return f"erased {self.kind} roster id in district {self.district_id}"


class ProcessingRestriction(DistrictScopedModel):
    """A guardian's restriction of processing (PROMISES R13), in force while `lifted_at` is
    empty: no messages, and out of every list, leaderboard and review but the counts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "user": C.IDENTITY,
        "request": C.NONE,
        "created_at": C.PREFERENCE,
        "lifted_at": C.PREFERENCE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "user"],
                condition=models.Q(lifted_at__isnull=True),
                name="restriction_one_in_force",
            )
        ]

    def __str__(self) -> str:
        return f"restriction of user {self.user_id} in district {self.district_id}"


class PolicySummaryShown(DistrictScopedModel):
    """A family was shown the plain-language summary of a non-material policy change (S4).

    A non-material version does not ask families to consent again; they are told what changed
    once, at their next sign-in (privacy.versions.show_policy_changes), and this row keeps it
    from being shown again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="+")
    shown_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "user": C.IDENTITY,
        "policy_version": C.USAGE,
        "shown_at": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "policy_version"], name="policysummaryshown_once"
            )
        ]

    def __str__(self) -> str:
        return f"policy {self.policy_version_id} summary shown to user {self.user_id}"


class Incident(models.Model):
    """A personal-data breach in the register that platform operators keep (PROMISES S2).

    One breach may touch several districts, so the incident itself is platform-level (no
    district); each district it affects is an IncidentDistrict row, scoped as usual, which
    carries that district's contact and its own notice. Two clocks start at `confirmed_at`:
    every affected district is told within 48 hours (SMT) and the authority within 72 (LWP).
    """

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", _("Investigating")
        CONTAINED = "contained", _("Contained")
        CLOSED = "closed", _("Closed")

    class BreachDate(models.TextChoices):
        EXACT = "exact", _("Date of the breach")
        ESTIMATED = "estimated", _("Estimated date of the breach")
        RANGE = "range", _("Date range within which the breach occurred")
        UNKNOWN = "unknown", _("Not yet known")

    title = models.CharField(max_length=200)
    description = models.TextField()
    discovered_at = models.DateTimeField()
    confirmed_at = models.DateTimeField()
    breach_date_kind = models.CharField(max_length=10, choices=BreachDate.choices)
    breach_started_on = models.DateField(null=True, blank=True)
    breach_ended_on = models.DateField(null=True, blank=True)
    # privacy.classification.Category values (never "none"), plus anything they do not name.
    information_types = models.JSONField(default=list, blank=True)
    other_information = models.CharField(max_length=300, blank=True)
    is_delayed_for_law_enforcement = models.BooleanField(default=False)
    law_enforcement_details = models.TextField(blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.INVESTIGATING)
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Which authority, and its case number, in the operator's words.
    authority_reference = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "title": C.SECURITY,
        "description": C.SECURITY,
        "discovered_at": C.SECURITY,
        "confirmed_at": C.SECURITY,
        "breach_date_kind": C.SECURITY,
        "breach_started_on": C.SECURITY,
        "breach_ended_on": C.SECURITY,
        "information_types": C.SECURITY,
        "other_information": C.SECURITY,
        "is_delayed_for_law_enforcement": C.SECURITY,
        "law_enforcement_details": C.SECURITY,
        "status": C.SECURITY,
        "authority_notified_at": C.SECURITY,
        "authority_notified_by": C.SECURITY,
        "authority_reference": C.SECURITY,
        "created_by": C.SECURITY,
        "created_at": C.SECURITY,
        "updated_at": C.SECURITY,
    }

    class Meta:
        indexes = [models.Index(fields=["status", "confirmed_at"])]

    def __str__(self) -> str:
        return f"incident {self.id}: {self.title}"


class IncidentDistrict(DistrictScopedModel):
    """A district an incident affects: whom to tell there, and when its notice went out.

    The district sees the incident (read-only) once its notice is recorded as sent, never
    before: a notice delayed at law enforcement's request stays with the operators until then.
    """

    class Channel(models.TextChoices):
        ENGAGE = "engage", _("Email through Engage")
        OTHER = "other", _("Sent another way")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    notice_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notice_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "incident": C.NONE,
        "contact_name": C.IDENTITY,
        "contact_email": C.CONTACT,
        "notice_sent_at": C.SECURITY,
        "notice_sent_by": C.SECURITY,
        "notice_channel": C.SECURITY,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "district"], name="incidentdistrict_unique_district"
            )
        ]
        indexes = [models.Index(fields=["district", "notice_sent_at"])]

    def __str__(self) -> str:
        return f"incident {self.incident_id} in district {self.district_id}"
