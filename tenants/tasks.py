"""Celery entry points for tenants: roster imports. Thin: ids in, one call out."""

import logging

from celery import shared_task

from tenants.roster import uploads

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, acks_late=True)
def run_roster_import(run_id: int) -> None:
    """Import a queued roster run (uploaded or pushed); a repeat does nothing (see uploads)."""
    outcome = uploads.run_queued_import(run_id)
    logger.info("roster.import.task", extra={"run_id": run_id, "outcome": outcome})


@shared_task(ignore_result=True)
def requeue_stale_roster_imports() -> None:
    """Beat: queue again the imports whose task was lost or whose worker died."""
    uploads.requeue_stale_imports()
