"""Year-end rollover: next year's roster makes its year current, promotes children into new
classrooms, removes leavers (removed_at starts the privacy timers), ends last year's teaching and
keeps last year's classrooms and enrollments as history."""

import datetime

import pytest
import time_machine

from guardians.models import Child, Enrollment, GuardianLink
from guardians.queries.family import list_children_for_guardian
from tenants.models import Classroom, Membership, Role, RosterPerson, SchoolYear, User
from tenants.scope import list_scopes_for_user
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
FIRST_DAY = datetime.datetime(2026, 9, 1, 12, tzinfo=UTC)
SUMMER = datetime.datetime(2027, 7, 20, 12, tzinfo=UTC)  # 2026-2027 ended on June 15


def next_year_files():
    """Maple's 2027-2028 roster: Sara moves up to Room 4A, Sam joins Room 3A (the class keeps
    its id), Sol and Tara have left, Rita is Sam's parent."""
    files = rf.oneroster_11()
    files["academicSessions.csv"] = [
        rf.SESSIONS[0],
        ["y2", "active", "", "2027-2028", "schoolYear", "2027-08-15", "2028-06-15", "", "2028"],
        ["t2", "active", "", "Fall 2027", "semester", "2027-08-15", "2027-12-20", "y2", "2028"],
    ]
    rf.drop_row(files, "classes.csv", "c2")
    rf.set_cell(files, "classes.csv", "c1", "termSourcedIds", "t2")
    files["classes.csv"].append(
        ["c3", "active", "", "Room 4A", "04", "k3", "4A", "homeroom", "", "s1", "t2", ""]
    )
    for sourced_id in ("t-2", "st-2"):
        rf.drop_row(files, "users.csv", sourced_id)
    rf.set_cell(files, "users.csv", "st-1", "grades", "04")
    rf.set_cell(files, "users.csv", "g-1", "agentSourcedIds", "st-1")
    sam = ["st-3", "active", "", "true", "s1", "student", "sam", "", "Sam", "Reed", ""]
    rita = ["g-3", "active", "", "true", "s1", "parent", "rita", "", "Rita", "Reed", ""]
    # then identifier, email, sms, phone, agentSourcedIds, grades, password
    files["users.csv"] += [
        [*sam, "P300", "", "", "", "g-3", "03", ""],
        [*rita, "", "rita@example.com", "", "", "st-3", "", ""],
    ]
    files["enrollments.csv"] = [
        rf.ENROLLMENTS[0],
        ["e11", "active", "", "c3", "s1", "t-1", "teacher", "true", "", ""],
        ["e12", "active", "", "c1", "s1", "t-1", "teacher", "true", "", ""],
        ["e13", "active", "", "c3", "s1", "st-1", "student", "false", "", ""],
        ["e14", "active", "", "c1", "s1", "st-3", "student", "false", "", ""],
    ]
    return files


def import_at(moment, tmp_path, files, name, district="maple", *options):
    with time_machine.travel(moment, tick=False):
        return run_import(rf.write_zip(tmp_path / name, files), district, *options)


def years():
    return list(SchoolYear.objects.order_by("start_date").values_list("name", "is_current"))


def classrooms():
    return sorted(
        Classroom.objects.values_list("sourced_id", "name", "school_year__name", "is_active")
    )


def enrollments_of(sourced_id):
    return sorted(
        Enrollment.objects.filter(child__sourced_id=sourced_id).values_list(
            "classroom__name", "classroom__school_year__name", "is_active"
        )
    )


def teaching_of(email):
    return sorted(
        Membership.objects.filter(user__email=email, role=Role.TEACHER, is_active=True).values_list(
            "classroom__name", "classroom__school_year__name"
        )
    )


def family_home_classrooms(email):
    """What the family home lists: each child with their current-year classrooms."""
    guardian = User.objects.get(email=email)
    scope = next(s for s in list_scopes_for_user(guardian) if s.role == Role.GUARDIAN)
    return [
        (child.first_name, [e.classroom.name for e in child.current_enrollments])
        for child in list_children_for_guardian(scope)
    ]


@pytest.fixture
def last_year(tmp_path):
    """Maple as its 2026-2027 roster made it, on the first day of school."""
    report, status = import_at(FIRST_DAY, tmp_path, rf.oneroster_11(), "2026.zip")
    assert status == 0, report["errors"]
    assert family_home_classrooms("gina@example.com") == [
        ("Sara", ["Room 3A"]),
        ("Sol", ["Room 7B"]),
    ]


