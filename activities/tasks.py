"""Celery entry points for activities. Thin: ids in, one call out."""

from celery import shared_task

from activities import media


@shared_task(ignore_result=True, acks_late=True)
def process_submission_photo(photo_id: int) -> None:
    """Re-encode an uploaded photo; a repeat does nothing (it is READY or FAILED by then)."""
    media.process_photo(photo_id)


# --- Authoring: scheduled publishing and reminders (beat, CELERY_BEAT_SCHEDULE) ----------------
# Both sweep every district by status and time, and claim each activity before acting on it
# (activities.actions.authoring.do_publish_due_activities, activities.notify), so overlapping
# beat runs or a redelivered task never publish or remind twice.


@shared_task(ignore_result=True)
def publish_due_activities() -> None:
    """Publish scheduled activities whose time has come (and tell their families)."""
    from activities.actions.authoring import do_publish_due_activities

    do_publish_due_activities()


@shared_task(ignore_result=True)
def send_activity_reminders() -> None:
    """Remind families who have not completed an activity due within the reminder lead time."""
    from activities.notify import do_send_due_reminders

    do_send_due_reminders()
