"""Replaying the erasure journal onto a restored database (manage.py replay_erasures).

Design. After a restore from a backup taken at T, the journal (privacy.journal) lists what was
erased or deleted since T; the restored tables still hold it. Replaying carries each one out
again, through the same actions, so everything they do happens again (files, tombstones of
roster ids, archives purged, timers). Run it before the restored database serves anyone: ids
written since the backup are free again in the restored sequences, and a new row could take one.

- Archives, per subject (an account, a child, a submission), by the subject's last event since T:
  created: deleted into the archive again, restorable until the original date (its purge timer
  set again), or purged at once when that date has passed; purged: deleted for good (archived
  first if the restored tables still hold it); restored: nothing is deleted, and the report says
  to restore it again if it was archived before the backup.
- Family erasures, and a school's or a district's data deleted at its request: carried out again
  through the same engine. The request is the journaled one when the restored database holds it
  (still open), else a new one noted as a replay.
- Districts disposed of after their contract ended: disposed of again (their notice goes again
  to the district's contact).

Safe to re-run: a subject already gone, an archive already purged and a request already done
are skipped, so a second replay changes nothing (it reports "done before").
"""

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from privacy.archive import archive_objects, purge_archive, purge_archives
from privacy.audit import Actor
from privacy.districts.contract import dispose_of_district
from privacy.districts.requests import carry_out_deletion_request
from privacy.erasure import do_erase_family
from privacy.journal import (
    ARCHIVE_CREATED,
    ARCHIVE_PURGED,
    ARCHIVE_RESTORED,
    DATA_DELETED,
    DISTRICT_DISPOSED,
    FAMILY_ERASED,
    read_entries,
)
from privacy.models import Archive, LifecycleTimer, PrivacyRequest
from privacy.requests import do_create_request
from privacy.timers import set_timer
from tenants.models import District, School, User

REPLAY_NOTE = "replayed from the erasure journal after a restore"


@dataclass
class Outcome:
    event: str
    subject: str  # "tenants.user 12", never a name
    result: str  # what the replay did, or why it did nothing


@dataclass
class Replay:
    since: datetime.datetime
    entries: int
    unreadable: int
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)


def replay_erasures(since: datetime.datetime, *, dry_run: bool = False) -> Replay:
    """Carry out again every erasure and deletion journaled at or after `since` (see module);
    with `dry_run`, only say what would be done (nothing is written)."""
    read = read_entries(since)
    replay = Replay(since=since, entries=len(read.entries), unreadable=read.unreadable)
    last_by_subject: dict[tuple, dict] = {}
    for entry in read.entries:
        if entry["event"] in (ARCHIVE_CREATED, ARCHIVE_PURGED, ARCHIVE_RESTORED):
            last_by_subject[(entry["subject_type"], entry["subject_id"])] = entry
    for entry in last_by_subject.values():
        replay.outcomes.append(_replay_archive(entry, dry_run))
    by_event = {
        FAMILY_ERASED: _replay_erasure,
        DATA_DELETED: _replay_data_deletion,
        DISTRICT_DISPOSED: _replay_disposal,
    }
    for entry in read.entries:
        if entry["event"] in by_event:
            replay.outcomes.append(by_event[entry["event"]](entry, dry_run))
    return replay


def _replay_archive(entry: dict, dry_run: bool) -> Outcome:
    subject = f"{entry['subject_type']} {entry['subject_id']}"
    event = entry["event"]
    model = apps.get_model(entry["subject_type"])
    # unscoped: the operator's recovery command, keyed by the journaled subject and district.
    live = model._base_manager.filter(id=entry["subject_id"]).first()
    archived = Archive.objects.filter(
        district_id=entry["district_id"],
        subject_type=entry["subject_type"],
        subject_id=entry["subject_id"],
        state=Archive.State.ARCHIVED,
    )
    if event == ARCHIVE_RESTORED:
        result = "restored since the backup: restore it again" if archived.exists() else "live"
        return Outcome(event, subject, result)
    restore_until = datetime.datetime.fromisoformat(entry["restore_until"])
    for_good = event == ARCHIVE_PURGED or restore_until <= timezone.now()
    if live is None and not (for_good and archived.exists()):
        return Outcome(event, subject, "done before")
    result = "purged" if for_good else "archived"
    if not dry_run:
        with transaction.atomic():
            if live is not None:
                _archive_again(live, entry, restore_until, for_good)
            else:
                purge_archives(list(archived.values_list("id", flat=True)))
    return Outcome(event, subject, result)


