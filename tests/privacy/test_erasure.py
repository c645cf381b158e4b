"""The right to be forgotten (R5, R12): canaries planted in a family's data are gone from every
table, the archive and storage, while the school's counts stay exactly as they were."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import FieldError
from django.db import models
from django.db.models import TextField
from django.db.models.functions import Cast

from activities import media
from activities.actions.review import do_return_submission
from activities.models import Activity, ActivityEvent, ChildProgress, Submission, SubmissionPhoto
from activities.queries import staff
from guardians.models import Child, GuardianLink, GuardianProfile
from notifications.models import Delivery, OutboxEntry
from privacy.audit import Actor
from privacy.jobs import JOBS, run_job
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive, PrivacyRequest
from privacy.requests import do_create_request
from tenants.models import User
from tests.activities.helpers import scope_of, task_for
from tests.activities.test_media import image_upload, private_storage, submit

__all__ = ["private_storage"]

CANARIES = [
    "Quokkaflame",  # child's first name
    "Zephyrine",  # child's last name
    "PUP-CANARY-77",  # pupil number
    "SRC-CANARY-88",  # roster id
    "canary-guardian-q7x",  # the guardian's email
    "+15550009999",  # the guardian's phone
    "Wombatella",  # the guardian's first name
    "CANARY-TEXT-PANCAKE",  # what they wrote
    "CANARY-COMMENT",  # their comment on the activity
    "CANARY-FEEDBACK",  # the teacher's feedback to them
]


def tables_holding(text: str) -> list[str]:
    """`app.Model.field` of every text or JSON column of every table that contains `text`."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                try:
                    hit = model._base_manager.filter(**{f"{field.name}__contains": text}).exists()
                except FieldError:
                    continue  # an encrypted column refuses text lookups: it holds ciphertext
            elif isinstance(field, models.JSONField):
                hit = (
                    model._base_manager.annotate(_text=Cast(field.name, TextField()))
                    .filter(_text__contains=text)
                    .exists()
                )
            else:
                continue
            if hit:
                found.append(f"{model._meta.label}.{field.name}")
    return found


def school_counts(world) -> dict:
    submissions = Submission.objects.filter(school=world.a1)
    progress = ChildProgress.objects.filter(school=world.a1)
    return {
        "submissions": submissions.count(),
        "approved_or_returned": submissions.exclude(status="submitted").count(),
        "completions": sum(progress.values_list("completions", flat=True)),
        "points": sum(progress.values_list("points", flat=True)),
        "events": ActivityEvent.objects.filter(school=world.a1).count(),
        "deliveries": Delivery.objects.filter(district=world.lakeside).count(),
    }


@pytest.fixture
def planted(world, private_storage):
    """Ana's family, renamed to canaries, with work, feedback, a photo, a profile, messages."""
    ana = world.ana
    User.objects.filter(id=ana.id).update(
        first_name="Wombatella", email="canary-guardian-q7x@example.org", phone="+15550009999"
    )
    ana.refresh_from_db()
    Child.objects.filter(id=world.mia.id).update(
        first_name="Quokkaflame",
        last_name="Zephyrine",
        pupil_number="PUP-CANARY-77",
        sourced_id="SRC-CANARY-88",
    )
    GuardianProfile.objects.create(
        district=world.lakeside, guardian=ana, ethnicity="CANARY-ETHNICITY"
    )
    task = task_for(world)
    submission = submit(
        world,
        [image_upload("canary.png", color=(1, 2, 3))],
        activity=task,
        text="CANARY-TEXT-PANCAKE",
        comment="CANARY-COMMENT",
        rating=5,
    )
    for photo_id in SubmissionPhoto.objects.values_list("id", flat=True):
        media.process_photo(photo_id)
    do_return_submission(
        scope_of(world.priya),
        staff.access_submission(scope_of(world.priya), submission.id),
        feedback="CANARY-FEEDBACK: add a caption for Quokkaflame",
        actor=Actor(user=world.priya),
    )
    OutboxEntry.objects.create(
        channel="email", to=ana.email, subject="Welcome Wombatella", body="Hello Wombatella"
    )
    Delivery.objects.create(
        district=world.lakeside,
        message=submission_message(),
        recipient=ana,
        channel="sms",
        address=ana.phone,
    )
    # Another submission, already deleted by the teacher: its copy waits in the archive.
    other = submit(
        world,
        [],
        activity=task_for(world, response=Activity.Response.TEXT),
        text="CANARY-DELETED-DRAFT",
    )
    do_delete_with_restore(
        other,
        kind=Archive.Kind.SUBMISSION,
        district_id=world.lakeside.id,
        school_id=other.school_id,
        actor=Actor(user=world.priya),
        reason="duplicate",
    )
    return submission


