"""The roster importer's happy paths: OneRoster 1.1 and 1.2, Engage CSV, re-import, bulk
deactivation, delta files, verified contacts, dry runs, demographics."""

import datetime

import pytest

from guardians.models import Child, Enrollment, GuardianLink
from privacy.models import AuditEvent
from tenants.models import (
    Classroom,
    District,
    Membership,
    Role,
    RosterImportRun,
    RosterPerson,
    School,
    SchoolYear,
    User,
)
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db

CREATED_11 = counts(
    schools=2, classrooms=2, teachers=2, children=2, guardians=2, guardian_links=3, enrollments=4
)


def active_memberships(user):
    return sorted(
        (m.role, m.school.name if m.school else None, m.classroom.name if m.classroom else None)
        for m in Membership.objects.filter(user=user, is_active=True).select_related(
            "school", "classroom"
        )
    )


def links_of(user):
    return sorted(
        (link.child.sourced_id, link.relationship, link.contact_role)
        for link in GuardianLink.objects.filter(guardian=user, is_active=True).select_related(
            "child"
        )
    )


def test_oneroster_11_zip_creates_the_district_and_everything_in_it(tmp_path):
    report, status = run_import(rf.write_zip(tmp_path / "r.zip", rf.oneroster_11()), "maple")

    assert status == 0
    assert report["created"] == CREATED_11
    assert report["errors"] == [] and report["warnings"] == []
    district = District.objects.get(slug="maple")
    assert (district.name, district.sourced_id) == ("Maple District", "d1")
    assert sorted(
        School.objects.filter(district=district).values_list("sourced_id", "name", "slug")
    ) == [
        ("s1", "Maple Elementary", "maple-elementary"),
        ("s2", "Maple Middle", "maple-middle"),
    ]
    year = SchoolYear.objects.get(district=district)
    assert (year.name, year.sourced_id, year.is_current) == ("2026-2027", "y1", True)
    assert (year.start_date, year.end_date) == (
        datetime.date(2026, 8, 15),
        datetime.date(2027, 6, 15),
    )
    assert sorted(
        Classroom.objects.filter(district=district).values_list(
            "sourced_id", "name", "grade_level", "school__sourced_id", "school_year_id"
        )
    ) == [("c1", "Room 3A", "03", "s1", year.id), ("c2", "Room 7B", "07", "s2", year.id)]

    terry = User.objects.get(email="terry@maple.org")
    assert (terry.first_name, terry.last_name) == ("Terry", "Teach")
    assert not terry.has_usable_password()  # the file's password column is never read
    assert active_memberships(terry) == [("teacher", "Maple Elementary", "Room 3A")]

    sara = Child.objects.get(district=district, sourced_id="st-1")
    assert (
        sara.first_name,
        sara.last_name,
        sara.pupil_number,
        sara.grade_level,
        sara.school.sourced_id,
    ) == ("Sara", "Stone", "P100", "03", "s1")
    assert sara.birth_date is None
    assert list(
        Enrollment.objects.filter(child=sara, is_active=True).values_list(
            "classroom__sourced_id", "school__sourced_id"
        )
    ) == [("c1", "s1")]

    gina = User.objects.get(email="gina@example.com")
    assert (gina.phone, gina.phone_verified, gina.email_verified) == ("+12025550147", False, False)
    assert links_of(gina) == [("st-1", "parent", "primary"), ("st-2", "parent", "primary")]
    assert active_memberships(gina) == [("guardian", None, None)]
    glen = User.objects.get(phone="+13125550123")
    assert (glen.email, links_of(glen)) == (None, [("st-1", "carer", "primary")])
    assert sorted(
        RosterPerson.objects.filter(district=district).values_list("sourced_id", flat=True)
    ) == ["g-1", "g-2", "t-1", "t-2"]

    run = RosterImportRun.objects.get(district=district)
    assert (run.outcome, run.source_format, run.error_count) == ("applied", "oneroster", 0)
    assert len(run.file_sha256) == 64 and run.counts["created"] == CREATED_11
    assert list(
        AuditEvent.objects.filter(district=district).values_list("action", flat=True).order_by("id")
    ) == ["district.created", "roster.imported"]


def test_reimporting_the_same_files_changes_nothing(tmp_path):
    path = rf.write_zip(tmp_path / "r.zip", rf.oneroster_11())
    run_import(path, "maple")
    before = [
        m.objects.count() for m in (User, Child, Enrollment, GuardianLink, Membership, Classroom)
    ]

    report, status = run_import(path, "maple")

    assert status == 0
    assert report["unchanged"] == CREATED_11
    for outcome in ("created", "updated", "deactivated"):
        assert report[outcome] == counts()
    assert [
        m.objects.count() for m in (User, Child, Enrollment, GuardianLink, Membership, Classroom)
    ] == before