def _archive_again(subject, entry: dict, restore_until, for_good: bool) -> None:
    archive = archive_objects(
        [subject],
        kind=entry["kind"],
        district_id=entry["district_id"],
        school_id=entry["school_id"],
        restore_until=restore_until,
        reason=REPLAY_NOTE,
    )
    if for_good:
        purge_archive(archive)
    else:
        set_timer(
            kind=LifecycleTimer.Kind.ARCHIVE_PURGE,
            subject=archive,
            due_at=restore_until,
            district_id=entry["district_id"],
            school_id=entry["school_id"],
        )


def _replay_erasure(entry: dict, dry_run: bool) -> Outcome:
    subject = f"tenants.user {entry['user_id']}"
    # unscoped: the operator's recovery command, keyed by the journaled user and district.
    user = User.objects.filter(id=entry["user_id"]).first()
    district = District.objects.filter(id=entry["district_id"]).first()
    if user is None or district is None:
        return Outcome(FAMILY_ERASED, subject, "done before")
    requests = PrivacyRequest.objects.filter(
        district_id=district.id, requester_id=user.id, kind=PrivacyRequest.Kind.ERASURE
    )
    if _is_done(requests, entry):
        return Outcome(FAMILY_ERASED, subject, "done before")
    if not dry_run:
        with transaction.atomic():
            request = _open_request(requests, district, PrivacyRequest.Kind.ERASURE, user=user)
            do_erase_family(request, actor=Actor.system())
    return Outcome(FAMILY_ERASED, subject, "erased")


def _replay_data_deletion(entry: dict, dry_run: bool) -> Outcome:
    """A school's or a district's data deleted at its request: the deletion engine again (it
    resumes and skips what is gone), under the journaled request or a new one."""
    kind, school_id = entry["kind"], entry["school_id"]
    subject = (
        f"tenants.school {school_id}" if school_id else f"tenants.district {entry['district_id']}"
    )
    district = District.objects.filter(id=entry["district_id"]).first()
    school = School.objects.filter(id=school_id, district_id=entry["district_id"]).first()
    if district is None or (school_id and school is None):
        return Outcome(DATA_DELETED, subject, "done before")
    # unscoped: the operator's recovery command, keyed by the journaled district.
    requests = PrivacyRequest.objects.filter(district_id=district.id, kind=kind)
    requests = requests.filter(school_id=school_id) if school_id else requests
    if _is_done(requests, entry):
        return Outcome(DATA_DELETED, subject, "done before")
    if not dry_run:
        request = _open_request(requests, district, kind, school=school)
        carry_out_deletion_request(request.id, now=timezone.now(), job="replay")
    return Outcome(DATA_DELETED, subject, "deleted")


def _is_done(requests, entry: dict) -> bool:
    """The journaled request is done in this database, or a replay already did it again."""
    done = requests.filter(status=PrivacyRequest.Status.DONE)
    return (
        done.filter(id=entry["request_id"]).exists()
        or done.filter(completed_at__gte=entry["at"]).exists()
    )


def _open_request(requests, district, kind: str, *, user=None, school=None) -> PrivacyRequest:
    """The request still open in this database, or a new one noted as a replay."""
    return requests.filter(status=PrivacyRequest.Status.OPEN).first() or do_create_request(
        district,
        kind=kind,
        requester=user,
        school=school,
        details=REPLAY_NOTE,
        actor=Actor.system(),
    )


def _replay_disposal(entry: dict, dry_run: bool) -> Outcome:
    """A district disposed of after its contract ended: disposed of again if it is back."""
    subject = f"tenants.district {entry['district_id']}"
    district = District.objects.filter(id=entry["district_id"]).first()
    if district is None:
        return Outcome(DISTRICT_DISPOSED, subject, "done before")
    if not dry_run:
        dispose_of_district(district, now=timezone.now(), job="replay")
    return Outcome(DISTRICT_DISPOSED, subject, "disposed")
