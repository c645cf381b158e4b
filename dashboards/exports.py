"""CSV of every dashboard table: the same cells as the page (hidden figures stay hidden), every
cell through the spreadsheet-formula guard (tenants.roster.csv_safety)."""

import io

from django.utils.translation import gettext as _

from dashboards.models import Dim
from tenants.roster.csv_safety import write_safe_rows

TABLES = ("headline", "trend", "places", "grade", "language", "disadvantaged", "reach")


def _text(cell) -> str:
    return "" if cell is None else cell.text


def table_rows(board, table: str) -> list[list]:
    """Header and rows of one table of a dashboard (queries.Dashboard)."""
    if table == "headline":
        names = [
            ("families", _("Families")),
            ("invited", _("Invited")),
            ("connected", _("Connected")),
            ("connected_rate", _("Connected rate")),
            ("active_30d", _("Active in the last 30 days")),
            ("activities_published", _("Activities published")),
            ("completions", _("Completions")),
            ("families_completed", _("Families who completed an activity")),
            ("participation", _("Participation rate")),
        ]
        return [[_("Figure"), _("Value")]] + [
            [label, _text(board.headline.get(name))]
            for name, label in names
            if name in board.headline
        ]
    if table == "trend":
        return [
            [
                _("Week starting"),
                _("Families who completed"),
                _("Active families"),
                _("Completions"),
                _("Activities published"),
            ]
        ] + [
            [
                row["monday"].isoformat(),
                _text(row["families_completed"]),
                _text(row["families_active"]),
                _text(row["completions"]),
                _text(row["activities_published"]),
            ]
            for row in board.trend
        ]
    if table == "places":
        return [
            [
                _("School") if board.level == "district" else _("Classroom"),
                _("Families"),
                _("Invited"),
                _("Connected"),
                _("Connected rate"),
                _("Active in the last 30 days"),
                _("Families who completed"),
                _("Completions"),
                _("Participation rate"),
            ]
        ] + [
            [
                row["name"],
                *(
                    _text(row[name])
                    for name in (
                        "families",
                        "invited",
                        "connected",
                        "connected_rate",
                        "active_30d",
                        "families_completed",
                        "completions",
                        "participation",
                    )
                ),
            ]
            for row in board.rows
        ]
    if table in (Dim.GRADE, Dim.LANGUAGE, Dim.DISADVANTAGED):
        return [
            [
                _("Group"),
                _("Families"),
                _("Connected rate"),
                _("Families who completed"),
                _("Participation rate"),
                _("Active rate"),
                _("Completions"),
            ]
        ] + [
            [
                row["label"],
                *(
                    _text(row[name])
                    for name in (
                        "families",
                        "connected_rate",
                        "families_completed",
                        "participation",
                        "active_rate",
                        "completions",
                    )
                ),
            ]
            for row in board.breakdowns.get(table, [])
        ]
    if table == "reach":
        return [
            [
                _("Channel"),
                _("Messages sent"),
                _("Delivered"),
                _("Opened"),
                _("Failed"),
                _("Not sent (opted out)"),
            ]
        ] + [
            [
                row["channel"],
                _text(row["recipients"]),
                _text(row["delivered"]),
                _text(row["opened"]),
                _text(row["failed"]),
                _text(row["suppressed"]),
            ]
            for row in board.reach
        ]
    raise ValueError(table)


def to_csv(rows: list[list]) -> str:
    handle = io.StringIO()
    write_safe_rows(handle, rows)
    return handle.getvalue()