def test_the_report_is_one_json_object_of_the_documented_shape(tmp_path):
    report, _status = run_import(rf.write_folder(tmp_path / "r", rf.oneroster_11()), "maple")

    assert set(report) == {
        "created",
        "updated",
        "unchanged",
        "deactivated",
        "errors",
        "error_count",
        "warnings",
        "skipped",
        "skipped_count",
        "changed_by_families",
        "dry_run",
        "applied",
    }
    for outcome in ("created", "updated", "unchanged", "deactivated"):
        assert list(report[outcome]) == [
            "schools",
            "classrooms",
            "teachers",
            "children",
            "guardians",
            "guardian_links",
            "enrollments",
        ]
    assert (report["dry_run"], report["applied"], report["error_count"]) == (False, True, 0)


def test_oneroster_12_roles_preferred_names_and_administrators(tmp_path):
    report, status = run_import(rf.write_zip(tmp_path / "r.zip", rf.oneroster_12()), "maple")

    assert status == 0, report["errors"]
    assert report["created"] == counts(
        schools=2,
        classrooms=2,
        teachers=4,
        children=2,
        guardians=2,
        guardian_links=3,
        enrollments=6,
    )
    assert active_memberships(User.objects.get(email="amy@maple.org")) == [
        ("district_admin", None, None)
    ]
    assert active_memberships(User.objects.get(email="pat@maple.org")) == [
        ("school_admin", "Maple Middle", None)
    ]
    # Tara teaches at one school and is a parent at another: one person, one account
    tara = User.objects.get(email="tara@maple.org")
    assert active_memberships(tara) == [("teacher", "Maple Middle", "Room 7B")]
    sol = Child.objects.get(sourced_id="st-2")
    assert (sol.preferred_name, sol.display_name) == ("Sunny", "Sunny Stone")
    assert links_of(User.objects.get(phone="+13125550123")) == [("st-1", "carer", "primary")]

    again, _ = run_import(rf.write_zip(tmp_path / "r.zip", rf.oneroster_12()), "maple")
    assert again["created"] == counts() and again["updated"] == counts()


def test_engage_format_creates_the_district_from_the_slug(tmp_path):
    report, status = run_import(
        rf.write_folder(tmp_path / "e", rf.engage()), "oak-trust", "--format", "engage"
    )

    assert status == 0, report["errors"]
    assert report["created"] == counts(
        schools=1,
        classrooms=2,
        teachers=2,
        children=2,
        guardians=2,
        guardian_links=2,
        enrollments=5,
    )
    district = District.objects.get(slug="oak-trust")
    assert district.name == "Oak Trust"
    year = SchoolYear.objects.get(district=district)
    assert year.is_current
    assert sorted(
        Classroom.objects.filter(district=district).values_list(
            "sourced_id", "name", "grade_level", "school__name"
        )
    ) == [("Y3", "Year 3", "03", "Oak Primary"), ("Y4", "Year 4", "04", "Oak Primary")]
    assert active_memberships(User.objects.get(email="terry@oak.org")) == [
        ("teacher", "Oak Primary", "Year 3"),
        ("teacher", "Oak Primary", "Year 4"),
    ]
    assert active_memberships(User.objects.get(email="hana@oak.org")) == [
        ("school_admin", "Oak Primary", None)
    ]
    alice = Child.objects.get(district=district, sourced_id="C1")
    assert (alice.display_name, alice.pupil_number, alice.birth_date) == ("Ali Ash", "C1", None)
    gwen = User.objects.get(email="gwen@example.com")
    assert (gwen.phone, gwen.preferred_language) == ("+12025550199", "es")
    assert links_of(gwen) == [("C1", "mother", "primary")]
    assert links_of(User.objects.get(phone="+14155550132")) == [("C2", "father", "primary")]
    assert sorted(
        RosterPerson.objects.filter(district=district).values_list("sourced_id", flat=True)
    ) == ["guardian:G1", "guardian:G2", "staff:H1", "staff:T1"]


