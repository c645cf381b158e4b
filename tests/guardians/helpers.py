"""Shared steps of the joining tests: phones for the world's families, reading the outbox."""

import datetime
import re

from notifications.models import OutboxEntry

# 09:00 in Chicago (Lakeside's time zone) on a Monday: outside quiet hours.
MORNING = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)
PHONES = {"ana": "+13125550101", "ben": "+13125550102", "cal": "+13125550103"}


def give_phones(world):
    for key, phone in PHONES.items():
        user = world.people[key]
        user.phone = phone
        user.save(update_fields=["phone"])


def outbox_to(address: str) -> list[OutboxEntry]:
    return list(OutboxEntry.objects.filter(to=address).order_by("id"))


def mails_to(address: str) -> list:
    """Mail Django sent directly (pytest-django's locmem backend), e.g. joining codes."""
    from django.core import mail

    return [m for m in mail.outbox if address in m.to]


def last_code_sent_to(address: str) -> str:
    """The newest joining code sent to a phone (local outbox) or an email address (Django mail)."""
    body = mails_to(address)[-1].body if "@" in address else outbox_to(address)[-1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


def invite_path_in(body: str) -> str:
    return re.search(r"https?://[^/\s]+(/join/i/[^/\s]+/)", body).group(1)
