"""The daily digest: messages held back (by preference or the daily cap) sent as one.

Design: held deliveries whose time has come are grouped per person and channel; one digest
message and delivery is written for each group and the held rows point at it (`digested`), in
one transaction per person, so a re-run finds nothing left to digest.
"""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import STATUS_RANK, Delivery, Kind, Message


def _digest_content(held: list[Delivery]) -> dict:
    languages = {d.language for d in held}
    content = {}
    for language in languages:
        with translation.override(language):
            lines = []
            for delivery in held:
                text = delivery.message.text_for(language)
                lines.append(f"• {text.get('subject') or ''}\n{text.get('body', '')}".strip())
            content[language] = {
                "subject": _("Today's messages from school"),
                "body": "\n\n".join(lines),
            }
    return content


def build_due_digests(now=None) -> int:
    """Turn due held deliveries into digests; returns how many digests were written."""
    now = now or timezone.now()
    due = (
        Delivery.objects.filter(status=Delivery.Status.HELD, not_before__lte=now)
        .values_list("recipient_id", "channel")
        .distinct()
    )
    written = 0
    for recipient_id, channel in list(due):
        with transaction.atomic():
            held = list(
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    recipient_id=recipient_id,
                    channel=channel,
                    status=Delivery.Status.HELD,
                    not_before__lte=now,
                )
                .select_related("message")
                .order_by("created_at", "id")
            )
            if not held:
                continue
            first = held[0]
            digest_message = Message.objects.create(
                district_id=first.district_id,
                kind=Kind.DIGEST,
                channels=[channel],
                audience={"type": "guardians", "ids": [recipient_id]},
                content=_digest_content(held),
                default_language=first.language,
                status=Message.Status.SENT,
                queued_at=now,
                fanned_out_at=now,
                recipients_count=1,
            )
            digest = Delivery.objects.create(
                district_id=first.district_id,
                message=digest_message,
                recipient_id=recipient_id,
                channel=channel,
                address=first.address,
                language=first.language,
                not_before=now,
            )
            Delivery.objects.filter(id__in=[d.id for d in held]).update(
                status=Delivery.Status.DIGESTED,
                status_rank=STATUS_RANK["digested"],
                digest=digest,
                updated_at=now,
            )
            written += 1
    return written
