"""Erasure tombstones (R5, R12): the district's next roster does not bring an erased family back,
and what remembers them is a keyed hash, never their roster id."""

import re

import pytest

from guardians.models import Child, Enrollment, GuardianLink
from privacy.audit import Actor
from privacy.districts.requests import do_carry_out_now
from privacy.erasure import KEPT_ROSTER_IDS
from privacy.jobs import JOBS, run_job
from privacy.models import ErasedRosterId, PrivacyRequest
from privacy.requests import do_create_request
from privacy.tombstones import hash_roster_id
from tenants.models import District, Membership, RosterImportRun, RosterPerson, User
from tenants.roster.erased import REASON
from tenants.roster.report import Report
from tests.privacy.test_erasure import tables_holding
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts, run_import

pytestmark = pytest.mark.django_db

# Distinctive ids, so that a search of every table finds them only where they really are.
GWEN_ID, ALICE_ID = "G-QX7731", "C-QX5520"


def engage_files() -> dict:
    """Oak's Engage CSV: Gwen (GWEN_ID) is Alice's (ALICE_ID) mother; Gus is Bob's father."""
    files = rf.engage()
    renamed = {"G1": GWEN_ID, "C1": ALICE_ID}
    for name, id_columns in (
        ("children.csv", [0]),
        ("guardians.csv", [0]),
        ("links.csv", [0, 1]),
    ):
        for row in files[name][1:]:
            for index in id_columns:
                row[index] = renamed.get(row[index], row[index])
    return files


def import_engage(tmp_path, name: str) -> tuple[dict, int]:
    folder = rf.write_folder(tmp_path / name, engage_files())
    return run_import(folder, "oak", "--format", "engage")


def erase(district: District, user: User):
    do_create_request(
        district, kind=PrivacyRequest.Kind.ERASURE, requester=user, actor=Actor(user=user)
    )
    run = run_job(JOBS["erasure"], district)
    assert run.outcome == "succeeded", run.error
    return PrivacyRequest.objects.get(district=district, requester=user)


def family_state(district: District) -> dict:
    """What the other family (Gus and Bob) and the district's head counts look like."""
    bob = Child.objects.get(district=district, sourced_id="C2")
    gus = User.objects.get(phone="+14155550132")
    return {
        "users": User.objects.count(),
        "children": Child.objects.filter(district=district).count(),
        "roster_people": RosterPerson.objects.filter(district=district).count(),
        "bob": (bob.first_name, bob.last_name, bob.pupil_number, bob.is_active),
        "gus": (gus.first_name, gus.last_name, gus.is_active),
        "gus_links": list(
            GuardianLink.objects.filter(guardian=gus, is_active=True).values_list(
                "child_id", "relationship"
            )
        ),
        "bob_classes": list(
            Enrollment.objects.filter(child=bob, is_active=True).values_list(
                "classroom__sourced_id", flat=True
            )
        ),
    }


def skipped(file: str, line: int, column: str, value: str) -> dict:
    return {"file": file, "line": line, "column": column, "value": value, "reason": REASON}


def test_R5_an_erased_family_is_not_brought_back_by_the_next_roster(tmp_path):
    report, status = import_engage(tmp_path, "first")
    assert (status, report["skipped"]) == (0, [])
    district = District.objects.get(slug="oak")
    gwen = User.objects.get(email="gwen@example.com")
    alice = Child.objects.get(district=district, sourced_id=ALICE_ID)

    request = erase(district, gwen)

    assert request.certificate["counts"]["roster_ids_blocked"] == 2
    assert request.certificate["kept"][-1] == KEPT_ROSTER_IDS
    assert sorted(
        ErasedRosterId.objects.filter(district=district).values_list(
            "kind", "sourced_id_hash", "request_id"
        )
    ) == [
        ("child", hash_roster_id(district.id, ALICE_ID), request.id),
        ("person", hash_roster_id(district.id, f"guardian:{GWEN_ID}"), request.id),
    ]
    before = family_state(district)

    report, status = import_engage(tmp_path, "nightly")

    assert status == 0
    assert (report["errors"], report["error_count"], report["applied"]) == ([], 0, True)
    assert report["skipped"] == [
        skipped("children.csv", 2, "child_id", ALICE_ID),
        skipped("guardians.csv", 2, "guardian_id", GWEN_ID),
        skipped("links.csv", 2, "guardian_id", GWEN_ID),
    ]
    assert report["skipped_count"] == 3
    assert report["created"] == counts()
    assert report["updated"] == counts()
    assert report["deactivated"] == counts()
    assert report["unchanged"] == counts(
        schools=1,
        classrooms=2,
        teachers=2,
        children=1,
        guardians=1,
        guardian_links=1,
        enrollments=4,
    )
    assert family_state(district) == before
    assert not User.objects.filter(email="gwen@example.com").exists()
    assert not Child.objects.filter(district=district, sourced_id=ALICE_ID).exists()
    gwen.refresh_from_db()
    assert (gwen.email, gwen.first_name, gwen.is_active) == (
        f"erased-{gwen.id}@erased.invalid",
        "",
        False,
    )
    assert not Membership.objects.filter(user=gwen, is_active=True).exists()
    alice.refresh_from_db()
    assert (
        alice.first_name,
        alice.last_name,
        alice.pupil_number,
        alice.sourced_id,
        alice.is_active,
    ) == ("", "", "", "", False)
    assert not GuardianLink.objects.filter(child=alice).exists()
    run = RosterImportRun.objects.filter(district=district).latest("id")
    assert (run.outcome, run.error_count, run.report["skipped_count"]) == ("applied", 0, 3)


