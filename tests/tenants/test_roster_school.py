"""A school admin's import (a run with a school) may only change that school: rows of another
school are located errors, and a bulk file deactivates only within the school."""

import pytest

from guardians.models import Child, Enrollment, GuardianLink
from privacy.audit import Actor
from tenants.actions import do_create_user
from tenants.models import Classroom, District, Membership, RosterImportRun, RosterPerson, School
from tenants.roster.actions import do_import_roster
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db

ONLY = "this import may only change Maple Elementary"


def error(file, line, column, value, reason=ONLY):
    return {"file": file, "line": line, "column": column, "value": value, "reason": reason}


@pytest.fixture
def maple(tmp_path):
    run_import(rf.write_zip(tmp_path / "maple.zip", rf.oneroster_11()), "maple")
    return District.objects.get(slug="maple")


def import_as_school(district, tmp_path, files, *, is_valid_rows_only=False):
    """What the upload page does for the principal of Maple Elementary."""
    principal = do_create_user(email="pam@maple.org", first_name="Pam", actor=Actor.system())
    run = RosterImportRun.objects.create(
        district=district,
        school=School.objects.get(district=district, sourced_id="s1"),
        started_by=principal,
        trigger=RosterImportRun.Trigger.UPLOAD,
        status=RosterImportRun.Status.QUEUED,
        source_format="oneroster",
        file_name="school.zip",
    )
    report = do_import_roster(
        rf.write_zip(tmp_path / "school.zip", files),
        district_slug="maple",
        is_valid_rows_only=is_valid_rows_only,
        actor=Actor(user=principal),
        run=run,
    )
    run.refresh_from_db()
    return report, run


def elementary_only():
    """Maple Elementary's own roster: its class, teacher, child and Gina (Glen is gone)."""
    files = rf.oneroster_11()
    for name, sourced_id in (
        ("orgs.csv", "s2"),
        ("classes.csv", "c2"),
        ("users.csv", "t-2"),
        ("users.csv", "st-2"),
        ("users.csv", "g-2"),
        ("enrollments.csv", "e3"),
        ("enrollments.csv", "e4"),
    ):
        rf.drop_row(files, name, sourced_id)
    rf.set_cell(files, "users.csv", "g-1", "agentSourcedIds", "st-1")
    rf.set_cell(files, "users.csv", "g-1", "orgSourcedIds", "s1")
    rf.set_cell(files, "users.csv", "st-1", "agentSourcedIds", "g-1")
    return files


def test_rows_of_another_school_are_refused_and_nothing_changes(maple, tmp_path):
    report, run = import_as_school(maple, tmp_path, rf.oneroster_11())

    assert report.errors == [
        error("orgs.csv", 4, "sourcedId", "s2"),
        error("classes.csv", 3, "schoolSourcedId", "s2"),
        error("users.csv", 3, "orgSourcedIds", "s2"),  # Tara teaches at Maple Middle only
        error("users.csv", 5, "orgSourcedIds", "s2"),  # Sol is at Maple Middle
        error("enrollments.csv", 5, "classSourcedId", "c2"),
        error("enrollments.csv", 4, "classSourcedId", "c2"),
    ]  # one error a row: Sol's row (line 5) also links Gina to him, refused with it
    assert report.is_applied is False
    assert (run.status, run.outcome, run.error_count) == ("finished", "failed", 6)


def test_a_school_cannot_grant_a_district_role_nor_add_a_school_year(maple, tmp_path):
    files = elementary_only()
    files["users.csv"].append(
        [
            "a-9",
            "active",
            "",
            "true",
            "d1",
            "administrator",
            "ava",
            "",
            "Ava",
            "Boss",
            "",
            "",
            "ava@maple.org",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    files["academicSessions.csv"].append(
        ["y2", "active", "", "2027-2028", "schoolYear", "2027-08-15", "2028-06-15", "", "2028"]
    )

    report, _run = import_as_school(maple, tmp_path, files)

    assert report.errors == [
        error(
            "academicSessions.csv",
            4,
            "sourcedId",
            "y2",
            "a new school year is added by a district import",
        ),
        error("users.csv", 5, "role", "district_admin"),
    ]
    assert report.is_applied is False


def test_a_schools_bulk_file_deactivates_only_within_the_school(maple, tmp_path):
    report, run = import_as_school(maple, tmp_path, elementary_only())

    assert report.errors == [], report.errors
    assert (run.outcome, report.is_applied) == ("applied", True)
    assert report.counts["unchanged"] == counts(
        schools=1,
        classrooms=1,
        teachers=1,
        children=1,
        guardians=1,
        guardian_links=1,
        enrollments=2,
    )
    assert report.counts["deactivated"] == counts(guardian_links=1)  # Glen and Sara
    assert report.counts["created"] == counts() and report.counts["updated"] == counts()
    # Maple Middle, which the file does not list, is as it was
    assert School.objects.get(sourced_id="s2").is_active
    assert Classroom.objects.get(sourced_id="c2").is_active
    sol = Child.objects.get(sourced_id="st-2")
    assert (sol.is_active, sol.removed_at) == (True, None)
    assert Enrollment.objects.filter(child=sol, is_active=True).count() == 1
    assert GuardianLink.objects.filter(
        child=sol, guardian__email="gina@example.com", is_active=True
    ).exists()
    assert Membership.objects.filter(
        user__email="tara@maple.org", classroom__sourced_id="c2", is_active=True
    ).exists()
    # Glen's roster record is the district's: only his link to Sara's school ended, and with it
    # his guardian role (he has no other link)
    assert RosterPerson.objects.get(sourced_id="g-2").is_active
    glen = GuardianLink.objects.get(child__sourced_id="st-1", guardian__phone="+13125550123")
    assert glen.is_active is False
    assert not Membership.objects.filter(user=glen.guardian, is_active=True).exists()


def test_valid_rows_only_applies_the_schools_own_rows(maple, tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "classes.csv", "c1", "title", "Room 3B")
    rf.set_cell(files, "classes.csv", "c2", "title", "Room 7C")

    report, run = import_as_school(maple, tmp_path, files, is_valid_rows_only=True)

    assert (report.error_count, report.is_applied, run.outcome) == (6, True, "applied")
    assert report.counts["updated"] == counts(classrooms=1)
    assert report.counts["deactivated"] == counts()
    assert sorted(Classroom.objects.values_list("sourced_id", "name")) == [
        ("c1", "Room 3B"),
        ("c2", "Room 7B"),
    ]


def test_a_schools_leaver_stays_with_the_family(maple, tmp_path):
    """Sara leaves Maple Elementary: the school's file no longer lists her nor links her, yet
    her guardians keep her (read-only) until they remove her themselves (PROMISES R4)."""
    files = elementary_only()
    rf.drop_row(files, "users.csv", "st-1")
    rf.drop_row(files, "enrollments.csv", "e2")
    rf.set_cell(files, "users.csv", "g-1", "agentSourcedIds", "")

    report, _run = import_as_school(maple, tmp_path, files)

    assert report.errors == [], report.errors
    assert report.counts["deactivated"] == counts(children=1, enrollments=1)
    sara = Child.objects.get(sourced_id="st-1")
    assert (sara.is_active, sara.removed_at is not None) == (False, True)
    assert not Enrollment.objects.filter(child=sara, is_active=True).exists()
    assert sorted(
        GuardianLink.objects.filter(child=sara, is_active=True).values_list(
            "guardian__first_name", flat=True
        )
    ) == ["Gina", "Glen"]
    for first_name in ("Gina", "Glen"):
        assert Membership.objects.filter(
            user__first_name=first_name, role="guardian", is_active=True
        ).exists()
