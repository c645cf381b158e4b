"""Apply a Plan: bulk_create / bulk_update / deactivate in batches, inside the caller's transaction.

Deactivation only ever sets is_active=False (memberships also get revoked_at): a roster never
deletes, so the privacy engine's timers decide what is erased and when.
"""

from django.utils import timezone

from engage import versioned_cache
from tenants.cache_keys import family_dependency, memberships_dependency, user_dependency
from tenants.models import Membership, SchoolYear, User
from tenants.roster.existing import BATCH, batches
from tenants.roster.plan import WRITE_ORDER, Plan


def write_plan(plan: Plan) -> None:
    """Write everything `plan` holds; the caller wraps this in one transaction."""
    district = plan.district
    # roster import is an operator's command: every write below is filtered by the district
    if plan.current_year is not None:
        SchoolYear.objects.filter(district=district, is_current=True).update(is_current=False)
    for model in WRITE_ORDER:
        for chunk in batches(plan.create.get(model, [])):
            model.objects.bulk_create(chunk)
    updated_user_ids = set()
    for model in WRITE_ORDER:
        for fields, instances in plan.update.get(model, {}).items():
            model.objects.bulk_update(instances, fields.split(","), batch_size=BATCH)
            if model is User:
                updated_user_ids.update(user.id for user in instances)
    if plan.current_year is not None and plan.current_year.id:
        SchoolYear.objects.filter(district=district, id=plan.current_year.id).update(
            is_current=True
        )
    now = timezone.now()
    for model, ids in plan.deactivate.items():
        values = {"is_active": False}
        if model is Membership:
            values["revoked_at"] = now
        for chunk in batches(sorted(ids)):
            model.objects.filter(district=district, id__in=chunk).update(**values)
    _bump_caches(plan, updated_user_ids)


def _bump_caches(plan: Plan, updated_user_ids: set[int]) -> None:
    """People whose roles, families or own rows changed see it at once (bulk_update sends no
    save signal for the user cache; new people have no cache yet)."""
    names = [memberships_dependency(u) for u in plan.changed_users if isinstance(u, int)]
    names += [user_dependency(u) for u in sorted(updated_user_ids)]
    names += [family_dependency(g) for g in plan.changed_guardians if isinstance(g, int)]
    for chunk in batches(names, 500):
        versioned_cache.bump(*chunk)
