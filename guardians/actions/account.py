"""What a family does with the children on their own account.

Kept apart from `guardians.actions.family` (the links the school makes) because it builds on the
staff-side `do_end_guardian_link` of `guardians.actions.manage`, which imports that module.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from guardians.actions.manage import do_end_guardian_link
from guardians.models import Child, GuardianLink
from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.scope import Scope


@transaction.atomic
def do_remove_child_from_account(scope: Scope, child: Child, *, actor: Actor) -> GuardianLink:
    """The signed-in guardian removes `child` (from `access_child_for_guardian(scope, ...)`) from
    their own account: only their link ends (audited as `guardian.unlinked`, the family as the
    actor), and with it their guardian role in the district if it was their last link there.

    The school's record and the other guardians' links stay. A child the school has removed too
    and no guardian keeps is deleted by the privacy engine after the policy's
    `removed_child_days` (PROMISES R4; the daily `removed_children` job starts that clock).
    Raises ActionError when the link has ended meanwhile.
    """
    link = (
        GuardianLink.objects.select_for_update()
        .select_related("child")
        .filter(
            district_id=scope.district.id,
            guardian_id=scope.user.id,
            child_id=child.id,
            is_active=True,
            has_access=True,
        )
        .first()
    )
    if link is None:
        raise ActionError(_("This child is no longer on your account."))
    return do_end_guardian_link(link, actor=actor)
