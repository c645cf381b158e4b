"""The right to be forgotten (PROMISES R5, R12): anonymise a family, keep the school's counts.

Design. `do_erase_family` carries out one ERASURE request in one transaction, for the requester
in the request's district: what identifies the family goes (their name, addresses, sign-in
methods, profile, links to children, invites, join requests, the text of messages sent only to
them, their outbox copies), and for each child of theirs who has no other guardian with access,
what identifies the child goes too (name, pupil number, roster id, date of birth, nickname), along
with everything the family sent (texts, answers, comments, ratings, photos and their files, and
the teacher's feedback on them). The rows that count stay, emptied: submissions (so completions,
points and participation are unchanged), delivery rows (time and outcome, the address blanked),
activity events (ids only). Nothing is kept that could re-identify them: no hash of a name or an
address (R12). Archived copies of their data are purged too. Files are deleted after the
transaction commits, so a rollback never loses a file that is still referenced. The family's
roster ids are tombstoned, as keyed hashes only, so that the district's next roster does not
bring them back (privacy.tombstones).

Re-running on a finished request does nothing (it is no longer OPEN); on a person already
erased, every step finds nothing left to change.
"""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from activities.models import BadgeAward, ChildProgress, Submission, SubmissionPhoto
from dashboards.actions import schedule_repair, schools_of_rows
from guardians.models import (
    Child,
    Enrollment,
    GuardianLink,
    GuardianProfile,
    Household,
    HouseholdMember,
    Invite,
    JoinRequest,
)
from notifications.models import Delivery, Message, NotificationPreference, OutboxEntry, Suppression
from privacy.archive import purge_archive
from privacy.audit import Actor, record_audit_event
from privacy.journal import FAMILY_ERASED, record_on_commit
from privacy.models import Archive, ArchivedRow, AuditEvent, PrivacyRequest
from privacy.requests import do_complete_request
from privacy.tombstones import do_record_erased_roster_ids
from tenants.models import Membership, Role, RosterPerson, User

ERASED_DOMAIN = "erased.invalid"
KEPT_ROSTER_IDS = (
    "the family's roster ids as keyed hashes only, so that the district's roster does not add "
    "them again"
)


@transaction.atomic
def do_erase_family(request: PrivacyRequest, *, actor: Actor) -> dict:
    """Carry out an open ERASURE request (see module); returns the certificate (counts)."""
    request = PrivacyRequest.objects.select_for_update().get(id=request.id)
    if request.status != PrivacyRequest.Status.OPEN:
        return request.certificate
    if request.requester_id is None:
        # The account was deleted for good before the request was carried out (a closure's
        # hold ended, or an admin's deletion was purged): with it went the links, so nothing
        # of the family is left to find. Close the request rather than leave it open forever.
        certificate = {"erased_at": timezone.now().isoformat(), "counts": {}, "note": "gone"}
        do_complete_request(
            request, response="account already deleted", certificate=certificate, actor=actor
        )
        return certificate
    user = User.objects.select_for_update().get(id=request.requester_id)
    district_id = request.district_id
    counts: dict[str, int] = {}
    child_ids = _children_to_erase(user.id, district_id)
    # The dashboards keep the family's counts (R5) but recount its groups: its disadvantage
    # status and contacts go.
    schedule_repair(schools_of_rows({Child: child_ids}))
    submission_ids = list(
        Submission.objects.filter(district_id=district_id)
        .filter(Q(guardian_id=user.id) | Q(child_id__in=child_ids))
        .values_list("id", flat=True)
    )
    files = _erase_submissions(district_id, submission_ids, counts)
    counts["roster_ids_blocked"] = _record_roster_ids(request, user.id, child_ids)
    _erase_children(district_id, child_ids, counts)
    _erase_messages(district_id, user.id, submission_ids, counts)
    _erase_person(user, district_id, counts)
    counts["archives"] = _purge_archives(district_id, user.id, child_ids)
    # Their requests keep kind, dates and status; their words and the school's answers go.
    counts["requests_emptied"] = (
        PrivacyRequest.objects.filter(district_id=district_id, requester_id=user.id)
        .exclude(details="", response="")
        .update(details="", response="")
    )
    kept = ["usage counts (submissions, points, deliveries: without content or address)"]
    if counts["roster_ids_blocked"]:
        kept.append(KEPT_ROSTER_IDS)
    certificate = {
        "erased_at": timezone.now().isoformat(),
        "counts": {k: v for k, v in sorted(counts.items()) if v},
        "categories": ["identity", "contact", "student_record", "content", "credential"],
        "kept": kept,
    }
    do_complete_request(request, response="erased", certificate=certificate, actor=actor)
    record_audit_event(
        actor=actor,
        action="family.erased",
        target=request,
        metadata={
            "children": len(child_ids),
            "files": len(files),
            "roster_ids": counts["roster_ids_blocked"],
        },
    )
    transaction.on_commit(lambda: _delete_files(files))
    # Outside the database, so that a restored backup can be erased again (privacy.journal).
    record_on_commit(FAMILY_ERASED, district_id=district_id, user_id=user.id, request_id=request.id)
    return certificate


