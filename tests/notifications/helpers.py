from notifications.actions import do_queue_message
from notifications.models import Kind
from notifications.tasks import fan_out_message
from privacy.audit import Actor


def send(
    district,
    audience,
    *,
    kind=Kind.ANNOUNCEMENT,
    channels=("sms", "email"),
    school=None,
    content=None,
    **extra,
):
    """Queue a message and run its fan-out and sends now (test transactions never commit)."""
    message = do_queue_message(
        district,
        kind=kind,
        audience=audience,
        channels=list(channels),
        school=school,
        content=content
        or {
            "en": {"subject": "Field trip", "body": "Bring a coat."},
            "es": {"subject": "Excursión", "body": "Traigan abrigo."},
        },
        actor=Actor.system(),
        **extra,
    )
    fan_out_message(message.id)
    message.refresh_from_db()
    return message
