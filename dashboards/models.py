"""Rollups the dashboards read instead of the raw facts (docs/DASHBOARDS.md).

A "family" on the dashboards is a pupil's family: schools count one per pupil, so siblings'
families count once per child, and two guardians of one child are one family.

Two levels:
- per family (FamilyPeriod, FamilyState): derived from submissions and sign-ins as they happen;
  deleted with the child (and archived and restored with it, R1), kept through an erasure (R5:
  the child row stays, emptied, so anonymised usage still counts).
- aggregates (PeriodStats, Snapshot, MessageStats): what the pages read; a few hundred rows for
  a district, never the submissions. Kept current by the actions (dashboards.actions) and
  repaired by the nightly rebuild (dashboards.rebuild).

No rollup copies a sensitive value: disadvantage status is read from the child (decrypted in
memory, or by its keyed hash) when an aggregate is written, and only counts are stored.
"""

from django.db import models
from django.utils import timezone

from privacy.classification import Category as C
from tenants.models import DistrictScopedModel


class FamilyPeriod(DistrictScopedModel):
    """One pupil's family in one period (`W2026-48`, `M2026-11`, `Y2026`: dashboards.periods):
    first-time completions and whether a guardian signed in. The row's school, classroom, grade
    and language are those of its first event in the period and never change (so the aggregates
    and a recount from these rows always agree)."""

    child = models.ForeignKey("guardians.Child", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=9)
    school = models.ForeignKey("tenants.School", on_delete=models.CASCADE, related_name="+")
    classroom = models.ForeignKey(
        "tenants.Classroom", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    grade = models.CharField(max_length=8, blank=True)
    language = models.CharField(max_length=8, blank=True)
    completions = models.PositiveIntegerField(default=0)
    signed_in = models.BooleanField(default=False)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "child": C.USAGE,
        "period": C.USAGE,
        "school": C.USAGE,
        "classroom": C.USAGE,
        "grade": C.USAGE,
        "language": C.USAGE,
        "completions": C.USAGE,
        "signed_in": C.USAGE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child", "period"], name="familyperiod_unique")
        ]
        indexes = [
            models.Index(fields=["district", "period", "school"]),
            models.Index(fields=["district", "classroom", "period"]),
        ]


class FamilyState(DistrictScopedModel):
    """When a pupil's family was last active (signed in or completed something), for "active in
    the last 30 days", counted live through the index."""

    child = models.OneToOneField("guardians.Child", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey("tenants.School", on_delete=models.CASCADE, related_name="+")
    last_active_at = models.DateTimeField()

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "child": C.USAGE,
        "school": C.USAGE,
        "last_active_at": C.USAGE,
    }

    class Meta:
        indexes = [models.Index(fields=["district", "last_active_at", "school"])]


class Dim(models.TextChoices):
    """What an aggregate row breaks its figures down by (`value` says which group)."""

    ALL = "all", "All"
    CLASSROOM = "classroom", "Classroom"
    GRADE = "grade", "Grade"
    LANGUAGE = "language", "Home language"
    DISADVANTAGED = "disadvantaged", "Disadvantage"
    # How a family can be reached now ("sms", "email", "both", "none"): snapshots only.
    CHANNEL = "channel", "Channel"


class PeriodStats(DistrictScopedModel):
    """Counters of one school (None: district-wide activities) in one period, for one group."""

    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    period = models.CharField(max_length=9)
    dim = models.CharField(max_length=16, choices=Dim.choices)
    value = models.CharField(max_length=40, blank=True)
    families_completed = models.PositiveIntegerField(default=0)
    completions = models.PositiveIntegerField(default=0)
    families_active = models.PositiveIntegerField(default=0)
    activities_published = models.PositiveIntegerField(default=0)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "period": C.NONE,
        "dim": C.NONE,
        "value": C.NONE,
        "families_completed": C.NONE,
        "completions": C.NONE,
        "families_active": C.NONE,
        "activities_published": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "district",
                models.functions.Coalesce("school", 0),
                "period",
                "dim",
                "value",
                name="periodstats_unique",
            )
        ]
        indexes = [models.Index(fields=["district", "period", "dim", "school"])]


class Snapshot(DistrictScopedModel):
    """Families of one school now, for one group: how many, invited, connected (accepted and
    reachable), and why the others cannot be reached. Refreshed per school (dashboards.actions
    .refresh_school_snapshot) after invites, acceptances and roster imports, and nightly."""

    school = models.ForeignKey("tenants.School", on_delete=models.CASCADE, related_name="+")
    dim = models.CharField(max_length=16, choices=Dim.choices)
    value = models.CharField(max_length=40, blank=True)
    families = models.PositiveIntegerField(default=0)
    invited = models.PositiveIntegerField(default=0)
    connected = models.PositiveIntegerField(default=0)
    no_contact = models.PositiveIntegerField(default=0)
    opted_out = models.PositiveIntegerField(default=0)
    not_accepted = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(default=timezone.now)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "school": C.NONE,
        "dim": C.NONE,
        "value": C.NONE,
        "families": C.NONE,
        "invited": C.NONE,
        "connected": C.NONE,
        "no_contact": C.NONE,
        "opted_out": C.NONE,
        "not_accepted": C.NONE,
        "refreshed_at": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "dim", "value"], name="snapshot_unique")
        ]
        indexes = [models.Index(fields=["district", "dim", "school"])]


class MessageStats(DistrictScopedModel):
    """Reach of one message on one channel: refreshed from its deliveries (at most every 30 s
    while they move, and nightly)."""

    message = models.ForeignKey("notifications.Message", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(
        "tenants.School", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=8)
    sent_on = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)  # handed to the provider (or further)
    delivered = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)

    data_classification = {
        "id": C.NONE,
        "district": C.NONE,
        "message": C.NONE,
        "school": C.NONE,
        "channel": C.NONE,
        "sent_on": C.NONE,
        "recipients": C.NONE,
        "sent": C.NONE,
        "delivered": C.NONE,
        "opened": C.NONE,
        "failed": C.NONE,
        "suppressed": C.NONE,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="messagestats_unique")
        ]
        indexes = [models.Index(fields=["district", "sent_on", "school"])]