def _children_to_erase(user_id: int, district_id: int) -> list[int]:
    """The requester's children in the district who have no other active guardian with access
    (a child another guardian still follows keeps their record; the requester's link and
    their own contributions still go)."""
    other_guardian = GuardianLink.objects.filter(
        child_id=OuterRef("id"), is_active=True, has_access=True
    ).exclude(guardian_id=user_id)
    return list(
        Child.objects.filter(district_id=district_id, guardian_links__guardian_id=user_id)
        .filter(~Exists(other_guardian))
        .values_list("id", flat=True)
        .distinct()
    )


def _erase_submissions(district_id, submission_ids, counts) -> list[str]:
    """Empty the family's submissions (theirs, and every one about an erased child), keeping
    the rows that count; delete their photos. Returns the file names to delete."""
    submissions = Submission.objects.filter(district_id=district_id, id__in=submission_ids)
    photos = SubmissionPhoto.objects.filter(
        district_id=district_id, submission__in=submissions.values("id")
    )
    files = [
        name for row in photos.values_list("upload", "image", "thumbnail") for name in row if name
    ]
    counts["photos"] = photos.delete()[0]
    counts["submissions_emptied"] = submissions.update(
        text="",
        answers={},
        comment="",
        rating=None,
        feedback="",
        is_shared=False,
        shared_by=None,
        shared_at=None,
        guardian=None,
    )
    return files


def _record_roster_ids(request: PrivacyRequest, user_id: int, child_ids: list[int]) -> int:
    """Tombstone the ids the district's roster knows the family by, before they are cleared."""
    district_id = request.district_id
    person_ids = RosterPerson.objects.filter(district_id=district_id, user_id=user_id)
    if _holds_staff_role(user_id, district_id):
        person_ids = person_ids.none()  # their employer's roster keeps them (see _erase_person)
    children = Child.objects.filter(district_id=district_id, id__in=child_ids)
    return do_record_erased_roster_ids(
        request,
        person_ids=list(person_ids.values_list("sourced_id", flat=True)),
        child_ids=list(children.exclude(sourced_id="").values_list("sourced_id", flat=True)),
    )


def _erase_children(district_id, child_ids, counts) -> None:
    now = timezone.now()
    counts["children"] = Child.objects.filter(district_id=district_id, id__in=child_ids).update(
        first_name="",
        last_name="",
        preferred_name="",
        pupil_number="",
        sourced_id="",
        # Keyed hashes go with their values: a hash of a date of birth would let anyone holding
        # the key and the date find the record again (R12).
        birth_date=None,
        birth_date_hash=None,
        is_disadvantaged=None,
        is_disadvantaged_hash=None,
        is_active=False,
        removed_at=now,
    )
    Enrollment.objects.filter(district_id=district_id, child_id__in=child_ids).update(
        is_active=False
    )
    ChildProgress.objects.filter(district_id=district_id, child_id__in=child_ids).update(
        nickname="", is_on_leaderboard=False
    )
    BadgeAward.objects.filter(district_id=district_id, child_id__in=child_ids).update(label="")
    counts["join_requests"] = JoinRequest.objects.filter(
        district_id=district_id, child_id__in=child_ids
    ).delete()[0]