def submission_message():
    from notifications.models import Message

    return Message.objects.order_by("id").last()


def erase(world):
    do_create_request(
        world.lakeside,
        kind=PrivacyRequest.Kind.ERASURE,
        requester=world.ana,
        actor=Actor(user=world.ana),
    )
    return run_job(JOBS["erasure"], world.lakeside)


def test_R5_erasure_canaries_are_gone_and_the_counts_stay(
    world, planted, private_storage, django_capture_on_commit_callbacks
):
    for canary in CANARIES:
        assert tables_holding(canary), f"{canary} was not planted"
    # A submission already deleted waits in the archive, sealed (no text to find), by its refs.
    assert tables_holding("CANARY-DELETED-DRAFT") == []
    assert Archive.objects.get(kind="submission").rows.filter(data__refs__child=world.mia.id)
    photo_files = sorted(p.name for p in private_storage.rglob("*") if p.is_file())
    assert len(photo_files) == 2  # the photo and its thumbnail
    counts_before = school_counts(world)

    with django_capture_on_commit_callbacks(execute=True):
        run = erase(world)

    assert run.outcome == "succeeded", run.error
    leftovers = {canary: tables_holding(canary) for canary in CANARIES}
    assert leftovers == {canary: [] for canary in CANARIES}
    assert [p for p in private_storage.rglob("*") if p.is_file()] == []
    assert school_counts(world) == counts_before
    assert run.counts["requests"] == 1
    assert run.counts["children"] == 2  # Mia (her father has no access) and Leo
    request = PrivacyRequest.objects.get(kind="erasure")
    assert request.status == "done"
    assert request.certificate["counts"]["photos"] == 1
    ana = User.objects.get(id=world.ana.id)
    assert (ana.is_active, ana.first_name, ana.phone) == (False, "", None)
    assert ana.email == f"erased-{ana.id}@erased.invalid"
    assert not ana.has_usable_password()
    assert not GuardianLink.objects.filter(guardian_id=ana.id).exists()
    # The optional profile is encrypted at rest (no text to find): its row is gone.
    assert not GuardianProfile.objects.filter(guardian_id=ana.id).exists()
    assert Archive.objects.get(kind="submission").state == "purged"


def test_R12_nothing_derived_from_an_erased_child_stays(world, private_storage):
    """No keyed hash of an erased child's date of birth or status remains to match them by."""
    from guardians.actions.manage import do_update_child

    for child in (world.mia, world.leo):
        do_update_child(
            Child.objects.get(id=child.id),
            birth_date=datetime.date(2019, 5, 5),
            is_disadvantaged=True,
            actor=Actor.system(),
        )
    hashed = Child.objects.filter(id=world.mia.id).values_list(
        "birth_date_hash", "is_disadvantaged_hash"
    )
    assert all(hashed.get())
    erase(world)
    assert (
        list(
            Child.objects.filter(id__in=[world.mia.id, world.leo.id]).values_list(
                "birth_date", "birth_date_hash", "is_disadvantaged", "is_disadvantaged_hash"
            )
        )
        == [(None, None, None, None)] * 2
    )


def test_R5_a_child_another_guardian_still_follows_keeps_their_record(world, private_storage):
    """Ben asks to be forgotten; Noah's other guardian with access keeps Noah."""
    from guardians.actions import do_link_guardian

    do_link_guardian(world.noah, world.ana, actor=Actor.system())
    do_create_request(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=Actor.system()
    )
    run = run_job(JOBS["erasure"], world.lakeside)
    assert run.counts.get("children", 0) == 0
    noah = Child.objects.get(id=world.noah.id)
    assert (noah.first_name, noah.is_active) == ("Noah", True)
    assert not GuardianLink.objects.filter(guardian_id=world.ben.id).exists()
    assert GuardianLink.objects.filter(guardian_id=world.ana.id, child=noah).exists()


def test_R5_erasure_runs_once(world, planted):
    erase(world)
    second = run_job(JOBS["erasure"], world.lakeside)
    assert (second.outcome, second.counts) == ("succeeded", {})


def test_R5_a_request_whose_account_is_already_gone_is_closed_not_left_open(world):
    from privacy.requests import do_create_request as create

    request = create(
        world.lakeside, kind=PrivacyRequest.Kind.ERASURE, requester=world.ben, actor=Actor.system()
    )
    PrivacyRequest.objects.filter(id=request.id).update(requester=None)  # account purged since
    run = run_job(JOBS["erasure"], world.lakeside)
    request.refresh_from_db()
    assert (run.outcome, request.status, request.response) == (
        "succeeded",
        "done",
        "account already deleted",
    )
