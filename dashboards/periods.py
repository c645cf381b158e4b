"""Period keys of the rollups: ISO weeks (`W2026-48`), months (`M2026-11`) and school years
(`Y2026`: 1 August 2026 to 31 July 2027), of the local date in the school's time zone."""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SCHOOL_YEAR_START_MONTH = 8


def week_key(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"W{year}-{week:02d}"


def month_key(day: datetime.date) -> str:
    return f"M{day.year}-{day.month:02d}"


def year_key(day: datetime.date) -> str:
    start = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    return f"Y{start}"


def keys_for(day: datetime.date) -> list[str]:
    return [week_key(day), month_key(day), year_key(day)]


def local_date(moment: datetime.datetime, timezone_name: str) -> datetime.date:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(timezone_name)).date()


def recent_weeks(today: datetime.date, count: int) -> list[tuple[str, datetime.date]]:
    """The last `count` ISO weeks up to `today`'s, oldest first: (key, Monday)."""
    monday = today - datetime.timedelta(days=today.weekday())
    mondays = [monday - datetime.timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    return [(week_key(day), day) for day in mondays]


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: datetime.date
    end: datetime.date  # inclusive


def choices(today: datetime.date) -> list[Period]:
    """The periods a dashboard offers, the default (this school year) first."""
    year_start = int(year_key(today)[1:])
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - datetime.timedelta(days=1)
    monday = today - datetime.timedelta(days=today.weekday())
    last_year = year_start - 1
    return [
        Period(
            f"Y{year_start}",
            _("This school year"),
            datetime.date(year_start, SCHOOL_YEAR_START_MONTH, 1),
            datetime.date(year_start + 1, SCHOOL_YEAR_START_MONTH, 1) - datetime.timedelta(1),
        ),
        Period(month_key(today), _("This month"), first_of_month, today),
        Period(
            month_key(last_month_end),
            _("Last month"),
            last_month_end.replace(day=1),
            last_month_end,
        ),
        Period(week_key(today), _("This week"), monday, monday + datetime.timedelta(days=6)),
        Period(
            f"Y{last_year}",
            _("Last school year"),
            datetime.date(last_year, SCHOOL_YEAR_START_MONTH, 1),
            datetime.date(year_start, SCHOOL_YEAR_START_MONTH, 1) - datetime.timedelta(1),
        ),
    ]
