"""Deletion you can undo, then purge (PROMISES R1): the archive, restore and purge."""

import datetime

import pytest
import time_machine
from django.apps import apps
from django.db.models import QuerySet

from activities import media
from activities.models import Submission, SubmissionPhoto
from guardians.models import GuardianLink
from privacy import archive as archive_module
from privacy.archive import RestoreError, purge_archive
from privacy.audit import Actor
from privacy.lifecycle import do_delete_with_restore, do_restore
from privacy.models import Archive, ArchivedRow, LifecycleTimer
from privacy.timers import sweep
from tenants.models import User
from tests.activities.test_media import image_upload, private_storage, stored_files, submit

__all__ = ["private_storage"]

DELETED = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def snapshot() -> dict:
    """Every row of every table of ours (and allauth's addresses), by model, ordered by id."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in {
            "tenants",
            "guardians",
            "activities",
            "notifications",
            "account",
        }:
            rows[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return rows


@pytest.fixture
def family_with_work(world, private_storage):
    with time_machine.travel(DELETED - datetime.timedelta(days=1), tick=False):
        submission = submit(world, [image_upload("a.png"), image_upload("b.png")], text="Pancakes")
        for photo_id in SubmissionPhoto.objects.values_list("id", flat=True):
            media.process_photo(photo_id)  # as the media worker does
    return submission


def delete_account(world, user, when=DELETED):
    with time_machine.travel(when, tick=False):
        return do_delete_with_restore(
            user,
            kind=Archive.Kind.ACCOUNT,
            district_id=world.lakeside.id,
            school_id=None,
            actor=Actor(user=world.priya),
            reason="deleted by mistake",
        )


def test_R1_deleted_account_leaves_every_live_table_and_restores_exactly(world, family_with_work):
    before = snapshot()
    ana_id = world.ana.id
    archive = delete_account(world, world.ana)
    assert not User.objects.filter(id=ana_id).exists()
    assert not GuardianLink.objects.filter(guardian_id=ana_id).exists()
    # Work about the child stays the school's; it no longer names who sent it.
    assert Submission.objects.get(id=family_with_work.id).guardian_id is None
    assert archive.counts["tenants.User"] == 1
    assert archive.counts["guardians.GuardianLink"] == 2
    assert archive.restore_until == DELETED + datetime.timedelta(days=30)
    assert LifecycleTimer.objects.get(kind="archive_purge").due_at == archive.restore_until

    with time_machine.travel(DELETED + datetime.timedelta(days=29), tick=False):
        do_restore(archive, actor=Actor(user=world.priya))
    after = snapshot()
    # Everything is back as it was, ids and all; only the record of the deletion was added.
    for label in before:
        assert after[label] == before[label], label
    archive.refresh_from_db()
    assert archive.state == Archive.State.RESTORED
    assert ArchivedRow.objects.count() == 0
    assert LifecycleTimer.objects.get(kind="archive_purge").state == "cancelled"


def test_R1_restore_window_closes_and_the_purge_removes_rows_and_files(
    world, family_with_work, private_storage
):
    photos_before = stored_files(private_storage)
    assert len(photos_before) == 4  # two photos, each with its thumbnail
    archive = do_delete_with_restore(
        family_with_work,
        kind=Archive.Kind.SUBMISSION,
        district_id=world.lakeside.id,
        school_id=world.a1.id,
        actor=Actor(user=world.tom),
        reason="sent by mistake",
    )
    assert SubmissionPhoto.objects.count() == 0
    assert stored_files(private_storage) == photos_before  # files wait for the purge
    day_31 = archive.restore_until + datetime.timedelta(days=1)
    with (
        pytest.raises(RestoreError, match="restore window has passed"),
        time_machine.travel(day_31, tick=False),
    ):
        do_restore(archive, actor=Actor(user=world.tom))
    result = sweep(now=day_31)
    assert dict(result.counts) == {"archive_purge:purged": 1}
    archive.refresh_from_db()
    assert (archive.state, archive.files) == (Archive.State.PURGED, [])
    assert ArchivedRow.objects.filter(archive=archive).count() == 0
    assert stored_files(private_storage) == []
    assert sweep(now=day_31).counts == {}


def test_S1_archived_rows_are_sealed_with_their_keys_readable(world, family_with_work):
    archive = do_delete_with_restore(
        family_with_work,
        kind=Archive.Kind.SUBMISSION,
        district_id=world.lakeside.id,
        school_id=world.a1.id,
        actor=Actor(user=world.tom),
        reason="sent by mistake",
    )
    row = ArchivedRow.objects.get(archive=archive, model_label="activities.submission")
    assert set(row.data) == {"model", "pk", "refs", "sealed"}
    assert row.data["refs"]["child"] == world.mia.id
    assert row.data["sealed"].startswith("v1:")
    assert "Pancakes" not in str(row.data)
    do_restore(archive, actor=Actor(user=world.tom))
    assert Submission.objects.get(id=family_with_work.id).text == "Pancakes"


def test_R1_a_restore_that_would_collide_fails_and_changes_nothing(world, family_with_work):
    email = world.ana.email
    archive = delete_account(world, world.ana)
    User.objects.create_user(email=email, password="x")  # the address was taken since
    with (
        pytest.raises(RestoreError, match="cannot be restored"),
        time_machine.travel(DELETED + datetime.timedelta(days=2), tick=False),
    ):
        do_restore(archive, actor=Actor(user=world.priya))
    archive.refresh_from_db()
    assert archive.state == Archive.State.ARCHIVED
    assert ArchivedRow.objects.filter(archive=archive).count() == sum(archive.counts.values())


def test_a_purge_killed_mid_run_rolls_back_that_chunk_and_a_rerun_completes(
    world, family_with_work, monkeypatch
):
    archive = delete_account(world, world.ana)
    total = ArchivedRow.objects.filter(archive=archive).count()
    assert archive.counts == {
        "tenants.User": 1,
        "tenants.Membership": 1,
        "guardians.GuardianLink": 2,
    }
    assert total == 4
    monkeypatch.setattr(archive_module, "PURGE_CHUNK", 1)
    real_delete = QuerySet._raw_delete
    calls = []

    def failing_delete(self, using):
        calls.append(1)
        deleted = real_delete(self, using)
        if len(calls) == 2:
            raise RuntimeError("worker killed")  # after the delete, inside the chunk
        return deleted

    monkeypatch.setattr(QuerySet, "_raw_delete", failing_delete)
    with pytest.raises(RuntimeError):
        purge_archive(archive)
    assert ArchivedRow.objects.filter(archive=archive).count() == total - 1  # chunk 2 rolled back
    monkeypatch.setattr(QuerySet, "_raw_delete", real_delete)
    archive.refresh_from_db()
    assert archive.state == Archive.State.ARCHIVED
    assert purge_archive(archive) == total - 1
    assert purge_archive(archive) == 0
    assert ArchivedRow.objects.filter(archive=archive).count() == 0
    assert Archive.objects.get(id=archive.id).state == Archive.State.PURGED
