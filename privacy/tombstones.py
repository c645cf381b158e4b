"""Erasure tombstones (PROMISES R5, R12): an erased family stays erased at the next roster import.

What: when a family is erased (privacy.erasure), the roster ids that named them in the district
(the guardian's RosterPerson sourcedIds, each erased child's sourcedId) are kept as
`ErasedRosterId` rows; the roster import (tenants.roster.erased) skips every row that carries one
of them. Why: the district's information system still lists the family until the school removes
them there, and its nightly roster would otherwise create them again, as a new account and new
child records.

How it stays safe (R12): a row holds only a keyed hash of the id (HMAC-SHA256 under the hash key,
bound to this column and the district, privacy.crypto), never the id, so the table re-identifies
no one: only the platform, holding the key, can tell that the information system sent the same id
again. The hash cannot be recomputed without the id, so a change of ENGAGE_FIELD_HASH_KEY leaves
the tombstones matching nothing (docs/ENCRYPTION.md). Recording is idempotent (one row per
district, kind and hash), so an erasure run twice writes nothing new.
"""

from django.db import transaction

from privacy.crypto import get_keyring
from privacy.models import ErasedRosterId, PrivacyRequest

# One context for guardians', staff's and children's ids, so the import hashes each id once.
CONTEXT = "privacy.erasedrosterid.sourced_id"


def hash_roster_id(district_id: int, sourced_id: str) -> str:
    """The keyed hash a tombstone keeps for `sourced_id` (as stored, e.g. "guardian:G1")."""
    return get_keyring().keyed_hash(CONTEXT, district_id, sourced_id)


@transaction.atomic
def do_record_erased_roster_ids(
    request: PrivacyRequest, *, person_ids: list[str], child_ids: list[str]
) -> int:
    """Tombstone the roster ids of the family `request` erases; called inside the erasure's
    transaction (audited there, "family.erased"). Returns how many ids were given (those already
    tombstoned are left as they are)."""
    district_id = request.district_id
    rows = [
        ErasedRosterId(
            district_id=district_id,
            kind=kind,
            sourced_id_hash=hash_roster_id(district_id, sourced_id),
            request=request,
        )
        for kind, ids in (
            (ErasedRosterId.Kind.PERSON, person_ids),
            (ErasedRosterId.Kind.CHILD, child_ids),
        )
        for sourced_id in sorted(set(ids))
        if sourced_id
    ]
    ErasedRosterId.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def get_erased_roster_hashes(district_id: int) -> set[str]:
    """The district's tombstoned id hashes, of every kind, in one query."""
    return set(
        ErasedRosterId.objects.filter(district_id=district_id).values_list(
            "sourced_id_hash", flat=True
        )
    )