def test_a_bulk_file_deactivates_what_it_no_longer_lists(tmp_path):
    files = rf.oneroster_11()
    run_import(rf.write_zip(tmp_path / "1.zip", files), "maple")
    rf.drop_row(files, "users.csv", "st-2")
    rf.drop_row(files, "users.csv", "g-2")
    rf.drop_row(files, "enrollments.csv", "e3")
    rf.set_cell(files, "users.csv", "g-1", "agentSourcedIds", "st-1")
    rf.set_cell(files, "users.csv", "st-1", "agentSourcedIds", "g-1")

    report, status = run_import(rf.write_zip(tmp_path / "2.zip", files), "maple")

    assert status == 0, report["errors"]
    # Glen's link to Sara ends with Glen; Gina's to Sol stays with Sol (below)
    assert report["deactivated"] == counts(children=1, guardians=1, guardian_links=1, enrollments=1)
    assert report["created"] == counts() and report["updated"] == counts()
    sol = Child.objects.get(sourced_id="st-2")
    assert sol.is_active is False  # deactivated, never deleted
    assert not Enrollment.objects.filter(child=sol, is_active=True).exists()
    glen = User.objects.get(phone="+13125550123")
    assert glen.is_active  # the account spans districts; the district's roster entry ends
    assert RosterPerson.objects.get(sourced_id="g-2").is_active is False
    assert links_of(glen) == [] and active_memberships(glen) == []
    gina = User.objects.get(email="gina@example.com")
    # a child the school removed stays with the family though the file no longer links them
    # (PROMISES R4): Gina keeps Sol until she removes him from her account
    assert links_of(gina) == [("st-1", "parent", "primary"), ("st-2", "parent", "primary")]
    assert active_memberships(gina) == [("guardian", None, None)]
    assert (
        Membership.objects.filter(user=glen, role=Role.GUARDIAN, revoked_at__isnull=False).count()
        == 1
    )

    # Sol comes back: reactivated and enrolled again, with the same record and the same link
    back, _ = run_import(rf.write_zip(tmp_path / "1b.zip", rf.oneroster_11()), "maple")
    assert back["updated"]["children"] == 1 and back["created"]["enrollments"] == 1
    assert back["created"]["guardian_links"] == 1  # Glen's to Sara, as he is listed again
    assert Child.objects.get(sourced_id="st-2").is_active is True
    assert links_of(gina) == [("st-1", "parent", "primary"), ("st-2", "parent", "primary")]
    assert GuardianLink.objects.filter(guardian=gina, child=sol).count() == 1


def test_a_delta_file_changes_only_its_rows(tmp_path):
    run_import(rf.write_zip(tmp_path / "1.zip", rf.oneroster_11()), "maple")
    users = [rf.USERS_11[0], list(rf.USERS_11[1]), list(rf.USERS_11[4])]
    users[1][9] = "Terrence"  # familyName of t-1
    users[2][1] = "tobedeleted"  # st-2
    enrollments = [rf.ENROLLMENTS[0], list(rf.ENROLLMENTS[3])]
    enrollments[1][1] = "tobedeleted"  # e3: st-2 in c2
    files = {
        "manifest.csv": rf.manifest(
            "1.1",
            {
                "orgs": "absent",
                "academicSessions": "absent",
                "classes": "absent",
                "users": "delta",
                "enrollments": "delta",
            },
        ),
        "users.csv": users,
        "enrollments.csv": enrollments,
    }

    report, status = run_import(rf.write_zip(tmp_path / "2.zip", files), "maple")

    assert status == 0, report["errors"]
    assert report["updated"] == counts(teachers=1)
    # Sol's link to Gina stays: the family keeps a child the school removed (PROMISES R4)
    assert report["deactivated"] == counts(children=1, enrollments=1)
    assert report["created"] == counts()
    assert User.objects.get(email="terry@maple.org").last_name == "Terrence"
    assert Child.objects.get(sourced_id="st-2").is_active is False
    assert links_of(User.objects.get(email="gina@example.com"))[1][0] == "st-2"
    assert Child.objects.get(sourced_id="st-1").is_active is True
    assert Classroom.objects.filter(sourced_id__in=["c1", "c2"], is_active=True).count() == 2


def test_contacts_a_family_verified_are_kept_and_reported(tmp_path):
    path = rf.write_zip(tmp_path / "r.zip", rf.oneroster_11())
    run_import(path, "maple")
    # the family confirmed new contacts (the verification flows themselves are tested elsewhere)
    User.objects.filter(email="gina@example.com").update(
        email="gina.new@example.com", email_verified=True, phone="+12025550199", phone_verified=True
    )
    User.objects.filter(phone="+13125550123").update(phone="+14155550132")  # not verified

    report, status = run_import(path, "maple")

    assert status == 0
    assert report["changed_by_families"] == [
        {
            "sourced_id": "g-1",
            "field": "email",
            "roster_value": "gina@example.com",
            "family_value": "gina.new@example.com",
        },
        {
            "sourced_id": "g-1",
            "field": "phone",
            "roster_value": "+12025550147",
            "family_value": "+12025550199",
        },
    ]
    assert report["updated"] == counts(guardians=1)
    gina = User.objects.get(email="gina.new@example.com")
    assert gina.phone == "+12025550199"
    assert User.objects.filter(phone="+13125550123").exists()  # unverified: the school's value