def test_a_summer_rollover_promotes_removes_leavers_and_keeps_last_year(last_year, tmp_path):
    report, status = import_at(SUMMER, tmp_path, next_year_files(), "2027.zip")

    assert status == 0, report["errors"]
    # Room 3A of 2027-2028 is a new classroom: last year's Room 3A keeps last year's class
    assert report["created"] == counts(
        classrooms=2, children=1, guardians=1, guardian_links=1, enrollments=4
    )
    assert report["updated"] == counts(children=1)  # Sara's grade
    assert report["unchanged"] == counts(schools=2, teachers=1, guardians=2, guardian_links=2)
    # last year's classrooms are not removals; Terry's and Tara's teaching of them ends; Sol
    # keeps his link to Gina (PROMISES R4)
    assert report["deactivated"] == counts(teachers=1, children=1, enrollments=2)
    assert years() == [("2026-2027", False), ("2027-2028", True)]
    assert classrooms() == [
        ("c1", "Room 3A", "2026-2027", True),
        ("c1", "Room 3A", "2027-2028", True),
        ("c2", "Room 7B", "2026-2027", True),
        ("c3", "Room 4A", "2027-2028", True),
    ]
    sara = Child.objects.get(sourced_id="st-1")
    assert (sara.grade_level, sara.is_active, sara.removed_at) == ("04", True, None)
    assert enrollments_of("st-1") == [
        ("Room 3A", "2026-2027", True),  # history
        ("Room 4A", "2027-2028", True),
    ]
    sol = Child.objects.get(sourced_id="st-2")
    assert (sol.is_active, sol.removed_at) == (False, SUMMER)  # a leaver: timers start here
    assert enrollments_of("st-2") == [("Room 7B", "2026-2027", True)]  # history
    # the family keeps the leaver, read-only, until they remove him themselves (PROMISES R4)
    assert list(
        GuardianLink.objects.filter(child=sol, is_active=True).values_list(
            "guardian__email", flat=True
        )
    ) == ["gina@example.com"]
    assert enrollments_of("st-3") == [("Room 3A", "2027-2028", True)]
    assert teaching_of("terry@maple.org") == [
        ("Room 3A", "2027-2028"),
        ("Room 4A", "2027-2028"),
    ]
    assert teaching_of("tara@maple.org") == []
    assert RosterPerson.objects.get(sourced_id="t-2").is_active is False
    assert family_home_classrooms("gina@example.com") == [("Sara", ["Room 4A"]), ("Sol", [])]
    assert family_home_classrooms("rita@example.com") == [("Sam", ["Room 3A"])]


def test_the_same_rollover_again_changes_nothing(last_year, tmp_path):
    import_at(SUMMER, tmp_path, next_year_files(), "2027.zip")

    again, status = import_at(
        SUMMER + datetime.timedelta(days=1), tmp_path, next_year_files(), "2027b.zip"
    )

    assert status == 0, again["errors"]
    for outcome in ("created", "updated", "deactivated"):
        assert again[outcome] == counts(), outcome
    assert again["unchanged"] == counts(
        schools=2,
        classrooms=2,
        teachers=1,
        children=2,
        guardians=3,
        guardian_links=3,
        enrollments=4,
    )
    assert Child.objects.get(sourced_id="st-2").removed_at == SUMMER


def test_next_years_roster_before_this_year_ends_waits_for_it(last_year, tmp_path):
    june = datetime.datetime(2027, 6, 1, 12, tzinfo=UTC)  # 2026-2027 runs until June 15

    early, _ = import_at(june, tmp_path, next_year_files(), "early.zip")

    assert years() == [("2026-2027", True), ("2027-2028", False)]
    # Terry still teaches this year's Room 3A; Tara has left the roster; Sol too (his family
    # keeps him: PROMISES R4)
    assert early["deactivated"] == counts(teachers=1, children=1, enrollments=1)
    assert teaching_of("terry@maple.org") == [
        ("Room 3A", "2026-2027"),
        ("Room 3A", "2027-2028"),
        ("Room 4A", "2027-2028"),
    ]
    assert family_home_classrooms("gina@example.com") == [("Sara", ["Room 3A"]), ("Sol", [])]

    nightly, _ = import_at(SUMMER, tmp_path, next_year_files(), "nightly.zip")

    assert years() == [("2026-2027", False), ("2027-2028", True)]
    assert nightly["deactivated"] == counts(enrollments=1)  # Terry's 2026-2027 Room 3A
    assert nightly["created"] == counts() and nightly["updated"] == counts()
    assert teaching_of("terry@maple.org") == [("Room 3A", "2027-2028"), ("Room 4A", "2027-2028")]
    assert family_home_classrooms("gina@example.com") == [("Sara", ["Room 4A"]), ("Sol", [])]


def test_a_leaver_who_comes_back_is_no_longer_removed(last_year, tmp_path):
    import_at(SUMMER, tmp_path, next_year_files(), "2027.zip")
    files = next_year_files()
    files["users.csv"].append(list(rf.USERS_11[4]))  # Sol, back at Maple Middle
    files["classes.csv"].append(
        ["c4", "active", "", "Room 8B", "08", "k4", "8B", "homeroom", "", "s2", "t2", ""]
    )
    files["enrollments.csv"].append(
        ["e15", "active", "", "c4", "s2", "st-2", "student", "false", "", ""]
    )

    report, status = import_at(SUMMER + datetime.timedelta(days=30), tmp_path, files, "back.zip")

    assert status == 0, report["errors"]
    assert report["updated"] == counts(children=1)
    # the link the family kept while he was away is the one the file names: not made again
    assert report["created"]["guardian_links"] == 0
    assert report["unchanged"]["guardian_links"] == 4
    sol = Child.objects.get(sourced_id="st-2")
    assert (sol.is_active, sol.removed_at) == (True, None)
    assert GuardianLink.objects.filter(child=sol).count() == 1
    assert family_home_classrooms("gina@example.com") == [
        ("Sara", ["Room 4A"]),
        ("Sol", ["Room 8B"]),
    ]
    assert enrollments_of("st-2") == [
        ("Room 7B", "2026-2027", True),
        ("Room 8B", "2027-2028", True),
    ]


