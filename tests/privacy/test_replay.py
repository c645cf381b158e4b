"""A restore never brings erased or deleted data back: the erasure journal lives outside the
database, and replay_erasures carries out again what was done since the backup.

The backup and the restore are real: pg_dump / pg_restore of the test database on PostgreSQL
(what docs/DEPLOY.md tells operators to run), SQLite's online backup in the embedded mode.
"""

import datetime
import json
import sqlite3
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from guardians.models import Child
from privacy import journal
from privacy.audit import Actor
from privacy.erasure import ERASED_DOMAIN, do_erase_family
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, LifecycleTimer, PrivacyRequest
from privacy.requests import do_create_request
from tenants.models import User
from tests.world import build_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Backup:
    """The whole test database, saved and put back the way an operator would."""

    def __init__(self, path):
        self.path = path

    def take(self) -> None:
        if connection.vendor == "postgresql":
            subprocess.run(
                ["pg_dump", "--format=custom", f"--file={self.path}", *self._target()],
                check=True,
                env=self._env(),
            )
        else:
            connection.ensure_connection()
            with sqlite3.connect(self.path) as copy:
                connection.connection.backup(copy)

    def restore(self) -> None:
        connection.close()
        if connection.vendor == "postgresql":
            subprocess.run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    "--no-owner",
                    *self._target(),
                    str(self.path),
                ],
                check=True,
                env=self._env(),
            )
        else:
            connection.ensure_connection()
            with sqlite3.connect(self.path) as copy:
                copy.backup(connection.connection)

    def _target(self) -> list[str]:
        params = connection.settings_dict
        return [
            f"--host={params['HOST'] or '127.0.0.1'}",
            f"--port={params['PORT'] or 5432}",
            f"--username={params['USER']}",
            f"--dbname={params['NAME']}",
        ]

    def _env(self) -> dict:
        import os

        return {**os.environ, "PGPASSWORD": connection.settings_dict["PASSWORD"] or ""}


@pytest.fixture
def journal_file(settings, tmp_path):
    settings.ENGAGE_ERASURE_JOURNAL = str(tmp_path / "erasure-journal.jsonl")
    return tmp_path / "erasure-journal.jsonl"


def replay(since, *extra) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("replay_erasures", "--since", since.isoformat(), "--json", *extra, stdout=out)
    return json.loads(out.getvalue())


def delete_child(world, child, reason="left"):
    return do_delete_with_restore(
        child,
        kind=Archive.Kind.CHILD,
        district_id=child.district_id,
        school_id=child.school_id,
        actor=Actor(user=world.dana),
        reason=reason,
    )


def test_a_restore_then_replay_erases_and_deletes_again(journal_file, tmp_path):
    world = build_world()
    request = do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=Actor.system()
    )
    backup = Backup(tmp_path / "engage.dump")
    backup.take()
    backed_up_at = timezone.now()

    # After the backup: Ben is forgotten (Noah, his only child, with him), Ivy is deleted into
    # the archive (restorable for 30 days), Zoe deleted and purged for good.
    do_erase_family(request, actor=Actor.system())
    ivy_archive = delete_child(world, world.ivy)
    from privacy.archive import purge_archive

    purge_archive(delete_child(world, world.zoe))
    events = [json.loads(line)["event"] for line in journal_file.read_text().splitlines()]
    assert events == ["family.erased", "archive.created", "archive.created", "archive.purged"]

    backup.restore()
    assert User.objects.get(id=world.ben.id).email == "ben@example.org"
    assert Child.objects.get(id=world.noah.id).first_name == "Noah"
    assert Child.objects.filter(id__in=[world.ivy.id, world.zoe.id]).count() == 2

    report = replay(backed_up_at)

    assert report["entries"] == 4 and report["unreadable"] == 0
    assert report["outcomes"] == [
        {
            "event": "archive.created",
            "subject": f"guardians.child {world.ivy.id}",
            "result": "archived",
        },
        {
            "event": "archive.purged",
            "subject": f"guardians.child {world.zoe.id}",
            "result": "purged",
        },
        {"event": "family.erased", "subject": f"tenants.user {world.ben.id}", "result": "erased"},
    ]
    ben = User.objects.get(id=world.ben.id)
    assert (ben.email, ben.first_name, ben.is_active) == (
        f"erased-{ben.id}@{ERASED_DOMAIN}",
        "",
        False,
    )
    assert Child.objects.get(id=world.noah.id).first_name == ""
    assert PrivacyRequest.objects.get(id=request.id).status == PrivacyRequest.Status.DONE
    assert not Child.objects.filter(id__in=[world.ivy.id, world.zoe.id]).exists()
    ivy = Archive.objects.get(subject_type="guardians.child", subject_id=world.ivy.id)
    assert ivy.state == Archive.State.ARCHIVED
    assert ivy.restore_until == ivy_archive.restore_until  # the family's 30 days, not new ones
    assert (
        LifecycleTimer.objects.get(
            kind=LifecycleTimer.Kind.ARCHIVE_PURGE, subject_id=ivy.id, state="pending"
        ).due_at
        == ivy_archive.restore_until
    )
    zoe = Archive.objects.get(subject_type="guardians.child", subject_id=world.zoe.id)
    assert (zoe.state, zoe.rows.count()) == (Archive.State.PURGED, 0)

    # Again: nothing left to do (the replay's own entries included).
    again = replay(backed_up_at)
    assert {outcome["result"] for outcome in again["outcomes"]} == {"done before"}


