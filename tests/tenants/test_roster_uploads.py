"""Roster imports from the upload page and the API: queued, run by a worker (eager in tests),
watched, reported, recorded and audited (issue 4, item 3)."""

import datetime
import hashlib
import io

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.storage import default_storage
from django.urls import reverse
from rest_framework.authtoken.models import Token

from guardians.models import Child
from privacy.audit import Actor
from privacy.jobs import JOBS, run_job
from privacy.models import AuditEvent, PrivacyRequest
from privacy.requests import do_create_request
from tenants.models import RosterImportRun, School, User
from tenants.roster.erased import REASON
from tenants.roster.uploads import requeue_stale_imports
from tests.tenants import roster_files as rf
from tests.tenants.roster_run import counts

pytestmark = pytest.mark.django_db

CREATED = counts(
    schools=1,
    classrooms=2,
    teachers=2,
    children=2,
    guardians=2,
    guardian_links=2,
    enrollments=5,
)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


def engage_zip(tmp_path, files=None):
    path = rf.write_zip(tmp_path / "roster.zip", files or rf.engage())
    upload = io.BytesIO(path.read_bytes())
    upload.name = "roster.zip"
    return upload


def upload(client, tmp_path, **fields):
    data = {"file": engage_zip(tmp_path), "source_format": "engage", **fields}
    return client.post(reverse("tenants:roster_imports"), data)


def test_district_admin_uploads_and_reads_the_report(
    world, client, login, tmp_path, private_storage, django_capture_on_commit_callbacks
):
    login(world.dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, tmp_path)
    run = RosterImportRun.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("tenants:roster_import", args=[run.id])
    assert (run.status, run.outcome, run.trigger) == ("finished", "applied", "upload")
    assert (run.started_by_id, run.school_id, run.file_name) == (world.dana.id, None, "roster.zip")
    assert run.counts["created"] == CREATED
    assert run.file_sha256 == hashlib.sha256((tmp_path / "roster.zip").read_bytes()).hexdigest()
    assert run.upload_path == "" and list((private_storage / "roster-uploads").rglob("*.zip")) == []
    assert Child.objects.filter(district=world.lakeside, sourced_id="C1").exists()
    actions = list(
        AuditEvent.objects.filter(target_type="tenants.rosterimportrun")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["roster.import_queued", "roster.imported"]
    page = client.get(response.url).content.decode()
    assert "The roster was imported." in page and '<th scope="row">Children</th><td>2</td>' in page
    listing = client.get(reverse("tenants:roster_imports")).content.decode()
    assert "roster.zip" in listing and "Applied" in listing


def test_a_check_only_upload_changes_nothing(
    world, client, login, tmp_path, django_capture_on_commit_callbacks
):
    login(world.dana)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, tmp_path, is_dry_run="on")
    run = RosterImportRun.objects.get()
    assert (run.status, run.outcome, run.counts["created"]) == ("finished", "dry_run", CREATED)
    assert not Child.objects.filter(sourced_id="C1").exists()


def test_a_file_that_is_not_a_zip_is_refused_and_nothing_is_kept(
    world, client, login, private_storage
):
    login(world.dana)
    fake = io.BytesIO(b"child_id,first_name\nC1,Alice\n")
    fake.name = "roster.zip"
    response = client.post(
        reverse("tenants:roster_imports"), {"file": fake, "source_format": "engage"}
    )
    assert response.status_code == 200
    assert "This is not a ZIP file." in response.content.decode()
    assert RosterImportRun.objects.count() == 0 and not private_storage.exists()


def test_a_file_over_the_limit_is_refused_with_the_limit(world, client, login, tmp_path, settings):
    settings.ROSTER_MAX_FILE_BYTES = 100
    login(world.dana)
    response = upload(client, tmp_path)
    assert "The file is larger than the limit of 100 bytes." in response.content.decode()
    assert RosterImportRun.objects.count() == 0


def test_a_school_admin_imports_only_their_school(
    world, client, login, tmp_path, django_capture_on_commit_callbacks
):
    School.objects.filter(id=world.a1.id).update(sourced_id="OAK")
    files = rf.engage()
    files["children.csv"].append(
        ["C9", "Cy", "Cedar", "", "ELM", "Elm Middle", "E1", "Elm 1", "06", ""]
    )
    login(world.priya)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("tenants:roster_imports"),
            {"file": engage_zip(tmp_path, files), "source_format": "engage"},
        )
    run = RosterImportRun.objects.get()
    assert (run.school_id, run.outcome, run.error_count) == (world.a1.id, "failed", 1)
    assert run.report["errors"] == [
        {
            "file": "children.csv",
            "line": 4,
            "column": "school_id",
            "value": "ELM",
            "reason": "this import may only change Lakeside Elementary",
        }
    ]
    assert not Child.objects.filter(sourced_id__in=["C1", "C9"]).exists()


def test_the_page_polls_progress_while_the_import_waits(world, client, login):
    run = RosterImportRun.objects.create(
        district=world.lakeside,
        started_by=world.dana,
        status="queued",
        source_format="engage",
        file_sha256="0" * 64,
        trigger="upload",
    )
    login(world.dana)
    url = reverse("tenants:roster_import", args=[run.id])
    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Waiting for a worker" in page
    RosterImportRun.objects.filter(id=run.id).update(
        status="running", progress_done=250, progress_total=1000
    )
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "Importing: 250 of 1000 rows." in part and 'value="25"' in part
    assert "<html" not in part


