"""Celery entry points for the guardians app. Thin: arguments in, one call out."""

from celery import shared_task

from guardians import verification


@shared_task(ignore_result=True)
def send_join_code(channel: str, address: str, code: str, language: str) -> None:
    """Send a joining code; an empty address (nothing matched) sends nothing, on purpose."""
    verification.send_code(channel, address, code, language)
