import io

import pytest

from tenants.roster.csv_safety import safe_cell, write_safe_rows


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+15550102030", "'+15550102030"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Mia", "Mia"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_write_safe_rows():
    buffer = io.StringIO()
    write_safe_rows(buffer, [["name", "note"], ["=1+1", "ok"]])
    assert buffer.getvalue() == "name,note\r\n'=1+1,ok\r\n"
