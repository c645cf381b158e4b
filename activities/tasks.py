"""Celery entry points for activities. Thin: ids in, one call out."""

from celery import shared_task

from activities import media


@shared_task(ignore_result=True, acks_late=True)
def process_submission_photo(photo_id: int) -> None:
    """Re-encode an uploaded photo; a repeat does nothing (it is READY or FAILED by then)."""
    media.process_photo(photo_id)
