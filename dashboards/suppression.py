"""Fair to small groups: no figure about fewer than 5 families is shown (docs/DASHBOARDS.md).

A count of 1 to 4 families, and every figure of a group of fewer than 5 families (its rates, its
completions), shows as "fewer than 5", in pages, charts and CSV alike. A table whose column has
a total shown elsewhere (the headline, or the rows' sum) would give a single hidden cell back by
subtraction, so a column with exactly one hidden cell hides its next smallest cell too
(secondary suppression).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

MIN_GROUP = 5
HIDDEN_LABEL = _("fewer than 5")


@dataclass
class Cell:
    """One figure: `value` is None when it is hidden; `text` is what to show."""

    value: float | int | None
    is_rate: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def text(self) -> str:
        if self.value is None:
            return str(HIDDEN_LABEL)
        if self.is_rate:
            return f"{round(self.value * 100)}%"
        return f"{self.value:,}"

    def __str__(self) -> str:
        return self.text


def family_count(n: int) -> Cell:
    """A number of families on its own (a headline): hidden from 1 to 4."""
    return Cell(None if 0 < n < MIN_GROUP else n)


def suppress_table(
    rows: list[dict[str, int]], counts: list[str], rates: dict[str, tuple[str, str]]
) -> list[dict[str, Cell]]:
    """Cells of a table of groups. Each row has "families" (the group's size) and the `counts`;
    `rates` {name: (numerator, denominator)} are derived after hiding, and hidden whenever a
    part is. Primary: a group of fewer than 5 families hides every count; a count of 1-4 is
    hidden. Secondary: a column with exactly one hidden cell hides its smallest shown non-zero
    cell too (with every rate that uses it)."""
    columns = ["families", *counts]
    cells = []
    for row in rows:
        small = 0 < row["families"] < MIN_GROUP
        cells.append(
            {
                name: Cell(None if small or 0 < row[name] < MIN_GROUP else row[name])
                for name in columns
            }
        )
    if len(cells) > 1:
        for name in columns:
            column = [row[name] for row in cells]
            if sum(c.hidden for c in column) == 1:
                shown = [c for c in column if not c.hidden and c.value]
                if shown:
                    min(shown, key=lambda c: c.value).value = None
    for raw, row in zip(rows, cells, strict=True):
        for name, (top, bottom) in rates.items():
            hidden = row[top].hidden or row[bottom].hidden
            value = None if hidden else (raw[top] / raw[bottom] if raw[bottom] else 0.0)
            row[name] = Cell(value, is_rate=True)
    return cells
