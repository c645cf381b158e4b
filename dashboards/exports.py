"""CSV of every dashboard table: the same cells as the page (hidden figures stay hidden), every
cell through the spreadsheet-formula guard (tenants.roster.csv_safety)."""

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards.models import Dim
from tenants.roster.csv_safety import write_safe_rows

TABLES = (
    "headline",
    "trend",
    "places",
    "grade",
    "language",
    "disadvantaged",
    "channels",
    "reach",
)
L = gettext_lazy
HEADLINE = [
    ("families", L("Families")),
    ("invited", L("Invited")),
    ("connected", L("Connected")),
    ("connected_rate", L("Connected rate")),
    ("active_30d", L("Active in the last 30 days")),
    ("activities_published", L("Activities published")),
    ("completions", L("Completions")),
    ("families_completed", L("Families who completed an activity")),
    ("participation", L("Participation rate")),
]
COLUMNS = {
    "trend": [
        ("families_completed", L("Families who completed")),
        ("families_active", L("Active families")),
        ("completions", L("Completions")),
        ("activities_published", L("Activities published")),
    ],
    "places": [
        ("families", L("Families")),
        ("invited", L("Invited")),
        ("connected", L("Connected")),
        ("connected_rate", L("Connected rate")),
        ("active_30d", L("Active in the last 30 days")),
        ("families_completed", L("Families who completed")),
        ("completions", L("Completions")),
        ("participation", L("Participation rate")),
    ],
    "groups": [
        ("families", L("Families")),
        ("connected_rate", L("Connected rate")),
        ("families_completed", L("Families who completed")),
        ("participation", L("Participation rate")),
        ("active_rate", L("Active rate")),
        ("completions", L("Completions")),
    ],
    "channels": [
        ("families", L("Families")),
        ("connected", L("Connected")),
        ("connected_rate", L("Connected rate")),
    ],
    "reach": [
        ("recipients", L("Messages")),
        ("sent", L("Sent")),
        ("delivered", L("Delivered")),
        ("opened", L("Opened")),
        ("failed", L("Failed")),
        ("suppressed", L("Not sent (opted out)")),
    ],
}


def _text(cell) -> str:
    return "" if cell is None else cell.text


def table_rows(board, table: str) -> list[list]:
    """Header and rows of one table of a dashboard (queries.Dashboard)."""
    if table == "headline":
        return [[_("Figure"), _("Value")]] + [
            [str(label), _text(board.headline.get(name))]
            for name, label in HEADLINE
            if name in board.headline
        ]
    if table == "trend":
        first, rows = _("Week starting"), board.trend
        names = [row["monday"].isoformat() for row in rows]
    elif table == "places":
        first, rows = _("School") if board.level == "district" else _("Classroom"), board.rows
        names = [row["name"] for row in rows]
    elif table in (Dim.GRADE, Dim.LANGUAGE, Dim.DISADVANTAGED):
        first, rows = _("Group"), board.breakdowns.get(table, [])
        names = [row["label"] for row in rows]
        table = "groups"
    elif table == "channels":
        first, rows = _("Can be reached by"), board.channels
        names = [row["label"] for row in rows]
    elif table == "reach":
        first, rows = _("Channel"), board.reach
        names = [row["channel"] for row in rows]
    else:
        raise ValueError(table)
    columns = COLUMNS[table]
    header = [first, *(str(label) for _name, label in columns)]
    return [header] + [
        [name, *(_text(row.get(key)) for key, _label in columns)]
        for name, row in zip(names, rows, strict=True)
    ]


def to_csv(rows: list[list]) -> str:
    handle = io.StringIO()
    write_safe_rows(handle, rows)
    return handle.getvalue()
