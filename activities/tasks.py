"""Celery entry points for activities. Thin: ids in, one call out.

process_submission_photo runs on the "media" queue (CELERY_TASK_ROUTES). A storage outage is
retried with backoff and jitter, then the photo is failed; anything else about the photo itself
fails it at once (activities.media). A lost task is queued again by sweep_stale_photos.
"""

import random

from celery import shared_task

from activities import media

PHOTO_RETRIES = 5


# acks_late: a photo redelivered after a crash is processed again, or found done and skipped.
@shared_task(
    bind=True,
    ignore_result=True,
    acks_late=True,
    max_retries=PHOTO_RETRIES,
    soft_time_limit=60,
    time_limit=90,
)
def process_submission_photo(self, photo_id: int) -> None:
    """Re-encode an uploaded photo; a repeat does nothing (it is READY or FAILED by then)."""
    try:
        media.process_photo(photo_id)
    except media.StorageUnavailable as error:
        if self.request.retries >= PHOTO_RETRIES:
            media.do_fail_photo(photo_id, "storage")
            return
        countdown = 2 ** (self.request.retries + 2) * (1 + random.random())  # 4-8 s, 8-16 s, ...
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(ignore_result=True)
def sweep_stale_photos() -> None:
    """Queue again photos a lost task left PROCESSING; give up on those past an hour; delete
    uploads a storage outage left without a photo."""
    media.do_sweep_stale_photos()
    media.do_delete_orphan_uploads()


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