def test_an_engage_csv_rollover_starts_the_next_year(tmp_path):
    import_at(FIRST_DAY, tmp_path, rf.engage(), "2026.zip", "oak-trust", "--format", "engage")
    assert years() == [("2026-2027", True)]
    files = rf.engage()
    files["children.csv"] = [
        files["children.csv"][0],
        ["C1", "Alice", "Ash", "Ali", "OAK", "Oak Primary", "Y4", "Year 4", "04", ""],
        ["C3", "Cy", "Cedar", "", "OAK", "Oak Primary", "Y3", "Year 3", "03", ""],
    ]
    files["guardians.csv"] = [
        files["guardians.csv"][0],
        files["guardians.csv"][1],
        ["G3", "Cora", "Cedar", "cora@example.com", "", ""],
    ]
    files["links.csv"] = [files["links.csv"][0], files["links.csv"][1], ["G3", "C3", "", ""]]
    august = datetime.datetime(2027, 8, 10, 12, tzinfo=UTC)  # 2026-2027 ended on July 31

    report, status = import_at(
        august, tmp_path, files, "2027.zip", "oak-trust", "--format", "engage"
    )

    assert status == 0, report["errors"]
    assert years() == [("2026-2027", False), ("2027-2028", True)]
    assert SchoolYear.objects.get(is_current=True).start_date == datetime.date(2027, 8, 1)
    assert classrooms() == [
        ("Y3", "Year 3", "2026-2027", True),
        ("Y3", "Year 3", "2027-2028", True),
        ("Y4", "Year 4", "2026-2027", True),
        ("Y4", "Year 4", "2027-2028", True),
    ]
    assert report["created"] == counts(
        classrooms=2, children=1, guardians=1, guardian_links=1, enrollments=4
    )
    assert report["updated"] == counts(children=1)
    # C2 has left with G2, who keeps C2 on their account (PROMISES R4)
    assert report["deactivated"] == counts(children=1, guardians=1, enrollments=2)
    assert enrollments_of("C1") == [("Year 3", "2026-2027", True), ("Year 4", "2027-2028", True)]
    assert Child.objects.get(sourced_id="C2").removed_at == august
    assert teaching_of("terry@oak.org") == [("Year 3", "2027-2028"), ("Year 4", "2027-2028")]


def test_a_roster_that_also_lists_last_year_keeps_it_as_history(tmp_path):
    files = rf.oneroster_11()
    files["academicSessions.csv"] += [
        ["y0", "active", "", "2025-2026", "schoolYear", "2025-08-15", "2026-06-15", "", "2026"],
    ]
    files["classes.csv"].append(
        ["c0", "active", "", "Room 2A", "02", "k0", "2A", "homeroom", "", "s1", "y0", ""]
    )
    files["enrollments.csv"] += [
        ["e5", "active", "", "c0", "s1", "t-1", "teacher", "true", "", ""],
        ["e6", "active", "", "c0", "s1", "st-1", "student", "false", "", ""],
    ]

    report, status = import_at(FIRST_DAY, tmp_path, files, "both.zip")

    assert status == 0, report["errors"]
    assert years() == [("2025-2026", False), ("2026-2027", True)]
    # Sara was in Room 2A last year; Terry does not teach a past year's class
    assert report["created"]["enrollments"] == 5
    assert enrollments_of("st-1") == [
        ("Room 2A", "2025-2026", True),
        ("Room 3A", "2026-2027", True),
    ]
    assert teaching_of("terry@maple.org") == [("Room 3A", "2026-2027")]

    again, _ = import_at(FIRST_DAY, tmp_path, files, "both2.zip")

    for outcome in ("created", "updated", "deactivated"):
        assert again[outcome] == counts(), outcome


def test_a_class_this_years_roster_drops_is_deactivated_not_history(last_year, tmp_path):
    files = rf.oneroster_11()
    rf.drop_row(files, "classes.csv", "c2")
    for sourced_id in ("e3", "e4"):
        rf.drop_row(files, "enrollments.csv", sourced_id)

    report, status = import_at(FIRST_DAY, tmp_path, files, "dropped.zip")

    assert status == 0, report["errors"]
    assert report["deactivated"] == counts(classrooms=1, enrollments=2)
    assert ("c2", "Room 7B", "2026-2027", False) in classrooms()
    assert enrollments_of("st-2") == [("Room 7B", "2026-2027", False)]
