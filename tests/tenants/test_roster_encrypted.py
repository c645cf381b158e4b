"""Roster imports write sensitive fields encrypted, with their keyed hashes, on every path: COPY
(PostgreSQL) or bulk_create (SQLite) for new children, bulk_update for changed ones; and the
Engage CSV's optional `disadvantaged` column."""

import datetime

import pytest
from django.db import connection

from guardians.models import Child
from privacy.audit import Actor
from privacy.fields import keyed_hash_lookup
from tenants.actions import do_create_district
from tenants.models import District
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db


def engage_files(**disadvantaged: str) -> dict:
    """The Engage CSV set, with a `disadvantaged` column (C1 and C2's values as given)."""
    files = rf.engage()
    files["children.csv"][0].append("disadvantaged")
    for row in files["children.csv"][1:]:
        row.append(disadvantaged.get(row[0], ""))
    return files


def import_engage(tmp_path, files):
    folder = rf.write_folder(tmp_path / f"e{len(list(tmp_path.iterdir()))}", files)
    return run_import(folder, "oak-trust", "--format", "engage")


def stored(sourced_id: str) -> dict:
    """The raw columns of a child, as the database holds them."""
    child = Child.objects.get(sourced_id=sourced_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT birth_date, birth_date_hash, is_disadvantaged, is_disadvantaged_hash "
            "FROM guardians_child WHERE id = %s",
            [child.id],
        )
        columns = ("birth_date", "birth_date_hash", "is_disadvantaged", "is_disadvantaged_hash")
        return dict(zip(columns, cursor.fetchone(), strict=True))


def child_values(sourced_id: str) -> tuple:
    child = Child.objects.get(sourced_id=sourced_id)
    return child.birth_date, child.is_disadvantaged


def found_by_hash(source: str, value) -> list[str]:
    district = District.objects.get(slug="oak-trust")
    lookup = keyed_hash_lookup(Child, source, value, district_id=district.id)
    children = Child.objects.filter(district=district, **lookup)
    return sorted(children.values_list("sourced_id", flat=True))


def test_new_children_are_written_encrypted_with_their_hashes(tmp_path):
    district = do_create_district(
        name="Oak Trust", slug="oak-trust", timezone_name="Europe/London", actor=Actor.system()
    )
    District.objects.filter(id=district.id).update(is_roster_birth_date_imported=True)

    report, status = import_engage(tmp_path, engage_files(C1="Yes", C2="0"))

    assert status == 0, report["errors"]
    assert report["created"]["children"] == 2
    assert child_values("C1") == (datetime.date(2019, 1, 5), True)
    assert child_values("C2") == (None, False)
    alice = stored("C1")
    assert alice["birth_date"].startswith("v1:test-1:") and "2019" not in alice["birth_date"]
    assert alice["is_disadvantaged"].startswith("v1:test-1:")
    assert len(alice["birth_date_hash"]) == len(alice["is_disadvantaged_hash"]) == 64
    assert stored("C2")["birth_date"] is None and stored("C2")["birth_date_hash"] is None
    assert found_by_hash("birth_date", datetime.date(2019, 1, 5)) == ["C1"]
    assert found_by_hash("is_disadvantaged", True) == ["C1"]
    assert found_by_hash("is_disadvantaged", False) == ["C2"]


def test_changed_values_are_re_encrypted_and_rehashed_and_blank_keeps_them(tmp_path):
    import_engage(tmp_path, engage_files(C1="yes"))
    assert child_values("C1") == (None, True)  # birth dates are off for this district
    District.objects.filter(slug="oak-trust").update(is_roster_birth_date_imported=True)

    report, _ = import_engage(tmp_path, engage_files(C1="no", C2="TRUE"))

    assert report["updated"] == counts(children=2)
    assert child_values("C1") == (datetime.date(2019, 1, 5), False)
    assert child_values("C2") == (None, True)
    assert found_by_hash("birth_date", datetime.date(2019, 1, 5)) == ["C1"]
    assert found_by_hash("is_disadvantaged", False) == ["C1"]
    assert found_by_hash("is_disadvantaged", True) == ["C2"]

    again, _ = import_engage(tmp_path, engage_files())  # blank: not given, so kept
    assert again["updated"] == counts() and again["unchanged"]["children"] == 2
    assert child_values("C1") == (datetime.date(2019, 1, 5), False)
    assert child_values("C2") == (None, True)


def test_a_value_that_is_not_yes_or_no_is_a_located_error(tmp_path):
    report, status = import_engage(tmp_path, engage_files(C1="maybe"))

    assert status == 1
    assert report["errors"] == [
        {
            "file": "children.csv",
            "line": 2,
            "column": "disadvantaged",
            "value": "maybe",
            "reason": "not one of yes, no, true, false, 1, 0",
        }
    ]


def test_files_without_the_column_import_as_before(tmp_path):
    report, status = import_engage(tmp_path, rf.engage())

    assert status == 0, report["errors"]
    assert child_values("C1") == (None, None)
    assert stored("C1")["is_disadvantaged_hash"] is None
