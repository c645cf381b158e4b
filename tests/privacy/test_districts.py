"""A school's or a district's data as a whole: deletion requests (R7), the contract's end (R8) and
the inactive-district backstop (R9), with frozen time at each boundary, the other district checked
row by row, and a deletion killed half-way that a rerun finishes."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from activities import media
from activities.actions.authoring import TargetSpec, do_create_activity, do_publish_activity
from activities.models import Activity, Submission, SubmissionPhoto
from guardians.models import Child, GuardianLink
from notifications import fanout
from notifications.actions import do_queue_message, do_send_announcement
from notifications.models import Delivery, Message, OutboxEntry
from privacy.actions import do_record_consents
from privacy.audit import Actor
from privacy.classification import our_models
from privacy.districts import deletion
from privacy.districts.contract import DISPOSAL_JOB
from privacy.districts.deletion import _district_field
from privacy.districts.requests import do_request_deletion
from privacy.jobs import run_all
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, LifecycleTimer, PrivacyRequest, RetentionRun
from tenants.models import District, Membership, School, User
from tests.activities.helpers import scope_of, task_for
from tests.activities.test_media import image_upload, private_storage, submit

__all__ = ["private_storage"]

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)
FRIDAY = datetime.datetime(2027, 1, 8, 15, 0, tzinfo=UTC)
T0 = datetime.datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # a Monday


def travel(moment):
    return time_machine.travel(moment, tick=False)


def run_districts(moment) -> dict[str, RetentionRun]:
    """The daily retention run of the "districts" job at `moment`: {district slug: its run}."""
    slugs = dict(District.objects.values_list("id", "slug"))
    with travel(moment):
        runs = run_all(now=moment, job_names=["districts"])
    for run in runs:
        run.refresh_from_db()  # a disposal leaves its own run without a district
    return {slugs[run.district_id] if run.district_id else "disposed": run for run in runs}


def snapshot(district_id: int) -> dict:
    """Every row of every table of the district, and every account holding a role there (the
    retention runs aside: each run writes its own record)."""
    rows = {}
    for model in our_models():
        if _district_field(model) is not None and model is not RetentionRun:
            rows[model._meta.label] = list(
                model._base_manager.filter(district_id=district_id).order_by("id").values()
            )
    people = Membership.objects.filter(district_id=district_id).values("user_id")
    rows["accounts"] = list(User.objects.filter(id__in=people).order_by("id").values())
    return rows


def stored(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def busy(world, private_storage, django_capture_on_commit_callbacks):
    """Both districts at work: photo submissions (files in storage), messages fanned out to
    deliveries, an archived submission, consents; Hillcrest the same on its side."""
    do_record_consents(
        world.ben,
        world.lakeside,
        is_policy_accepted=True,
        choices={},
        source="join",
        actor=Actor(user=world.ben),
    )
    do_record_consents(
        world.dee,
        world.hillcrest,
        is_policy_accepted=True,
        choices={},
        source="join",
        actor=Actor(user=world.dee),
    )
    task = task_for(world)  # Priya's photo task for Lakeside Elementary
    submit(world, [image_upload("mia.png")], activity=task)
    submit(world, [image_upload("noah.png")], guardian=world.ben, child=world.noah, activity=task)
    draft = submit(
        world,
        [],
        guardian=world.ben,
        child=world.noah,
        activity=task_for(world, response=Activity.Response.TEXT),
        text="to be deleted",
    )
    do_delete_with_restore(
        draft,
        kind=Archive.Kind.SUBMISSION,
        district_id=world.lakeside.id,
        school_id=draft.school_id,
        actor=Actor(user=world.priya),
        reason="duplicate",
    )
    hill_task = do_publish_activity(
        do_create_activity(
            scope_of(world.hope),
            kind=Activity.Kind.TASK,
            title="Draw a map",
            instructions="A photo of the map.",
            targets=[TargetSpec(school=world.b1)],
            response=Activity.Response.PHOTO,
            actor=Actor(user=world.hope),
        ),
        actor=Actor(user=world.hope),
    )
    submit(
        world, [image_upload("zoe.png")], guardian=world.dee, child=world.zoe, activity=hill_task
    )
    for photo_id in SubmissionPhoto.objects.values_list("id", flat=True):
        media.process_photo(photo_id)
    for scope, school in ((scope_of(world.priya), world.a1), (scope_of(world.hope), world.b1)):
        message = do_send_announcement(
            scope,
            audience={"type": "schools", "ids": [school.id]},
            content={"en": {"subject": "Picnic", "body": "Picnic on Friday."}},
            channels=["email"],
            actor=Actor(user=scope.user),
        )
        fanout.fan_out(message.id)
    return world


def request_deletion(client, login, world, school: School | None):
    login(world.dana)
    what = school.name if school else world.lakeside.name
    target = str(school.id) if school else "district"
    return client.post(
        reverse("privacy:district_data"), {"target": target, "confirm": what.upper()}
    )


# --- R7: deletion requests -------------------------------------------------------------------


def test_R7_14_business_days_skipping_weekends(world, client, login):
    with travel(FRIDAY):
        response = request_deletion(client, login, world, world.a1)
    assert response.status_code == 302
    request = PrivacyRequest.objects.get(kind="school_deletion")
    assert (request.school_id, request.requester_id) == (world.a1.id, world.dana.id)
    assert request.created_at == FRIDAY
    # 14 working days from a Friday: the Thursday three weeks later (two weekends skipped).
    assert request.due_at == datetime.datetime(2027, 1, 28, 15, 0, tzinfo=UTC)
    assert request.due_at.weekday() == 3
    timer = LifecycleTimer.objects.get(subject_type="privacy.privacyrequest")
    assert (timer.kind, timer.subject_id, timer.due_at, timer.school_id) == (
        "request_due",
        request.id,
        FRIDAY,
        None,
    )


def test_R7_confirmed_within_10_days_with_a_certificate(busy, client, login, private_storage):
    world = busy
    hillcrest_before = snapshot(world.hillcrest.id)
    files_before = stored(private_storage)
    with travel(FRIDAY):
        request_deletion(client, login, world, world.a1)
    request = PrivacyRequest.objects.get(kind="school_deletion")

    run = run_districts(FRIDAY + DAY)["lakeside"]  # Saturday's run

    assert run.outcome == "succeeded", run.error
    assert run.counts == {"request_due:deleted": 1}
    request.refresh_from_db()
    assert request.status == "done"
    assert request.completed_at - request.created_at <= datetime.timedelta(days=10)
    certificate = request.certificate
    assert certificate["counts"] == EXPECTED_SCHOOL_COUNTS
    assert (certificate["accounts_deleted"], certificate["accounts_kept"]) == (6, 2)
    assert certificate["files"] == 4  # Mia's and Noah's photos, each with its thumbnail
    assert certificate["school"] == "Lakeside Elementary"
    assert certificate["job"] == "districts"
    assert certificate["confirm_by"] == "2027-01-18T15:00:00+00:00"
    assert "progress" not in certificate
    assert set(certificate["categories"]) >= {"identity", "contact", "student_record", "content"}
    # The confirmation: a privacy notice to the district admin, queued the same day.
    notice = Message.objects.get(kind="privacy_notice")
    assert notice.audience == {"type": "people", "ids": [world.dana.id]}
    assert notice.created_at == FRIDAY + DAY
    assert f"/privacy/district/requests/{request.id}/certificate/" in notice.content["en"]["body"]
    # Gone: the school, its children, their files; the people of that school alone.
    assert not School.objects.filter(id=world.a1.id).exists()
    assert not Child.objects.filter(id__in=[world.mia.id, world.noah.id, world.ivy.id]).exists()
    assert len(files_before) == 6
    assert stored(private_storage) == [f for f in files_before if is_hillcrest_file(world, f)]
    assert len(stored(private_storage)) == 2  # Zoe's photo and its thumbnail
    assert not User.objects.filter(id__in=[world.priya.id, world.tom.id, world.ben.id]).exists()
    # Kept: Ana (Leo is at Lakeside Middle), Tess (a teacher at Hillcrest), the other school.
    assert GuardianLink.objects.filter(guardian=world.ana, child=world.leo).exists()
    assert Membership.objects.filter(user=world.tess, district=world.hillcrest).exists()
    assert not Membership.objects.filter(user=world.tess, district=world.lakeside).exists()
    assert Child.objects.filter(id=world.leo.id).exists()
    assert snapshot(world.hillcrest.id) == hillcrest_before
    # The certificate page, printable.
    with travel(FRIDAY + 2 * DAY):
        login(world.dana)
        page = client.get(reverse("privacy:district_certificate", args=[request.id]))
    assert page.status_code == 200
    assert b"Lakeside Elementary" in page.content and b"children" in page.content


# Lakeside Elementary: Mia, Noah and Ivy with their enrollments, links and work; Priya, Sam, Tom
# and Tina (roles at that school only) and Ben and Cal (children there only) lose their account;
# Tess loses her Lakeside guardian role (her account stays: she teaches at Hillcrest); Ana keeps
# everything of Leo's at Lakeside Middle.
EXPECTED_SCHOOL_COUNTS = {
    "activities.Activity": 2,
    "activities.ActivityEvent": 5,
    "activities.ActivityTarget": 2,
    "activities.BadgeAward": 2,
    "activities.ChildProgress": 2,
    "activities.Submission": 2,
    "activities.SubmissionPhoto": 2,
    # The dashboards' rollups of the school: its families' periods and last activity, and its
    # counters (three periods of Mia's and Noah's completions, by group).
    "dashboards.FamilyPeriod": 6,
    "dashboards.FamilyState": 2,
    "dashboards.PeriodStats": 18,
    "guardians.Child": 3,
    "guardians.Enrollment": 3,
    "guardians.GuardianLink": 4,
    "notifications.Delivery": 3,
    "notifications.Message": 3,
    "privacy.Archive": 1,
    "privacy.ArchivedRow": 1,
    "privacy.AuditEvent": 22,
    "privacy.Consent": 3,
    "privacy.LifecycleTimer": 1,
    "tenants.Classroom": 2,
    "tenants.Membership": 7,
    "tenants.School": 1,
    "tenants.User": 6,
}


def is_hillcrest_file(world, name: str) -> bool:
    return name.split("/")[1] == str(world.hillcrest.id)


def test_R7_a_district_deletion_keeps_the_district_its_settings_and_its_admins(busy, client, login):
    world = busy
    hillcrest_before = snapshot(world.hillcrest.id)
    with travel(FRIDAY):
        assert request_deletion(client, login, world, None).status_code == 302
    run = run_districts(FRIDAY + DAY)["lakeside"]
    assert run.outcome == "succeeded", run.error
    request = PrivacyRequest.objects.get(kind="district_deletion")
    assert request.status == "done"
    assert request.certificate["school"] is None
    assert request.certificate["counts"]["tenants.School"] == 2
    assert request.certificate["counts"]["guardians.Child"] == 4
    assert District.objects.filter(id=world.lakeside.id).exists()
    # Only Dana's role is left in Lakeside; Ana (Lakeside only) is gone, Tess is not.
    assert list(
        Membership.objects.filter(district=world.lakeside).values_list("user_id", flat=True)
    ) == [world.dana.id]
    assert not User.objects.filter(id=world.ana.id).exists()
    assert User.objects.filter(id=world.tess.id).exists()
    assert not Child.objects.filter(district=world.lakeside).exists()
    assert not Submission.objects.filter(district=world.lakeside).exists()
    assert snapshot(world.hillcrest.id) == hillcrest_before


def test_R7_a_deletion_killed_mid_chunk_rolls_back_and_a_rerun_completes(
    busy, client, login, monkeypatch
):
    world = busy
    with travel(FRIDAY):
        request_deletion(client, login, world, world.a1)
    request = PrivacyRequest.objects.get(kind="school_deletion")
    monkeypatch.setattr(deletion, "CHUNK", 2)
    chunks, checkpoints = [], []
    original_chunk, original_checkpoint = (
        deletion.DeletionRun._delete_chunk,
        deletion.Ledger.checkpoint,
    )

    def recording_chunk(self, model, ids):
        chunks.append((model, list(ids)))
        return original_chunk(self, model, ids)

    def failing_checkpoint(self, started=None):
        checkpoints.append(started)
        if len(chunks) == 6 and started is not None:  # inside the sixth chunk, after its delete
            raise RuntimeError("worker killed")
        return original_checkpoint(self, started)

    monkeypatch.setattr(deletion.DeletionRun, "_delete_chunk", recording_chunk)
    monkeypatch.setattr(deletion.Ledger, "checkpoint", failing_checkpoint)
    run = run_districts(FRIDAY + DAY)["lakeside"]

    assert run.outcome == "failed"
    assert run.error == "1 clock(s) failed; see last_error"
    model, ids = chunks[5]
    assert model._base_manager.filter(id__in=ids).count() == len(ids)  # rolled back
    request.refresh_from_db()
    assert request.status == "open"
    progress = request.certificate["progress"]
    assert progress["phase"] == "content"
    assert sum(progress["counts"].values()) > 0
    timer = LifecycleTimer.objects.get(subject_type="privacy.privacyrequest")
    assert (timer.state, timer.attempts, timer.last_error) == (
        "pending",
        1,
        "RuntimeError: worker killed",
    )

    monkeypatch.setattr(deletion.Ledger, "checkpoint", original_checkpoint)
    rerun = run_districts(FRIDAY + DAY + datetime.timedelta(hours=7))["lakeside"]
    assert rerun.outcome == "succeeded", rerun.error
    request.refresh_from_db()
    assert request.status == "done"
    assert request.certificate["counts"] == EXPECTED_SCHOOL_COUNTS  # exactly as in one go
    assert (request.certificate["accounts_deleted"], request.certificate["accounts_kept"]) == (6, 2)

    third = run_districts(FRIDAY + 2 * DAY)["lakeside"]
    assert (third.outcome, third.counts) == ("succeeded", {})
    assert PrivacyRequest.objects.get(id=request.id).certificate == request.certificate


def test_R7_operator_carries_out_a_request_at_once(busy, client, login):
    world = busy
    with travel(FRIDAY):
        request_deletion(client, login, world, world.a1)
        request = PrivacyRequest.objects.get(kind="school_deletion")
        out = io.StringIO()
        call_command("district_deletions", "list", stdout=out)
        assert f"{request.id}  lakeside  Lakeside Elementary  due 2027-01-28" in out.getvalue()
        call_command("district_deletions", "run", str(request.id), stdout=out)
    request.refresh_from_db()
    assert (request.status, request.certificate["job"]) == (
        "done",
        "manage.py district_deletions run",
    )
    assert request.certificate["counts"] == EXPECTED_SCHOOL_COUNTS
    assert LifecycleTimer.objects.get(subject_type="privacy.privacyrequest").state == "done"
    # The daily run the next day finds nothing to do.
    assert run_districts(FRIDAY + DAY)["lakeside"].counts == {}


# --- the district's pages: roles, other tenants, query counts -----------------------------


@pytest.mark.parametrize(
    ("person", "role", "status"),
    [
        (None, None, 302),
        ("ana", "guardian", 403),
        ("tom", "teacher", 403),
        ("priya", "school_admin", 403),  # privacy:admin for her school, not the district's data
        ("vera", "viewer", 403),
        ("hank", "district_admin", 200),
        ("dana", "district_admin", 200),
    ],
)
def test_the_district_data_page_role_matrix(world, client, login, person, role, status):
    if person:
        login(world.people[person], role=role)
    response = client.get(reverse("privacy:district_data"))
    assert response.status_code == status


def test_another_districts_request_is_a_404_and_nothing_is_written(world, client, login):
    from privacy.models import AuditEvent

    with travel(FRIDAY):
        request_deletion(client, login, world, world.a1)
    request = PrivacyRequest.objects.get(kind="school_deletion")
    events = AuditEvent.objects.count()
    login(world.hank)
    assert client.post(reverse("privacy:district_withdraw", args=[request.id])).status_code == 404
    assert client.get(reverse("privacy:district_certificate", args=[request.id])).status_code == 404
    page = client.get(reverse("privacy:district_data"))
    assert b"Lakeside Elementary" not in page.content
    request.refresh_from_db()
    assert request.status == "open"
    assert AuditEvent.objects.count() == events
    assert LifecycleTimer.objects.get(subject_type="privacy.privacyrequest").state == "pending"


def test_a_request_is_withdrawn_before_it_starts(world, client, login):
    with travel(FRIDAY):
        request_deletion(client, login, world, world.a2)
        request = PrivacyRequest.objects.get(kind="school_deletion")
        response = client.post(reverse("privacy:district_withdraw", args=[request.id]))
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.response) == ("cancelled", "withdrawn")
    assert LifecycleTimer.objects.get(subject_type="privacy.privacyrequest").state == "cancelled"
    assert run_districts(FRIDAY + DAY)["lakeside"].counts == {}
    assert School.objects.filter(id=world.a2.id).exists()


def test_the_confirmation_must_name_what_goes_and_one_request_per_school(world, client, login):
    login(world.dana)
    url = reverse("privacy:district_data")
    wrong = client.post(url, {"target": str(world.a1.id), "confirm": "Lakeside Middle"})
    assert wrong.status_code == 200
    assert "Type exactly “Lakeside Elementary” to confirm." in wrong.content.decode()
    assert not PrivacyRequest.objects.exists()
    other = client.post(url, {"target": str(world.b1.id), "confirm": "Hillcrest Primary"})
    assert other.status_code == 200  # not a choice for Lakeside
    assert not PrivacyRequest.objects.exists()
    assert (
        client.post(url, {"target": str(world.a1.id), "confirm": "lakeside elementary"}).status_code
        == 302
    )
    again = client.post(url, {"target": str(world.a1.id), "confirm": "Lakeside Elementary"})
    assert "already asked for" in again.content.decode()
    assert PrivacyRequest.objects.count() == 1


def test_the_requests_page_costs_the_same_with_more_requests(
    world, client, login, assert_num_queries
):
    from tests.counts import SESSION_QUERIES

    scope = scope_of(world.dana)
    do_request_deletion(scope, school=world.a1, actor=Actor(user=world.dana))
    login(world.dana)
    client.get(reverse("privacy:district_data"))  # warm the cached scope and nav
    with assert_num_queries(SESSION_QUERIES + 3):
        client.get(reverse("privacy:district_data"))
    do_request_deletion(scope, school=world.a2, actor=Actor(user=world.dana))
    do_request_deletion(scope, school=None, actor=Actor(user=world.dana))
    with assert_num_queries(SESSION_QUERIES + 3):
        page = client.get(reverse("privacy:district_data"))
    assert page.content.decode().count("Withdraw") == 3


# --- R8: the contract's end --------------------------------------------------------------------


def terminate(slug="lakeside", *args, at=T0) -> str:
    out = io.StringIO()
    with travel(at):
        call_command("terminate_district", slug, *args, stdout=out)
    return out.getvalue()


def test_R8_termination_access_30_days_then_disposal_at_60(busy, client, login, private_storage):
    world = busy
    District.objects.filter(id=world.lakeside.id).update(contact_email="office@lakeside.example")
    out = terminate()
    assert "lakeside: read and export until 2027-02-03 15:00 UTC" in out
    lakeside = District.objects.get(id=world.lakeside.id)
    assert (lakeside.contract_ended_at, lakeside.access_ends_at, lakeside.disposal_due_at) == (
        T0,
        T0 + 30 * DAY,
        T0 + 60 * DAY,
    )
    assert lakeside.termination_reason == "contract"

    with travel(T0 + 30 * DAY - MINUTE):  # read-only: reading goes on, writing does not
        login(world.dana)
        assert client.get(reverse("privacy:district_data")).status_code == 200
        assert client.get(reverse("tenants:staff_list")).status_code == 200
        refused = client.post(reverse("privacy:district_data"), {"target": "district"})
        assert refused.status_code == 403
        assert (
            "This district&#x27;s contract has ended; you can still read and export its data "
            "until Feb. 3, 2027, 9 a.m." in refused.content.decode()
        )
        assert client.get("/api/v1/schools/").status_code == 200
        api = client.post("/api/v1/roster/imports/", {})
        assert api.status_code == 403
        assert api.json()["detail"].startswith("This district's contract has ended; you can still")
        login(world.tess, role="guardian")  # her own account: she may switch to Hillcrest
        switch = client.post(
            reverse("tenants:switch_scope"),
            {"context": f"teacher:{world.hillcrest.id}:{world.b2.id}"},
        )
        assert switch.status_code == 302
        login(world.hugo)  # Hillcrest is not concerned
        assert client.post(reverse("tenants:switch_scope"), {"context": "x"}).status_code == 404
    assert not PrivacyRequest.objects.exists()

    with travel(T0 + 30 * DAY):  # access is over
        login(world.dana)
        closed = client.get(reverse("privacy:district_data"))
        assert closed.status_code == 403
        assert "can no longer be opened" in closed.content.decode()

    runs = run_districts(T0 + 30 * DAY + datetime.timedelta(hours=12))
    assert runs["disposed"].outcome == "succeeded", runs["disposed"].error
    assert runs["disposed"].counts == {"request_due:disposed": 1, "request_due:stopped": 1}
    assert not District.objects.filter(id=world.lakeside.id).exists()
    record = RetentionRun.objects.get(job=DISPOSAL_JOB)
    assert record.district_id is None and record.outcome == "succeeded"
    assert record.finished_at <= T0 + 60 * DAY
    certificate = record.counts
    assert certificate["district"] == {
        "id": world.lakeside.id,
        "name": "Lakeside Unified",
        "slug": "lakeside",
    }
    assert certificate["counts"]["tenants.District"] == 1
    assert certificate["counts"]["guardians.Child"] == 4
    assert (certificate["accounts_deleted"], certificate["accounts_kept"]) == (11, 1)  # Tess stays
    assert certificate["files"] == 4
    assert certificate["notified"] == 1 and "notify_to" not in certificate
    notice = OutboxEntry.objects.get(to="office@lakeside.example")
    assert notice.subject == "Engage: the data of Lakeside Unified has been deleted"
    assert f"Deletion certificate D-{record.id}" in notice.body
    assert "Accounts deleted: 11" in notice.body
    assert all(is_hillcrest_file(world, name) for name in stored(private_storage))
    # The certificate stays readable by operators after the district is gone.
    assert '"slug": "lakeside"' in terminate("lakeside", "--status", at=T0 + 31 * DAY)


def test_R8_disposing_one_district_leaves_the_others_intact(busy, private_storage):
    world = busy
    before = snapshot(world.hillcrest.id)
    tables_before = {label: len(rows) for label, rows in before.items()}
    users_before = User.objects.count()
    terminate(at=T0)
    moment = T0 + 30 * DAY + datetime.timedelta(hours=1)
    with travel(moment):
        runs = run_all(now=moment)  # every job, "districts" last
    assert all(run.outcome == "succeeded" for run in runs), [(r.job, r.error) for r in runs]
    after = snapshot(world.hillcrest.id)
    assert {label: len(rows) for label, rows in after.items()} == tables_before
    assert after == before  # every row of Hillcrest exactly as it was
    assert sum(tables_before.values()) == 69  # Hillcrest had rows in most tables
    for model in our_models():
        if _district_field(model) is not None:
            assert not model._base_manager.filter(district_id=world.lakeside.id).exists(), model
    assert User.objects.count() == users_before - 11
    assert len(stored(private_storage)) == 2


def test_R8_a_disposal_killed_mid_chunk_resumes_and_a_third_run_does_nothing(busy, monkeypatch):
    world = busy
    terminate(at=T0)
    monkeypatch.setattr(deletion, "CHUNK", 3)
    calls = []
    original = deletion.Ledger.checkpoint

    def failing(self, started=None):
        calls.append(started)
        if len(calls) == 12 and started is not None:
            raise RuntimeError("worker killed")
        return original(self, started)

    monkeypatch.setattr(deletion.Ledger, "checkpoint", failing)
    first = run_districts(T0 + 31 * DAY)["lakeside"]
    assert first.outcome == "failed"
    assert District.objects.filter(id=world.lakeside.id).exists()
    monkeypatch.setattr(deletion.Ledger, "checkpoint", original)
    second = run_districts(T0 + 31 * DAY + datetime.timedelta(hours=7))
    assert second["disposed"].outcome == "succeeded", second["disposed"].error
    record = RetentionRun.objects.get(job=DISPOSAL_JOB)
    assert record.counts["counts"]["guardians.Child"] == 4
    assert record.counts["accounts_deleted"] == 11
    third = run_districts(T0 + 32 * DAY)
    assert set(third) == {"hillcrest"} and third["hillcrest"].counts == {}
    assert RetentionRun.objects.filter(job=DISPOSAL_JOB).count() == 1


def test_R8_no_message_goes_out_from_the_end(world, django_capture_on_commit_callbacks):
    ends = T0 + 10 * DAY
    with travel(T0):
        before_end = do_queue_message(
            world.lakeside,
            kind="announcement",
            audience={"type": "district"},
            content={"en": {"body": "Before"}},
            channels=["email"],
            scheduled_for=ends - DAY,
            actor=Actor.system(),
        )
        after_end = do_queue_message(
            world.lakeside,
            kind="announcement",
            audience={"type": "district"},
            content={"en": {"body": "After"}},
            channels=["email"],
            scheduled_for=ends + DAY,
            actor=Actor.system(),
        )
    terminate("lakeside", "--on", "2027-01-14", at=T0)  # midnight in Chicago: 06:00 UTC
    lakeside = District.objects.get(id=world.lakeside.id)
    assert lakeside.contract_ended_at == datetime.datetime(2027, 1, 14, 6, 0, tzinfo=UTC)
    assert Message.objects.get(id=before_end.id).status == "scheduled"
    assert Message.objects.get(id=after_end.id).status == "cancelled"
    with travel(T0 + 11 * DAY):
        reminder = do_queue_message(
            lakeside,
            kind="reminder",
            audience={"type": "district"},
            content={"en": {"body": "Due tomorrow"}},
            channels=["email"],
            actor=Actor.system(),
        )
        hillcrest = do_queue_message(
            world.hillcrest,
            kind="reminder",
            audience={"type": "district"},
            content={"en": {"body": "Due tomorrow"}},
            channels=["email"],
            actor=Actor.system(),
        )
    assert reminder.status == Message.objects.get(id=reminder.id).status == "cancelled"
    assert hillcrest.status == "queued"
    # A delivery held past the end (quiet hours) is cancelled when the end's clock runs.
    held = Delivery.objects.create(
        district=world.lakeside,
        message=before_end,
        recipient=world.ana,
        channel="email",
        address="ana@example.org",
        status="held",
        not_before=T0 + 10 * DAY,
    )
    runs = run_districts(T0 + 11 * DAY)
    assert runs["lakeside"].counts == {"request_due:stopped": 1}
    assert Delivery.objects.get(id=held.id).status == "cancelled"


def test_R8_a_termination_recorded_by_mistake_is_cancelled(world, client, login):
    terminate(at=T0)
    out = terminate("lakeside", "--cancel", at=T0 + DAY)
    assert "cancelled" in out
    lakeside = District.objects.get(id=world.lakeside.id)
    assert (lakeside.contract_ended_at, lakeside.termination_reason) == (None, "")
    assert not LifecycleTimer.objects.filter(
        state="pending", subject_type__startswith="tenants.district"
    ).exists()
    with travel(T0 + 2 * DAY):
        login(world.dana)
        assert (
            client.post(reverse("privacy:district_data"), {"target": "district"}).status_code == 200
        )
    assert set(run_districts(T0 + 40 * DAY)) == {"lakeside", "hillcrest"}


# --- R9: the inactive-district backstop ------------------------------------------------------


def test_R9_inactive_district_backstop_24_months(db, client):
    from privacy.policy import add_months
    from tests.world import build_world

    built = datetime.datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    with travel(built):
        world = build_world()
    with travel(add_months(built, 20)):  # Hillcrest's admin signs in: Hillcrest is in use
        client.force_login(world.hank)
    backstop = add_months(built, 24)  # Lakeside: nobody since it was set up

    assert run_districts(backstop - 31 * DAY)["lakeside"].counts == {}
    warned = run_districts(backstop - 29 * DAY)
    assert warned["lakeside"].counts == {"backstop_warning": 1}
    assert District.objects.get(id=world.lakeside.id).contract_ended_at is None

    applied = run_districts(backstop + MINUTE)
    assert applied["lakeside"].counts == {"backstop_terminated": 1, "request_due:stopped": 1}
    lakeside = District.objects.get(id=world.lakeside.id)
    assert lakeside.termination_reason == "inactive"
    assert (lakeside.contract_ended_at, lakeside.access_ends_at) == (
        backstop + MINUTE,
        backstop + MINUTE + 30 * DAY,
    )
    assert District.objects.get(id=world.hillcrest.id).contract_ended_at is None

    runs = run_districts(backstop + 30 * DAY + datetime.timedelta(hours=1))
    assert runs["disposed"].outcome == "succeeded"
    assert not District.objects.filter(id=world.lakeside.id).exists()
    assert RetentionRun.objects.get(job=DISPOSAL_JOB).counts["reason"] == "inactive"


def test_R8_an_operator_records_the_end_in_the_admin(world, client):
    operator = User.objects.create_superuser(email="operator@engage.example", password="x" * 12)
    url = reverse("admin:tenants_district_changelist")
    chosen = {"action": "record_contract_end", "_selected_action": [world.lakeside.id]}
    with travel(T0):
        client.force_login(operator)
        page = client.post(url, chosen)
        assert page.status_code == 200
        assert "Record the end of the contract" in page.content.decode()
        done = client.post(url, {**chosen, "apply": "1", "ended_on": "2027-02-01"})
    assert done.status_code == 302
    lakeside = District.objects.get(id=world.lakeside.id)
    assert lakeside.contract_ended_at == datetime.datetime(2027, 2, 1, 6, 0, tzinfo=UTC)
    assert lakeside.access_ends_at == datetime.datetime(2027, 3, 3, 6, 0, tzinfo=UTC)
    assert District.objects.get(id=world.hillcrest.id).contract_ended_at is None


def test_R8_once_access_is_over_a_person_can_still_switch_to_another_role(world, client, login):
    terminate(at=T0)
    with travel(T0 + 31 * DAY):
        login(world.tess, role="guardian")  # her Lakeside context
        assert client.get(reverse("guardians:home")).status_code == 403
        teacher = f"teacher:{world.hillcrest.id}:{world.b2.id}"
        assert client.post(reverse("tenants:switch_scope"), {"context": teacher}).status_code == 302
        assert client.get(reverse("tenants:teacher_home")).status_code == 200
