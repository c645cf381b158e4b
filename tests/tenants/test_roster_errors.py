"""Bad roster input: each a located error, and nothing imported (unless valid rows only)."""

import pytest
from django.test import override_settings

from guardians.models import Child, GuardianLink
from tenants.models import District, RosterImportRun, User
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db


def error(file, line, column, value, reason):
    return {"file": file, "line": line, "column": column, "value": value, "reason": reason}


def assert_nothing_imported(report, status):
    assert status == 1
    assert report["applied"] is False
    assert not District.objects.filter(slug="maple").exists()
    assert (User.objects.count(), Child.objects.count(), GuardianLink.objects.count()) == (0, 0, 0)


def import_files(tmp_path, files, *options, district="maple"):
    return run_import(rf.write_zip(tmp_path / "r.zip", files), district, *options)


def test_not_a_zip(tmp_path):
    path = tmp_path / "roster.zip"
    path.write_text("sourcedId,name\n")

    report, status = run_import(path, "maple")

    assert report["errors"] == [
        error("roster.zip", None, "", "", "not a ZIP file: upload the roster as a .zip")
    ]
    assert_nothing_imported(report, status)


def test_no_manifest(tmp_path):
    files = rf.oneroster_11()
    del files["manifest.csv"]

    report, status = import_files(tmp_path, files)

    assert report["errors"] == [error("manifest.csv", None, "", "", "no manifest.csv at the root")]
    assert_nothing_imported(report, status)


def test_a_manifest_naming_a_missing_file(tmp_path):
    files = rf.oneroster_11()
    del files["enrollments.csv"]

    report, status = import_files(tmp_path, files)

    assert report["errors"] == [
        error("manifest.csv", 8, "value", "bulk", "the manifest names enrollments.csv: not found")
    ]
    assert_nothing_imported(report, status)


def test_a_12_manifest_without_roles(tmp_path):
    files = rf.oneroster_12()
    del files["roles.csv"]
    files["manifest.csv"] = [r for r in files["manifest.csv"] if r[0] != "file.roles"]

    report, status = import_files(tmp_path, files)

    assert report["errors"] == [
        error("manifest.csv", None, "file.roles", "", "1.2 needs roles.csv")
    ]
    assert_nothing_imported(report, status)


def test_missing_required_columns(tmp_path):
    files = rf.oneroster_11()
    index = rf.column(files, "users.csv", "familyName")
    files["users.csv"] = [row[:index] + row[index + 1 :] for row in files["users.csv"]]

    report, status = import_files(tmp_path, files)

    assert report["errors"][0] == error(
        "users.csv", 1, "familyName", "", "required column missing: familyName"
    )
    assert_nothing_imported(report, status)


def test_unknown_role(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "users.csv", "t-2", "role", "janitor")

    report, status = import_files(tmp_path, files)

    assert report["errors"] == [
        error("users.csv", 3, "role", "janitor", "unknown role"),
        error(
            "enrollments.csv", 5, "userSourcedId", "t-2", "no teacher with this id in the roster"
        ),
    ]
    assert_nothing_imported(report, status)


def test_an_enrollment_for_a_class_that_is_not_there(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "enrollments.csv", "e2", "classSourcedId", "c9")

    report, status = import_files(tmp_path, files)

    assert report["errors"] == [
        error("enrollments.csv", 3, "classSourcedId", "c9", "no class with this id in the roster")
    ]
    assert_nothing_imported(report, status)


def test_duplicate_sourced_id(tmp_path):
    files = rf.oneroster_11()
    files["users.csv"].append(list(files["users.csv"][1]))

    report, status = import_files(tmp_path, files)

    assert report["errors"] == [
        error("users.csv", 8, "sourcedId", "t-1", "duplicate id (first on line 2)")
    ]
    assert_nothing_imported(report, status)


def test_a_guardian_linked_to_a_child_of_another_district(world, tmp_path):
    Child.objects.filter(id=world.zoe.id).update(sourced_id="C9")  # Hillcrest's roster id
    files = rf.engage()
    files["links.csv"].append(["G1", "C9", "mother", "primary"])

    report, status = run_import(
        rf.write_folder(tmp_path / "e", files), "lakeside", "--format", "engage"
    )

    assert status == 1
    assert report["errors"] == [
        error("links.csv", 4, "child_id", "C9", "this child belongs to another district")
    ]
    assert not Child.objects.filter(sourced_id="C1").exists()
    assert not GuardianLink.objects.filter(child=world.zoe, guardian__email="gwen@example.com")


def test_latin_1_instead_of_utf_8(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "users.csv", "st-2", "givenName", "José")
    (tmp_path / "r").mkdir()
    rf.write_folder(tmp_path / "r", files)
    (tmp_path / "r" / "users.csv").write_bytes(rf.csv_text(files["users.csv"]).encode("latin-1"))

    report, status = run_import(tmp_path / "r", "maple")

    assert report["errors"][0] == error(
        "users.csv",
        5,
        "",
        "",
        "the file is not UTF-8 (perhaps Latin-1 / Windows-1252): save it as CSV UTF-8",
    )
    assert_nothing_imported(report, status)