def test_dry_run_reports_without_writing(tmp_path):
    path = rf.write_zip(tmp_path / "r.zip", rf.oneroster_11())

    report, status = run_import(path, "maple", "--dry-run")

    assert status == 0
    assert report["created"] == CREATED_11
    assert (report["dry_run"], report["applied"]) == (True, False)
    assert not District.objects.filter(slug="maple").exists()
    assert (User.objects.count(), Child.objects.count(), RosterImportRun.objects.count()) == (
        0,
        0,
        0,
    )
    assert AuditEvent.objects.count() == 0


def test_dry_run_on_an_existing_district_shows_the_changes(tmp_path):
    files = rf.oneroster_11()
    run_import(rf.write_zip(tmp_path / "1.zip", files), "maple")
    rf.set_cell(files, "classes.csv", "c1", "title", "Room 3B")
    runs = RosterImportRun.objects.count()

    report, _ = run_import(rf.write_zip(tmp_path / "2.zip", files), "maple", "--dry-run")

    assert report["updated"] == counts(classrooms=1)
    assert Classroom.objects.get(sourced_id="c1").name == "Room 3A"
    assert RosterImportRun.objects.count() == runs


def test_demographics_only_when_the_district_turns_them_on(tmp_path):
    files = rf.oneroster_11()
    files["demographics.csv"] = rf.DEMOGRAPHICS
    files["manifest.csv"] = [
        row if row[0] != "file.demographics" else ["file.demographics", "bulk"]
        for row in files["manifest.csv"]
    ]
    path = rf.write_zip(tmp_path / "r.zip", files)
    run_import(path, "maple")
    assert Child.objects.get(sourced_id="st-1").birth_date is None

    District.objects.filter(slug="maple").update(is_roster_birth_date_imported=True)
    report, _ = run_import(path, "maple")

    assert report["updated"] == counts(children=1)
    assert Child.objects.get(sourced_id="st-1").birth_date == datetime.date(2018, 4, 2)


def test_formula_cells_are_stored_as_text(tmp_path):
    files = rf.oneroster_11()
    rf.set_cell(files, "users.csv", "st-1", "givenName", '=HYPERLINK("http://evil")')
    rf.set_cell(files, "classes.csv", "c1", "title", "@Room")

    report, status = run_import(rf.write_zip(tmp_path / "r.zip", files), "maple")

    assert status == 0, report["errors"]
    assert Child.objects.get(sourced_id="st-1").first_name == '=HYPERLINK("http://evil")'
    assert Classroom.objects.get(sourced_id="c1").name == "@Room"


def test_an_import_into_a_district_with_hand_made_rows_leaves_them_alone(world, tmp_path):
    files = rf.engage()
    rf.set_cell(files, "guardians.csv", "G1", "email", "ana@example.org")  # an existing account

    report, status = run_import(
        rf.write_folder(tmp_path / "e", files), "lakeside", "--format", "engage"
    )

    assert status == 0, report["errors"]
    assert report["deactivated"] == counts()
    ana = world.ana
    assert sorted(link[0] for link in links_of(ana)) == ["", "", "C1"]  # Mia and Leo, plus Alice
    assert User.objects.filter(email="ana@example.org").count() == 1
    assert active_memberships(world.tom) == [("teacher", "Lakeside Elementary", "Room 1")]
    assert Enrollment.objects.filter(child=world.mia, is_active=True).count() == 1
    # the district's current year is used for Engage classrooms
    assert Classroom.objects.get(sourced_id="Y3").school_year.name == "2026-2027"

    again, _ = run_import(rf.write_folder(tmp_path / "e", files), "lakeside", "--format", "engage")
    assert again["deactivated"] == counts() and again["created"] == counts()


def test_the_downloadable_engage_template_imports(tmp_path, settings):
    template = settings.BASE_DIR / "static" / "roster"

    report, status = run_import(template, "template-check", "--format", "engage", "--dry-run")

    assert status == 0, report["errors"]
    assert report["created"] == counts(
        schools=1,
        classrooms=1,
        teachers=2,
        children=1,
        guardians=1,
        guardian_links=1,
        enrollments=3,
    )
