"""Privacy records: the audit trail (more arrives with the privacy engine)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "version": C.NONE,
        "title": C.NONE,
        "summary": C.NONE,
        "url": C.NONE,
        "effective_at": C.NONE,
        "created_at": C.NONE,
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