def test_a_utf_8_byte_order_mark_is_fine(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "users.csv", "st-2", "givenName", "José")
    folder = rf.write_folder(tmp_path / "r", files)
    for name in ("users.csv", "manifest.csv"):
        (folder / name).write_bytes(b"\xef\xbb\xbf" + (folder / name).read_bytes())

    report, status = run_import(folder, "maple")

    assert status == 0, report["errors"]
    assert Child.objects.get(sourced_id="st-2").first_name == "José"


@override_settings(ROSTER_MAX_FILE_BYTES=100)
def test_a_file_over_the_size_limit(tmp_path):
    report, status = import_files(tmp_path, rf.oneroster_11())

    assert report["errors"] == [
        error("r.zip", None, "", "", "the file is larger than the limit of 100 bytes")
    ]
    assert_nothing_imported(report, status)


def test_a_member_over_the_size_limit_in_a_small_zip(tmp_path):
    files = rf.oneroster_11()
    files["users.csv"] += [[f"x{n}"] + [""] * 17 for n in range(400)]  # compresses well
    path = rf.write_zip(tmp_path / "r.zip", files)
    limit = path.stat().st_size + 10
    assert len(rf.csv_text(files["users.csv"])) > limit

    with override_settings(ROSTER_MAX_FILE_BYTES=limit):
        report, status = run_import(path, "maple")

    assert report["errors"] == [
        error("users.csv", None, "", "", f"the file is larger than the limit of {limit} bytes")
    ]
    assert_nothing_imported(report, status)


def test_dates_in_the_wrong_format(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "enrollments.csv", "e1", "beginDate", "15/08/2026")
    rf.set_cell(files, "users.csv", "t-1", "dateLastModified", "yesterday")

    report, status = import_files(tmp_path, files)

    assert report["errors"][:2] == [
        error(
            "users.csv",
            2,
            "dateLastModified",
            "yesterday",
            "not an ISO 8601 date-time (2026-09-01T12:00Z)",
        ),
        error("enrollments.csv", 2, "beginDate", "15/08/2026", "not a date in the form YYYY-MM-DD"),
    ]
    assert_nothing_imported(report, status)


def test_a_phone_that_cannot_be_normalised_is_reported_and_the_row_kept(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "users.csv", "g-1", "sms", "12345")

    report, status = import_files(tmp_path, files)

    assert status == 0
    assert report["warnings"] == [
        error(
            "users.csv",
            6,
            "sms",
            "12345",
            "the phone number cannot be normalised; imported without it",
        )
    ]
    gina = User.objects.get(email="gina@example.com")
    assert gina.phone is None
    assert report["created"]["guardians"] == 2


def test_a_guardian_with_no_contact_is_an_error(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "users.csv", "g-2", "phone", "")

    report, status = import_files(tmp_path, files)

    assert report["errors"] == [
        error(
            "users.csv",
            7,
            "email",
            "",
            "a staff member or guardian needs an email or phone of their own",
        )
    ]
    assert_nothing_imported(report, status)


def test_valid_rows_only_applies_the_rest(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "enrollments.csv", "e2", "classSourcedId", "c9")

    report, status = import_files(tmp_path, files, "--valid-rows-only")

    assert status == 1  # something failed, though the rest was applied
    assert report["applied"] is True
    assert report["created"] == counts(
        schools=2,
        classrooms=2,
        teachers=2,
        children=2,
        guardians=2,
        guardian_links=3,
        enrollments=3,
    )
    assert RosterImportRun.objects.get().outcome == "applied"


def test_a_failed_import_of_an_existing_district_is_recorded(tmp_path):
    run_import(rf.write_zip(tmp_path / "ok.zip", rf.oneroster_11()), "maple")
    files = rf.oneroster_11()
    rf.set_cell(files, "enrollments.csv", "e2", "classSourcedId", "c9")
    rf.set_cell(files, "classes.csv", "c1", "title", "Renamed")

    report, status = import_files(tmp_path, files)

    assert status == 1 and report["applied"] is False
    assert [run.outcome for run in RosterImportRun.objects.order_by("id")] == ["applied", "failed"]
    assert Child.objects.count() == 2
    from tenants.models import Classroom

    assert Classroom.objects.get(sourced_id="c1").name == "Room 3A"


def test_a_roster_for_another_district_is_refused(tmp_path):
    run_import(rf.write_zip(tmp_path / "ok.zip", rf.oneroster_11()), "maple")
    files = rf.oneroster_11()
    files["orgs.csv"][1][0] = "d2"
    files["orgs.csv"][2][6] = files["orgs.csv"][3][6] = "d2"

    report, status = import_files(tmp_path, files, "--valid-rows-only")

    assert status == 1 and report["applied"] is False
    assert report["errors"] == [
        error(
            "orgs.csv",
            None,
            "sourcedId",
            "d2",
            "this roster is for another district (district maple is d1)",
        )
    ]
