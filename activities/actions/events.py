"""The site activity log (ActivityEvent): written by actions, in their transaction."""

from activities.models import ActivityEvent
from privacy.audit import Actor


def log_event(
    kind: str,
    *,
    district_id: int,
    school_id: int | None = None,
    classroom_id: int | None = None,
    activity_id: int | None = None,
    child_id: int | None = None,
    actor: Actor,
) -> ActivityEvent:
    """Record one completion or interaction (never its content)."""
    return ActivityEvent.objects.create(
        district_id=district_id,
        school_id=school_id,
        classroom_id=classroom_id,
        kind=kind,
        activity_id=activity_id,
        child_id=child_id,
        actor=actor.user,
    )
