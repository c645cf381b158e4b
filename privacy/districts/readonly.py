"""After a district's contract ends (PROMISES R8): what may still happen, asked by the choke
points (tenants.views_base for every HTML view, tenants.api_permissions for every API view,
notifications.actions.do_queue_message for every message). No query: the District row comes with
the request's cached scope (or the caller's object), and its contract columns say it all.

- Before `contract_ended_at`: everything as usual.
- From `contract_ended_at` to `access_ends_at`: read-only. Reading and exporting (GET, HEAD,
  OPTIONS) go on; every write answers 403 with the date access ends; a person's own account
  (switching roles, their settings) stays theirs. No message goes out.
- From `access_ends_at`: nothing but a person's own account (to switch to another of their
  roles); the data is being disposed of.
"""

import datetime
import zoneinfo

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tenants.roles import Cap

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A person's own account is not the district's data: they can always switch to another role.
CONTRACT_FREE_CAPABILITIES = frozenset({Cap.ACCOUNT_SELF})


def has_contract_ended(district, now: datetime.datetime | None = None) -> bool:
    ended = district.contract_ended_at
    return ended is not None and (now or timezone.now()) >= ended


def is_access_over(district, now: datetime.datetime | None = None) -> bool:
    ends = district.access_ends_at
    return ends is not None and (now or timezone.now()) >= ends


def is_sending_stopped(district, at: datetime.datetime) -> bool:
    """Nothing is sent for the district at `at` or later (its contract ends before)."""
    return district.contract_ended_at is not None and at >= district.contract_ended_at


def contract_refusal(district, method: str, capability: str) -> str | None:
    """Why this request may not go on in `district` (a sentence to show), or None."""
    now = timezone.now()
    if not has_contract_ended(district, now) or capability in CONTRACT_FREE_CAPABILITIES:
        return None
    if is_access_over(district, now):
        return _(
            "This district's contract has ended and its data is being deleted; it can no "
            "longer be opened."
        )
    if method in READ_METHODS:
        return None
    return _(
        "This district's contract has ended; you can still read and export its data until %(date)s."
    ) % {"date": local_datetime(district, district.access_ends_at)}


def local_datetime(district, moment: datetime.datetime) -> str:
    """`moment` as the district's people read it (their time zone, their language)."""
    local = timezone.localtime(moment, zoneinfo.ZoneInfo(district.timezone))
    return formats.date_format(local, "DATETIME_FORMAT")
