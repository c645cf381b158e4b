"""Writes of privacy records: consents (append-only) and the policy versions they refer to."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.audit import Actor, record_audit_event
from privacy.models import Consent, PolicyVersion
from privacy.queries import PLATFORM_POLICY_VERSION, get_consents, get_policy_in_force
from tenants.actions import ActionError
from tenants.models import District, User

OPTIONAL_KINDS = (Consent.Kind.PHOTO_PROMOTION, Consent.Kind.NON_ESSENTIAL_MESSAGES)


@transaction.atomic
def do_ensure_policy_version(district: District) -> PolicyVersion:
    """The policy in force in `district`; the platform's own, recorded as a version, if none."""
    policy = get_policy_in_force(district)
    if policy is not None:
        return policy
    policy, _created = PolicyVersion.objects.get_or_create(
        district=district,
        version=PLATFORM_POLICY_VERSION,
        defaults={"title": "Engage privacy policy", "summary": "", "effective_at": timezone.now()},
    )
    return policy


@transaction.atomic
def do_record_consents(
    user: User,
    district: District,
    *,
    is_policy_accepted: bool,
    choices: dict[str, bool],
    source: str,
    actor: Actor,
) -> list[Consent]:
    """Record the person's consent to the policy in force and their optional choices (C2-C4).

    Consent is append-only: a new row for each kind whose answer changed (or that was never
    given), so the history of what was agreed, to which version and when, stays. The policy must
    be accepted; the optional kinds default to "no" when left out.
    """
    if not is_policy_accepted:
        raise ActionError(_("Please agree to the privacy policy to continue."))
    policy = do_ensure_policy_version(district)
    current = get_consents(user, district)
    now = timezone.now()
    wanted = {Consent.Kind.PRIVACY_POLICY: (True, policy)}
    wanted |= {kind: (bool(choices.get(kind, False)), None) for kind in OPTIONAL_KINDS}
    recorded = []
    for kind, (is_granted, version) in wanted.items():
        before = current.get(kind)
        version_id = version.id if version else None
        if before and before.is_granted == is_granted and before.policy_version_id == version_id:
            continue
        recorded.append(
            Consent(
                district=district,
                user=user,
                kind=kind,
                is_granted=is_granted,
                policy_version=version,
                source=source,
                recorded_at=now,
            )
        )
    Consent.objects.bulk_create(recorded)
    if recorded:
        record_audit_event(
            actor=actor,
            action="consent.recorded",
            target=user,
            district_id=district.id,
            metadata={c.kind: c.is_granted for c in recorded} | {"policy": policy.version},
        )
    if any(c.kind == Consent.Kind.PHOTO_PROMOTION and not c.is_granted for c in recorded):
        # Withdrawing the promotion opt-in unmarks the work the school meant to share (C3).
        from activities.actions.sharing import do_unshare_after_consent_withdrawn

        do_unshare_after_consent_withdrawn(user, district, actor=actor)
    return recorded
