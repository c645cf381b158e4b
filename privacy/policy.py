"""Privacy policy settings: every retention window of PROMISES.md, with its platform default.

Three layers, resolved in `get_policy`: the platform's defaults (WINDOWS), a district's values
(within the legal bounds the platform sets: `minimum` .. `maximum`), and a school's values, which
may only tighten the district's. "Tighter" means less data kept for less time, so for most windows
a smaller number; for a notice period it means more notice (`is_longer_tighter`). A school value
that the district later tightens past is simply overtaken: the effective value is always the
tighter of the two, so no stored combination can loosen a district's promise.
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Unit(StrEnum):
    DAYS = "days"
    BUSINESS_DAYS = "business_days"
    MONTHS = "months"


@dataclass(frozen=True)
class Window:
    name: str
    label: str
    default: int
    unit: Unit
    minimum: int
    maximum: int
    promise: str
    is_longer_tighter: bool = False

    def tightest(self, first: int, second: int) -> int:
        return max(first, second) if self.is_longer_tighter else min(first, second)

    def is_looser(self, value: int, than: int) -> bool:
        return value < than if self.is_longer_tighter else value > than


WINDOWS: tuple[Window, ...] = (
    Window(
        "restore_days",
        _("Deleted accounts, children and work can be restored for"),
        30,
        Unit.DAYS,
        7,
        30,
        "R1",
    ),
    Window(
        "closure_hold_days",
        _("A closed account is held before final deletion for"),
        90,
        Unit.DAYS,
        30,
        90,
        "R2",
    ),
    Window(
        "inactivity_months",
        _("An account nobody signs in to closes after"),
        12,
        Unit.MONTHS,
        3,
        24,
        "R3",
    ),
    Window(
        "inactivity_notice_days",
        _("The family is told before an inactive account closes"),
        30,
        Unit.DAYS,
        14,
        60,
        "R3",
        is_longer_tighter=True,
    ),
    Window(
        "removed_child_days",
        _("A child removed by the school and by every guardian is deleted after"),
        90,
        Unit.DAYS,
        7,
        90,
        "R4",
    ),
    Window(
        "erasure_days",
        _("A request to be forgotten is carried out within"),
        30,
        Unit.DAYS,
        1,
        30,
        "R5",
    ),
    Window(
        "access_request_days",
        _("A request for a copy of one's data is answered within"),
        30,
        Unit.DAYS,
        1,
        30,
        "R6",
    ),
    Window(
        "deletion_request_business_days",
        _("A school's or district's deletion request is carried out within"),
        14,
        Unit.BUSINESS_DAYS,
        1,
        14,
        "R7",
    ),
    Window(
        "deletion_confirmation_days",
        _("A deletion request is confirmed, with a certificate, within"),
        10,
        Unit.DAYS,
        1,
        10,
        "R7",
    ),
    Window(
        "termination_access_days",
        _("After the contract ends, the district can still read and export its data for"),
        30,
        Unit.DAYS,
        0,
        30,
        "R8",
    ),
    Window(
        "termination_disposal_days",
        _("After that access ends, all the district's data is disposed of within"),
        30,
        Unit.DAYS,
        1,
        30,
        "R8",
    ),
    Window(
        "inactive_district_months",
        _("An expired or inactive district's personal data is deleted at the latest after"),
        24,
        Unit.MONTHS,
        6,
        24,
        "R9",
    ),
    Window(
        "security_log_months",
        _("Security and activity logs are kept for"),
        12,
        Unit.MONTHS,
        3,
        24,
        "R10",
    ),
    Window(
        "message_body_days",
        _("The text of messages sent is kept for"),
        365,
        Unit.DAYS,
        30,
        365,
        "R11",
    ),
    Window(
        # Compliance hold (TCPA): number contacted, time and outcome; four years is the floor.
        "message_log_months",
        _("The log of messages sent (number or address, time, outcome) is kept for"),
        48,
        Unit.MONTHS,
        48,
        84,
        "R11",
    ),
)
WINDOWS_BY_NAME = {window.name: window for window in WINDOWS}


class PolicyError(ValueError):
    """A value outside the platform's bounds, or a school value looser than its district's."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Policy:
    """The effective windows for one district (or one school in it)."""

    values: dict[str, int]

    def __getattr__(self, name: str) -> int:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def after(self, name: str, start: datetime.datetime) -> datetime.datetime:
        """When the window `name` that starts at `start` ends."""
        return add_window(start, WINDOWS_BY_NAME[name].unit, self.values[name])

    def before(self, name: str, end: datetime.datetime) -> datetime.datetime:
        """When a window `name` must have started to end at `end` (a cutoff for retention)."""
        return add_window(end, WINDOWS_BY_NAME[name].unit, -self.values[name])


def add_window(start: datetime.datetime, unit: Unit, value: int) -> datetime.datetime:
    if unit == Unit.DAYS:
        return start + datetime.timedelta(days=value)
    if unit == Unit.MONTHS:
        return add_months(start, value)
    return add_business_days(start, value)


def add_months(start: datetime.datetime, months: int) -> datetime.datetime:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return start.replace(year=year, month=month, day=min(start.day, 28))


def add_business_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """`days` working days (Monday to Friday) after `start`; a start at the weekend counts from
    the next Monday. Public holidays vary by district and are not counted out."""
    step = datetime.timedelta(days=1 if days >= 0 else -1)
    current, left = start, abs(days)
    while left > 0:
        current += step
        if current.weekday() < 5:
            left -= 1
    return current


def default_values() -> dict[str, int]:
    return {window.name: window.default for window in WINDOWS}


def validate_values(values: dict[str, int], *, parent: dict[str, int] | None = None) -> None:
    """Raise PolicyError unless every value is a known window within the platform's bounds and,
    for a school (`parent` is its district's effective values), no looser than the district's."""
    errors = {}
    for name, value in values.items():
        window = WINDOWS_BY_NAME.get(name)
        if window is None:
            errors[name] = "unknown setting"
        elif not isinstance(value, int) or isinstance(value, bool):
            errors[name] = "must be a whole number"
        elif not window.minimum <= value <= window.maximum:
            errors[name] = f"must be between {window.minimum} and {window.maximum} {window.unit}"
        elif parent is not None and window.is_looser(value, parent[name]):
            errors[name] = f"a school may only tighten the district's {parent[name]} {window.unit}"
    if errors:
        raise PolicyError(errors)


def resolve(district_values: dict, school_values: dict | None = None) -> Policy:
    """Platform defaults, overridden by the district's, tightened by the school's."""
    values = default_values()
    values |= {k: v for k, v in district_values.items() if k in values}
    for name, value in (school_values or {}).items():
        if name in values:
            values[name] = WINDOWS_BY_NAME[name].tightest(values[name], value)
    return Policy(values)
