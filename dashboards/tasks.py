"""Celery entry points for the dashboard rollups (thin; the work is dashboards.rebuild)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def refresh_school_snapshot(school_id: int) -> None:
    from dashboards.rebuild import refresh_school_snapshot, school_by_id

    school = school_by_id(school_id)
    if school is not None:
        refresh_school_snapshot(school)


@shared_task(ignore_result=True)
def refresh_message_stats(message_id: int) -> None:
    from dashboards.rebuild import refresh_message_stats as refresh

    refresh(message_id)


@shared_task(ignore_result=True)
def repair_school(school_id: int) -> None:
    """Rows of the school were deleted or restored: recount its rollups from the facts."""
    from dashboards.rebuild import rebuild_school, school_by_id

    school = school_by_id(school_id)
    if school is not None:
        rebuild_school(school)


@shared_task(ignore_result=True)
def rebuild_all() -> None:
    """The nightly repair of every district's rollups; logs the drift it repaired."""
    from dashboards.rebuild import rebuild_district
    from tenants.models import District

    for district in District.objects.order_by("id"):
        drift = rebuild_district(district)
        logger.info("dashboards rebuild", extra={"district_id": district.id, "drift": drift})