def _erase_person(user: User, district_id: int, counts) -> None:
    """The person's own data in the district; the account itself when it is theirs alone."""
    addresses = [a for a in (user.email, user.phone) if a]
    counts["guardian_links"] = GuardianLink.objects.filter(
        district_id=district_id, guardian_id=user.id
    ).delete()[0]
    # A person who also works for the district keeps their staff role and roster record: their
    # employer keeps the account (processing restricted); only the family side goes.
    is_staff = _holds_staff_role(user.id, district_id)
    households = list(
        HouseholdMember.objects.filter(district_id=district_id, guardian_id=user.id).values_list(
            "household_id", flat=True
        )
    )
    for model, field in (
        (GuardianProfile, "guardian_id"),
        (HouseholdMember, "guardian_id"),
        (Invite, "guardian_id"),
        (JoinRequest, "requester_id"),
        *([] if is_staff else [(RosterPerson, "user_id")]),
    ):
        counts[model._meta.model_name] = model.objects.filter(
            district_id=district_id, **{field: user.id}
        ).delete()[0]
    # A household's label and address were theirs alone when no one else lives there now.
    counts["households"] = (
        Household.objects.filter(district_id=district_id, id__in=households)
        .filter(~Exists(HouseholdMember.objects.filter(household_id=OuterRef("id"))))
        .delete()[0]
    )
    Membership.objects.filter(district_id=district_id, user_id=user.id, role=Role.GUARDIAN).update(
        is_active=False, revoked_at=timezone.now()
    )
    counts["deliveries_anonymised"] = Delivery.objects.filter(
        district_id=district_id, recipient_id=user.id
    ).update(address="", recipient=None)
    counts["outbox"] = OutboxEntry.objects.filter(to__in=addresses).delete()[0]
    AuditEvent.objects.filter(actor_id=user.id).update(ip_address=None)
    if not Membership.objects.filter(user_id=user.id, is_active=True).exists():
        _anonymise_account(user, addresses, counts)


def _holds_staff_role(user_id: int, district_id: int) -> bool:
    return (
        Membership.objects.filter(district_id=district_id, user_id=user_id, is_active=True)
        .exclude(role=Role.GUARDIAN)
        .exists()
    )


def _erase_messages(district_id, user_id, submission_ids, counts) -> None:
    """Messages about the family held their names: those sent to them alone (invites, codes,
    notices) and the feedback on their work. The delivery rows keep time and outcome for the
    message log (R11), without the address (see _erase_person)."""
    personal = Message.objects.filter(district_id=district_id).filter(
        Q(audience__ids=[user_id], audience__type__in=["guardians", "people"])
        | Q(source_type="submission", source_id__in=[str(i) for i in submission_ids])
    )
    counts["messages_emptied"] = personal.update(content={}, body_purged_at=timezone.now())


def _anonymise_account(user: User, addresses: list[str], counts) -> None:
    """Nothing of the person stays on the account row; it can never sign in again."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from rest_framework.authtoken.models import Token

    for model in (EmailAddress, Authenticator, SocialAccount, Token):
        model.objects.filter(user_id=user.id).delete()
    NotificationPreference.objects.filter(user_id=user.id).delete()
    counts["suppressions"] = Suppression.objects.filter(address__in=addresses).delete()[0]
    user.email = f"erased-{user.id}@{ERASED_DOMAIN}"
    user.phone = None
    user.first_name = user.last_name = ""
    user.timezone = ""
    user.email_verified = user.phone_verified = False
    user.is_active = False
    user.set_unusable_password()
    user.save()  # the save signal drops the cached user: signed out on the next request
    counts["accounts"] = 1


def _purge_archives(district_id: int, user_id: int, child_ids: list[int]) -> int:
    """Archived copies of the family's data (a deleted submission, a deleted account) go for
    good now, not at the end of their restore window."""
    rows = ArchivedRow.objects.filter(district_id=district_id).filter(
        Q(model_label="tenants.user", object_id=str(user_id))
        | Q(data__refs__guardian=user_id)
        | Q(data__refs__child__in=child_ids)
    )
    archives = Archive.objects.filter(
        id__in=rows.values("archive_id"), state=Archive.State.ARCHIVED
    )
    purged = 0
    for archive in archives:
        purge_archive(archive)
        purged += 1
    return purged


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