@pytest.mark.parametrize(
    "person,role,status",
    [
        ("priya", "school_admin", 404),
        ("hank", "district_admin", 404),
        ("tom", "teacher", 403),
        ("sam", "staff", 403),
        ("vera", "viewer", 403),
        ("ana", "guardian", 403),
    ],
)
def test_who_may_see_a_districts_import(world, client, login, person, role, status):
    run = RosterImportRun.objects.create(
        district=world.lakeside,
        started_by=world.dana,
        status="finished",
        source_format="engage",
        file_sha256="0" * 64,
    )
    login(world.people[person], role=role)
    assert client.get(reverse("tenants:roster_import", args=[run.id])).status_code == status


@pytest.mark.parametrize(
    "person,role", [("tom", "teacher"), ("vera", "viewer"), ("ana", "guardian")]
)
def test_only_admins_upload(world, client, login, tmp_path, person, role):
    login(world.people[person], role=role)
    assert upload(client, tmp_path).status_code == 403
    assert RosterImportRun.objects.count() == 0


def test_a_lost_task_is_queued_again_by_the_sweeper(world, tmp_path, private_storage):
    path = default_storage.save("roster-uploads/1/lost.zip", engage_zip(tmp_path))
    with time_machine.travel(datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)):
        run = RosterImportRun.objects.create(
            district=world.lakeside,
            started_by=world.dana,
            status="queued",
            source_format="engage",
            file_sha256="0" * 64,
            upload_path=path,
            trigger="api",
        )
    with time_machine.travel(datetime.datetime(2026, 11, 23, 15, 4, tzinfo=datetime.UTC)):
        assert requeue_stale_imports() == []
    with time_machine.travel(datetime.datetime(2026, 11, 23, 15, 6, tzinfo=datetime.UTC)):
        assert requeue_stale_imports() == [run.id]
    run.refresh_from_db()
    assert (run.status, run.outcome, run.upload_path) == ("finished", "applied", "")
    assert requeue_stale_imports() == []


# --- the API ----------------------------------------------------------------------------------


def api_client(user, *, with_totp=True):
    from rest_framework.test import APIClient

    if with_totp:
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_information_system_pushes_a_roster(
    world, tmp_path, django_capture_on_commit_callbacks
):
    client = api_client(world.dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/roster/imports/",
            {"file": engage_zip(tmp_path), "format": "engage"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    run = RosterImportRun.objects.get()
    assert response.json()["id"] == run.id and response.json()["status"] == "queued"
    assert response.json()["url"] == f"http://testserver/api/v1/roster/imports/{run.id}/"
    detail = client.get(f"/api/v1/roster/imports/{run.id}/").json()
    assert (detail["status"], detail["outcome"], detail["trigger"]) == (
        "finished",
        "applied",
        "api",
    )
    assert detail["counts"]["created"] == CREATED
    assert detail["errors"] == [] and detail["progress"]["percent"] == 100
    assert client.get("/api/v1/roster/imports/").json()["count"] == 1


def test_the_api_refuses_a_disguised_file(world, tmp_path):
    client = api_client(world.dana)
    fake = io.BytesIO(b"%PDF-1.4 not a roster")
    fake.name = "roster.zip"
    response = client.post("/api/v1/roster/imports/", {"file": fake}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "file": ["This is not a ZIP file. Upload the roster's CSV files as one .zip."]
    }
    assert RosterImportRun.objects.count() == 0


def test_an_admin_token_without_two_factor_cannot_push(world, tmp_path):
    client = api_client(world.dana, with_totp=False)
    response = client.post(
        "/api/v1/roster/imports/", {"file": engage_zip(tmp_path)}, format="multipart"
    )
    assert response.status_code == 403 and RosterImportRun.objects.count() == 0


def test_another_districts_run_is_404_over_the_api(world):
    run = RosterImportRun.objects.create(
        district=world.lakeside,
        started_by=world.dana,
        status="finished",
        source_format="engage",
        file_sha256="0" * 64,
    )
    client = api_client(world.hank)
    assert client.get(f"/api/v1/roster/imports/{run.id}/").status_code == 404
    assert client.get("/api/v1/roster/imports/").json()["count"] == 0


def test_the_page_and_the_api_list_an_erased_familys_rows_as_skipped(
    world, client, login, tmp_path, django_capture_on_commit_callbacks
):
    login(world.dana)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, tmp_path)
    gwen = User.objects.get(email="gwen@example.com")
    do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=gwen, actor=Actor(user=gwen)
    )
    run_job(JOBS["erasure"], world.lakeside)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, tmp_path)

    run = RosterImportRun.objects.latest("id")
    assert (run.outcome, run.error_count, run.report["skipped_count"]) == ("applied", 0, 3)
    page = client.get(response.url).content.decode()
    assert "The roster was imported." in page
    assert "Skipped: families erased at their request" in page
    assert (
        "<td>guardians.csv</td><td>2</td><td>guardian_id</td><td><code>G1</code></td>"
        f"<td>{REASON}</td>".replace("'", "&#x27;")
    ) in page
    detail = api_client(world.dana).get(f"/api/v1/roster/imports/{run.id}/").json()
    assert detail["skipped"] == [
        {"file": file, "line": 2, "column": column, "value": value, "reason": REASON}
        for file, column, value in (
            ("children.csv", "child_id", "C1"),
            ("guardians.csv", "guardian_id", "G1"),
            ("links.csv", "guardian_id", "G1"),
        )
    ]
