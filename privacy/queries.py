"""Reads of privacy records: the policy in force and the consents a person has given."""

from django.utils import timezone

from privacy.models import Consent, PolicyVersion
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
    return consent.policy_version_id == policy.id
