"""Privacy records: the audit trail (more arrives with the privacy engine)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from privacy.classification import Category as C


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