def test_an_erasure_asked_for_after_the_backup_is_replayed_with_a_new_request(
    journal_file, tmp_path
):
    world = build_world()
    backup = Backup(tmp_path / "engage.dump")
    backup.take()
    backed_up_at = timezone.now()
    request = do_create_request(
        world.hillcrest, kind=PrivacyRequest.Kind.ERASURE, requester=world.dee, actor=Actor.system()
    )
    do_erase_family(request, actor=Actor.system())
    backup.restore()
    assert not PrivacyRequest.objects.filter(requester_id=world.dee.id).exists()

    dry = replay(backed_up_at, "--dry-run")
    assert dry["outcomes"] == [
        {"event": "family.erased", "subject": f"tenants.user {world.dee.id}", "result": "erased"}
    ]
    assert User.objects.get(id=world.dee.id).first_name == "Dee"  # a dry run changes nothing

    replay(backed_up_at)

    (replayed,) = PrivacyRequest.objects.filter(requester_id=world.dee.id)
    assert (replayed.status, replayed.kind) == (PrivacyRequest.Status.DONE, "erasure")
    assert User.objects.get(id=world.dee.id).first_name == ""
    assert Child.objects.get(id=world.zoe.id).first_name == ""


def test_only_entries_since_the_backup_are_replayed(journal_file):
    world = build_world()
    delete_child(world, world.ivy)
    after = timezone.now()

    assert replay(after)["entries"] == 0
    assert replay(after - datetime.timedelta(minutes=5))["entries"] == 1


def test_bad_input_is_refused_and_a_torn_line_is_reported(journal_file, db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not an ISO 8601 date and time"):
        call_command("replay_erasures", "--since", "yesterday")
    with pytest.raises(CommandError, match="needs a time zone"):
        call_command("replay_erasures", "--since", "2030-01-01T03:00:00")
    journal_file.write_text('{"at": "2030-01-01T00:00:00+00:00", "event": "family.er')
    with pytest.raises(SystemExit) as exit_info:
        replay(datetime.datetime(2029, 1, 1, tzinfo=datetime.UTC))
    assert exit_info.value.code == 1


def test_the_journal_holds_ids_and_never_personal_data(journal_file):
    world = build_world()
    request = do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=Actor.system()
    )
    do_erase_family(request, actor=Actor.system())

    (entry,) = [json.loads(line) for line in journal_file.read_text().splitlines()]
    assert set(entry) == {"id", "at", "event", "district_id", "user_id", "request_id"}
    assert (entry["event"], entry["user_id"], entry["request_id"]) == (
        "family.erased",
        world.ben.id,
        request.id,
    )
    for personal in ("ben@example.org", "Ben", "Noah", "Brooks"):
        assert personal not in journal_file.read_text()


def test_the_journal_in_storage_is_one_object_per_write(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.ENGAGE_ERASURE_JOURNAL = "storage:erasure-journal/"
    world = build_world()
    since = timezone.now()
    delete_child(world, world.ivy)
    delete_child(world, world.noah)

    objects = sorted((tmp_path / "media" / "erasure-journal").iterdir())
    assert len(objects) == 2 and all(o.suffix == ".jsonl" for o in objects)
    read = journal.read_entries(since)
    assert [e["subject_id"] for e in read.entries] == [world.ivy.id, world.noah.id]
    assert journal.read_entries(timezone.now()).entries == []


def test_a_school_deletion_and_a_district_disposal_after_the_backup_are_done_again(
    journal_file, tmp_path
):
    from privacy.districts.contract import dispose_of_district, do_terminate_district
    from privacy.districts.requests import do_carry_out_now
    from tenants.models import District, School

    world = build_world()
    backup = Backup(tmp_path / "engage.dump")
    backup.take()
    backed_up_at = timezone.now()
    deletion = do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.SCHOOL_DELETION,
        requester=None,
        school=world.a2,
        actor=Actor.system(),
    )
    assert do_carry_out_now(deletion) == "deleted"
    hillcrest = do_terminate_district(
        world.hillcrest, ended_at=timezone.now() - datetime.timedelta(days=90), actor=Actor.system()
    )
    dispose_of_district(hillcrest, now=timezone.now())
    assert not District.objects.filter(id=world.hillcrest.id).exists()
    backup.restore()
    assert School.objects.filter(id=world.a2.id).exists()
    assert Child.objects.filter(id=world.zoe.id).exists()

    report = replay(backed_up_at)

    assert report["outcomes"] == [
        {"event": "data.deleted", "subject": f"tenants.school {world.a2.id}", "result": "deleted"},
        {
            "event": "district.disposed",
            "subject": f"tenants.district {world.hillcrest.id}",
            "result": "disposed",
        },
    ]
    assert not School.objects.filter(id=world.a2.id).exists()
    assert not Child.objects.filter(id=world.leo.id).exists()  # Leo was in Room 7, at a2
    assert Child.objects.filter(id=world.mia.id).exists()  # a1 stays
    assert not District.objects.filter(id=world.hillcrest.id).exists()
    assert not Child.objects.filter(id=world.zoe.id).exists()
    (replayed,) = PrivacyRequest.objects.filter(kind=PrivacyRequest.Kind.SCHOOL_DELETION)
    assert (replayed.status, replayed.details) == (
        PrivacyRequest.Status.DONE,
        "replayed from the erasure journal after a restore",
    )
    assert {o["result"] for o in replay(backed_up_at)["outcomes"]} == {"done before"}
