"""Apply a Plan: bulk_create / bulk_update / deactivate in batches, inside the caller's transaction.

Deactivation only ever sets is_active=False (memberships also get revoked_at): a roster never
deletes, so the privacy engine's timers decide what is erased and when.
"""

from django.utils import timezone

from engage import versioned_cache
from tenants.cache_keys import family_dependency, memberships_dependency
from tenants.models import Membership, SchoolYear
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
    for model in WRITE_ORDER:
        for fields, instances in plan.update.get(model, {}).items():
            model.objects.bulk_update(instances, fields.split(","), batch_size=BATCH)
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
    _bump_caches(plan)


def _bump_caches(plan: Plan) -> None:
    """People whose roles or families changed see it at once (new people have no cache yet)."""
    names = [memberships_dependency(u) for u in plan.changed_users if isinstance(u, int)]
    names += [family_dependency(g) for g in plan.changed_guardians if isinstance(g, int)]
    for chunk in batches(names, 500):
        versioned_cache.bump(*chunk)
