"""Celery entry points for privacy: the daily retention run (thin; the work is privacy.jobs)."""

from celery import shared_task


@shared_task(ignore_result=True)
def run_retention() -> None:
    """Every retention job for every district, recorded as RetentionRun rows."""
    from privacy.jobs import run_all

    run_all(trigger="beat")