def test_R5_an_erased_family_is_not_brought_back_by_a_oneroster_file(tmp_path):
    """Gina is erased; Sol (her child alone) goes with her; Sara stays, with Glen."""
    path = rf.write_zip(tmp_path / "r.zip", rf.oneroster_11())
    run_import(path, "maple")
    district = District.objects.get(slug="maple")
    gina = User.objects.get(email="gina@example.com")
    users, children = User.objects.count(), Child.objects.filter(district=district).count()

    request = erase(district, gina)
    report, status = run_import(path, "maple")

    assert request.certificate["counts"]["roster_ids_blocked"] == 2
    assert (status, report["error_count"]) == (0, 0)
    assert report["skipped"] == [
        skipped("enrollments.csv", 4, "userSourcedId", "st-2"),
        skipped("users.csv", 4, "agentSourcedIds", "g-1"),  # Sara's row names her
        skipped("users.csv", 5, "sourcedId", "st-2"),
        skipped("users.csv", 6, "sourcedId", "g-1"),
    ]
    assert report["created"] == counts() and report["deactivated"] == counts()
    assert (User.objects.count(), Child.objects.filter(district=district).count()) == (
        users,
        children,
    )
    sara = Child.objects.get(district=district, sourced_id="st-1")
    assert list(
        GuardianLink.objects.filter(child=sara, is_active=True).values_list(
            "guardian__phone", flat=True
        )
    ) == ["+13125550123"]
    assert not Child.objects.filter(district=district, sourced_id="st-2").exists()


def test_R12_tombstones_hold_no_sourced_id(tmp_path):
    import_engage(tmp_path, "first")
    district = District.objects.get(slug="oak")
    assert tables_holding(GWEN_ID) == ["tenants.RosterPerson.sourced_id"]
    assert sorted(tables_holding(ALICE_ID)) == [
        "guardians.Child.pupil_number",
        "guardians.Child.sourced_id",
    ]

    erase(district, User.objects.get(email="gwen@example.com"))

    assert (tables_holding(GWEN_ID), tables_holding(ALICE_ID)) == ([], [])
    hashes = list(ErasedRosterId.objects.values_list("sourced_id_hash", flat=True))
    assert len(hashes) == 2 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes)
    # The hash is keyed: the same id in another district (or without the key) matches nothing.
    other = District.objects.create(name="Elm", slug="elm")
    assert hash_roster_id(other.id, ALICE_ID) not in hashes
    # The next roster's report repeats the ids as the school's file gave them, and only it.
    import_engage(tmp_path, "nightly")
    assert tables_holding(GWEN_ID) == ["tenants.RosterImportRun.report"]
    assert tables_holding(ALICE_ID) == ["tenants.RosterImportRun.report"]


def test_R5_a_district_deletion_request_keeps_the_tombstones(tmp_path):
    """The district deletes its data and goes on importing: the erased family stays out."""
    import_engage(tmp_path, "first")
    district = District.objects.get(slug="oak")
    erase(district, User.objects.get(email="gwen@example.com"))
    deletion = do_create_request(
        district, kind=PrivacyRequest.Kind.DISTRICT_DELETION, requester=None, actor=Actor.system()
    )

    assert do_carry_out_now(deletion) == "deleted"
    assert not Child.objects.filter(district=district).exists()
    assert ErasedRosterId.objects.filter(district=district).count() == 2
    report, status = import_engage(tmp_path, "after")

    assert (status, report["error_count"], report["skipped_count"]) == (0, 0, 3)
    assert report["created"]["children"] == 1  # Bob
    assert sorted(Child.objects.filter(district=district).values_list("sourced_id", flat=True)) == [
        "C2"
    ]
    assert not User.objects.filter(email="gwen@example.com").exists()


def test_a_report_stored_before_skipping_existed_still_reads():
    stored = Report().as_dict()
    del stored["skipped"], stored["skipped_count"]
    report = Report.from_dict(stored)
    assert (report.skipped, report.skipped_count) == ([], 0)
