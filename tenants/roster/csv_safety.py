"""Neutralising spreadsheet formulas in every CSV the platform exports.

A cell that starts with `=`, `+`, `-` or `@` (or a tab / carriage return before one) is run as a
formula by Excel and friends ("CSV injection"). Imports store such text as it is (it is only
text to us); exports must pass every cell through `safe_cell`, which prefixes a single quote so
that the spreadsheet shows the text instead of running it.
"""

import csv

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_safe_rows(handle, rows) -> None:
    """csv.writer(handle).writerows(rows), with every cell neutralised."""
    writer = csv.writer(handle)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
