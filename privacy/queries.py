"""Reads of privacy records: the policy in force, consents, policy settings and restrictions."""

from django.db.models import Q
from django.utils import timezone

from privacy.models import Consent, PolicyVersion, PrivacySettings, ProcessingRestriction
from privacy.policy import Policy, resolve
from tenants.models import District, User

# The platform's own policy (templates/privacy/policy.html). A district that has published none
# of its own gets a PolicyVersion row with this version the first time a family consents.
PLATFORM_POLICY_VERSION = "engage-2026-11"


def get_policy_in_force(district: District) -> PolicyVersion | None:
    """The newest of the district's policy versions already in effect (None: the platform's)."""
    return (
        PolicyVersion.objects.filter(district_id=district.id, effective_at__lte=timezone.now())
        .order_by("-effective_at", "-id")
        .first()
    )


def get_consents(user: User, district: District) -> dict[str, Consent]:
    """{kind: the consent in force} for the person in the district (the newest row per kind)."""
    rows = Consent.objects.filter(district_id=district.id, user_id=user.id).order_by(
        "recorded_at", "id"
    )
    return {row.kind: row for row in rows}


def has_consented_to_policy_in_force(user: User, district: District) -> bool:
    """Did the person agree to the policy version the district has in force now? (C2)"""
    consent = get_consents(user, district).get(Consent.Kind.PRIVACY_POLICY)
    if consent is None or not consent.is_granted:
        return False
    policy = get_policy_in_force(district)
    if policy is None:
        return True  # they agreed to the platform policy, and nothing newer is in force
    if consent.policy_version_id == policy.id:
        return True
    # A newer version that is not a material change does not ask again (S4, privacy.versions).
    from privacy.versions import is_consent_current

    return is_consent_current(consent, district)


def get_policy(district_id: int, school_id: int | None = None) -> Policy:
    """The effective policy windows of a district, or of one of its schools (tightened)."""
    rows = PrivacySettings.objects.filter(district_id=district_id).filter(
        Q(school__isnull=True) | Q(school_id=school_id)
    )
    district_values, school_values = {}, {}
    for row in rows:
        if row.school_id is None:
            district_values = row.values
        else:
            school_values = row.values
    return resolve(district_values, school_values)


def get_district_policies(district_ids) -> dict[int, Policy]:
    """{district id: its district-level policy} in one query (jobs over many districts)."""
    values = dict(
        PrivacySettings.objects.filter(
            district_id__in=district_ids, school__isnull=True
        ).values_list("district_id", "values")
    )
    return {district_id: resolve(values.get(district_id, {})) for district_id in district_ids}


def get_restricted_user_ids(district_id: int):
    """Ids of people whose processing is restricted in the district (R13), as a subquery."""
    return ProcessingRestriction.objects.filter(
        district_id=district_id, lifted_at__isnull=True
    ).values("user_id")
