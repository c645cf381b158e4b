"""Deleting a school's or a district's data in chunks: the engine of R7 and R8.

What. A Target says what goes: one school's rows (a school deletion request), the district's data
but not the district itself, its settings or its admins (a district deletion request), or
everything of the district (disposal after the contract ends). `DeletionRun.run` deletes it in
three phases, then the caller finishes (the school or district row, the certificate, the notice):

1. Content: the target's rows of every model but those that place a person in the district
   (memberships, guardian links, invites, join requests, consents...) and what they cascade
   from (children, classrooms, schools...). Going first, the bulk (submissions, deliveries,
   events) is gone before any account is deleted, so no deletion of a person has thousands of
   their references to set to NULL in rows that are about to go anyway.
2. People, by user id: everyone those remaining rows name. A person whom nothing outside the
   target holds in the district (for disposal: everyone) loses every row of theirs in the
   district, and the district's other delivery rows keep time and outcome without their address.
   Their account goes too, unless a row of another district names them (people span districts: a
   teacher here may be a parent there) or they are a platform operator.
3. Rows: what is left of the target.

Rows go model by model in an order where rows that point at others go first (a topological order
of the foreign keys), so what cascades from a chunk stays small; each model's rows by id, CHUNK at
a time: the first CHUNK ids left (a deleted row leaves the head of the ordered query, so no
OFFSET), one transaction per chunk, through Django's deletion collector so that SET_NULL and
cascades stay right. A chunk's files (file fields, an archive's list, a roster upload) are
deleted from storage before its transaction: a chunk that rolls back leaves rows whose files are
gone, which the rerun deletes; never a file that no row names.

Why this is safe to re-run. The progress (the phase, the last person handled, counts per table) is
a small ledger in one JSON field (the request's certificate, or the platform's disposal record)
written in the same transaction as each chunk, so a run killed anywhere resumes after the last
committed chunk with exact counts, and a finished target does nothing. No transaction spans more
than one chunk; the longest is recorded (`longest_chunk_ms`) for operators. Other districts are
never touched: every query names the target's district, and an account is deleted only when no
row of another district names it.
"""

import datetime
import logging
import time
from dataclasses import dataclass
from functools import cache
from graphlib import TopologicalSorter

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Q, QuerySet

from guardians.models import GuardianLink, Invite, JoinRequest
from notifications.models import Delivery, DistrictMessagingSettings, OutboxEntry
from privacy.classification import Category, our_models, personal_fields
from privacy.models import (
    Archive,
    AuditEvent,
    ErasedRosterId,
    LifecycleTimer,
    PolicyVersion,
    PrivacyRequest,
    PrivacySettings,
    RetentionRun,
)
from tenants import roles
from tenants.models import (
    District,
    DistrictSignInProvider,
    Membership,
    Role,
    RosterImportRun,
    School,
    SchoolYear,
    User,
)

logger = logging.getLogger(__name__)
CHUNK = 1000
PEOPLE_CHUNK = 100

# A district's own deletion request keeps the district working: its configuration stays, and
# so do the erasure tombstones (keyed hashes only), or its next roster would bring back the
# families erased at their request (R5).
KEPT_WITH_DISTRICT = frozenset(
    {
        SchoolYear,
        PolicyVersion,
        DistrictMessagingSettings,
        DistrictSignInProvider,
        RetentionRun,
        LifecycleTimer,
        ErasedRosterId,
    }
)
# Where files live besides file fields: an archive's list of names, a roster upload in waiting.
FILE_LISTS = {Archive: "files"}
FILE_PATHS = {RosterImportRun: "upload_path"}
# Tables of other apps that go with an account (Django, allauth, DRF), by what they hold.
OTHER_CATEGORIES = {
    "account.EmailAddress": Category.CONTACT,
    "account.EmailConfirmation": Category.CONTACT,
    "mfa.Authenticator": Category.CREDENTIAL,
    "authtoken.Token": Category.CREDENTIAL,
    "socialaccount.SocialAccount": Category.IDENTITY,
    "socialaccount.SocialToken": Category.CREDENTIAL,
    "admin.LogEntry": Category.SECURITY,
}


class DeletionStuck(Exception):
    """A chunk deleted nothing: something keeps re-creating or protecting the rows."""


@dataclass(frozen=True)
class Target:
    """What a deletion removes: a school's rows, or a district's (keeping the district for R7)."""

    district_id: int
    school_id: int | None = None
    keeps_district: bool = True
    # The request being carried out: its own row and audit events stay.
    request_id: int | None = None

    @classmethod
    def disposal(cls, district_id: int) -> "Target":
        return cls(district_id=district_id, keeps_district=False)

    def rows(self, model) -> QuerySet | None:
        """This target's rows of `model`, or None when the target has none of that model."""
        if model in (District, User) or _district_field(model) is None:
            return None
        if not self.keeps_district:
            if model in (RetentionRun, LifecycleTimer):
                return None  # removed with the district row, last (contract.py)
            return model._base_manager.filter(district_id=self.district_id)
        rows = self._kept_rows_excluded(model)
        if rows is None or self.school_id is None:
            return rows
        condition = _school_condition(model, self.district_id, self.school_id)
        return None if condition is None else rows.filter(condition)

    def _kept_rows_excluded(self, model) -> QuerySet | None:
        if self.school_id is None and model in KEPT_WITH_DISTRICT:
            return None
        if model is School and self.school_id is not None:
            return None  # the school row goes last, with the certificate (requests.py)
        rows = model._base_manager.filter(district_id=self.district_id)
        if model is PrivacyRequest:
            rows = rows.exclude(id=self.request_id)
        elif model is AuditEvent:
            rows = rows.exclude(
                target_type="privacy.privacyrequest", target_id=str(self.request_id)
            )
        elif model is Membership and self.school_id is None:
            rows = rows.exclude(role__in=district_admin_roles())
        elif model is PrivacySettings and self.school_id is None:
            rows = rows.filter(school__isnull=False)
        return rows

    def people_ids(self, after: int) -> list[int]:
        """Ids (> after, ascending) of everyone the target's rows name as their own."""
        found: set[int] = set()
        for model, field in person_columns():
            rows = self.rows(model)
            if rows is not None:
                found.update(
                    rows.filter(**{f"{field.attname}__gt": after}).values_list(
                        field.attname, flat=True
                    )
                )
        return sorted(found)


def district_admin_roles() -> list[str]:
    """Roles that administer a district's privacy district-wide (they receive its notices)."""
    return [
        role
        for role in Role.values
        if roles.is_district_wide(role) and roles.Cap.PRIVACY_ADMIN in roles.capabilities_for(role)
    ]


def _district_field(model):
    for field in model._meta.concrete_fields:
        if field.name == "district" and field.is_relation and field.related_model is District:
            return field
    return None


def _has_school(model) -> bool:
    return any(
        f.name == "school" and f.is_relation and f.related_model is School
        for f in model._meta.concrete_fields
    )


def _school_condition(model, district_id: int, school_id: int) -> Q | None:
    """Rows of `model` that belong to the school: its `school` column, or a parent that cascades
    to them (a guardian link's child, a delivery's message, a question's activity)."""
    condition, found = Q(), False
    if _has_school(model):
        condition |= Q(school_id=school_id)
        found = True
    for field in model._meta.concrete_fields:
        parent = field.related_model
        if (
            field.many_to_one
            and parent not in (School, District, model)
            and field.remote_field.on_delete is models.CASCADE
            and _has_school(parent)
        ):
            parents = parent._base_manager.filter(district_id=district_id, school_id=school_id)
            condition |= Q(**{f"{field.attname}__in": parents.values("id")})
            found = True
    return condition if found else None


@cache
def deletion_order() -> list[type[models.Model]]:
    """Our models, each after every model that points at it (so children go first)."""
    listed = our_models()
    ours = set(listed)
    sorter = TopologicalSorter()
    for model in listed:  # a list, not the set: the same order in every process
        sorter.add(model)
        for field in model._meta.concrete_fields:
            parent = field.related_model
            if field.is_relation and parent in ours and parent is not model:
                sorter.add(parent, model)
    return list(sorter.static_order())


@cache
def person_columns() -> list[tuple[type[models.Model], models.Field]]:
    """(model, field) of district rows that belong to a person: deleted with them (CASCADE)."""
    return [
        (model, field)
        for model in deletion_order()
        if _district_field(model) is not None
        for field in model._meta.concrete_fields
        if field.many_to_one
        and field.related_model is User
        and field.remote_field.on_delete is models.CASCADE
    ]


@cache
def people_models() -> frozenset[type[models.Model]]:
    """Models whose rows place a person in a district (person_columns), and the models they
    cascade from (a guardian link's child, a membership's school): kept until the people phase,
    which finds everyone through them."""
    ours = set(deletion_order())
    kept = {model for model, _field in person_columns()}
    waiting = list(kept)
    while waiting:
        model = waiting.pop()
        for field in model._meta.concrete_fields:
            parent = field.related_model
            if (
                field.many_to_one
                and parent in ours
                and parent not in (District, User, model, *kept)
                and field.remote_field.on_delete in (models.CASCADE, models.PROTECT)
            ):
                kept.add(parent)
                waiting.append(parent)
    return frozenset(kept)


@cache
def user_columns() -> list[tuple[type[models.Model], models.Field]]:
    """(model, field) of every district row that names a person, whatever its on_delete."""
    return [
        (model, field)
        for model in deletion_order()
        if _district_field(model) is not None
        for field in model._meta.concrete_fields
        if field.many_to_one and field.related_model is User
    ]


def family_roles() -> list[str]:
    return [role for role in Role.values if roles.is_family_role(role)]


# What holds a person in a district besides the target: a staff role, a child, a pending join
# or invitation. The rest of a person's district rows (profile, household, consents, a
# guardian's membership) hang off these and go when none is left.
def _anchors():
    return (
        (Membership, "user_id", ~Q(role__in=family_roles())),
        (GuardianLink, "guardian_id", Q()),
        (JoinRequest, "requester_id", Q()),
        (Invite, "guardian_id", Q()),
    )


class Ledger:
    """A deletion's progress in one JSON field of one row, written with each chunk."""

    def __init__(self, model, row_id: int, field: str):
        self.model, self.row_id, self.field = model, row_id, field
        data = model._base_manager.filter(id=row_id).values_list(field, flat=True).get()
        self.data = dict(data or {})
        self.progress = self.data.setdefault("progress", {})
        for key, value in (
            ("phase", "content"),
            ("people_after", 0),
            ("counts", {}),
            ("files", 0),
            ("accounts_deleted", 0),
            ("accounts_kept", 0),
            ("deliveries_anonymised", 0),
            ("longest_chunk_ms", 0),
        ):
            self.progress.setdefault(key, value)

    def add(self, counts: dict[str, int]) -> None:
        totals = self.progress["counts"]
        for label, count in counts.items():
            if count:
                totals[label] = totals.get(label, 0) + count

    def checkpoint(self, started: float | None = None) -> None:
        """Write the progress (inside the chunk's transaction: they commit together)."""
        if started is not None:
            took = round((time.monotonic() - started) * 1000)
            self.progress["longest_chunk_ms"] = max(self.progress["longest_chunk_ms"], took)
        self.model._base_manager.filter(id=self.row_id).update(**{self.field: self.data})


class DeletionRun:
    """Delete a target's people and rows (see the module), resuming from the ledger."""

    def __init__(self, target: Target, ledger: Ledger):
        self.target, self.ledger = target, ledger

    @property
    def progress(self) -> dict:
        return self.ledger.progress

    def run(self) -> dict:
        """The three phases; returns the progress (counts so far). Raises on a failed chunk."""
        steps = {
            "content": lambda: self._rows_phase(skip=people_models()),
            "people": self._people_phase,
            "rows": self._rows_phase,
        }
        following = dict(zip(steps, [*list(steps)[1:], "finishing"], strict=True))
        for phase, step in steps.items():
            if self.progress["phase"] == phase:
                step()
                self.progress["phase"] = following[phase]
                with transaction.atomic():
                    self.ledger.checkpoint()
        return self.progress

    # --- people ------------------------------------------------------------------------------

    def _people_phase(self) -> None:
        candidates = self.target.people_ids(self.progress["people_after"])
        for start in range(0, len(candidates), PEOPLE_CHUNK):
            user_ids = candidates[start : start + PEOPLE_CHUNK]
            started = time.monotonic()
            with transaction.atomic():
                self._handle_people(user_ids)
                self.progress["people_after"] = user_ids[-1]
                self.ledger.checkpoint(started)

    def _handle_people(self, user_ids: list[int]) -> None:
        district_id = self.target.district_id
        leaving = user_ids
        if self.target.keeps_district:
            held = self._held_elsewhere_in_district(user_ids)
            leaving = [user_id for user_id in user_ids if user_id not in held]
            for model, field in person_columns():
                rows = model._base_manager.filter(
                    district_id=district_id, **{f"{field.attname}__in": leaving}
                )
                self.ledger.add(rows.delete()[1])
            self.progress["deliveries_anonymised"] += Delivery.objects.filter(
                district_id=district_id, recipient_id__in=leaving
            ).update(address="", recipient=None)
        deleted = self._delete_accounts(leaving)
        self.progress["accounts_deleted"] += len(deleted)
        self.progress["accounts_kept"] += len(user_ids) - len(deleted)

    def _held_elsewhere_in_district(self, user_ids: list[int]) -> set[int]:
        held: set[int] = set()
        for model, column, condition in _anchors():
            rows = model._base_manager.filter(
                condition, district_id=self.target.district_id, **{f"{column}__in": user_ids}
            )
            target_rows = self.target.rows(model)
            if target_rows is not None:
                rows = rows.exclude(id__in=target_rows.values("id"))
            held.update(rows.values_list(column, flat=True))
        return held

    def _delete_accounts(self, user_ids: list[int]) -> list[int]:
        """Delete the accounts that nothing outside this district names; returns their ids."""
        if not user_ids:
            return []
        kept = named_in_other_districts(user_ids, self.target.district_id)
        kept.update(
            User.objects.filter(id__in=user_ids)
            .filter(Q(is_staff=True) | Q(is_superuser=True))
            .values_list("id", flat=True)
        )
        gone = [user_id for user_id in user_ids if user_id not in kept]
        if gone:
            addresses = [
                address
                for pair in User.objects.filter(id__in=gone).values_list("email", "phone")
                for address in pair
                if address
            ]
            # The local outbox keeps copies of what was sent to them (embedded mode only).
            self.ledger.add(OutboxEntry.objects.filter(to__in=addresses).delete()[1])
            self.ledger.add(User.objects.filter(id__in=gone).delete()[1])
        return gone

    # --- rows --------------------------------------------------------------------------------

    def _rows_phase(self, skip=frozenset()) -> None:
        for model in deletion_order():
            rows = None if model in skip else self.target.rows(model)
            if rows is None:
                continue
            while ids := list(rows.order_by("id").values_list("id", flat=True)[:CHUNK]):
                self._delete_chunk(model, ids)

    def _delete_chunk(self, model, ids: list[int]) -> None:
        files = file_names(model, ids)
        delete_files(files)
        started = time.monotonic()
        with transaction.atomic():
            deleted, by_label = model._base_manager.filter(id__in=ids).delete()
            if not deleted:
                raise DeletionStuck(f"{model._meta.label}: nothing deleted from {len(ids)} ids")
            self.ledger.add(by_label)
            self.progress["files"] += len(files)
            self.ledger.checkpoint(started)


def named_in_other_districts(user_ids: list[int], district_id: int) -> set[int]:
    """Of `user_ids`, the people a row of another district names (their account stays)."""
    named: set[int] = set()
    for model, field in user_columns():
        named.update(
            model._base_manager.filter(
                **{f"{field.attname}__in": user_ids}, district_id__isnull=False
            )
            .exclude(district_id=district_id)
            .values_list(field.attname, flat=True)
        )
    return named


def file_names(model, ids: list[int]) -> list[str]:
    """Names in storage of the files these rows hold."""
    columns = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    if model in FILE_PATHS:
        columns.append(FILE_PATHS[model])
    names = []
    if columns:
        for row in model._base_manager.filter(id__in=ids).values_list(*columns):
            names.extend(str(name) for name in row if name)
    if model in FILE_LISTS:
        for listed in model._base_manager.filter(id__in=ids).values_list(
            FILE_LISTS[model], flat=True
        ):
            names.extend(listed or [])
    return names


def delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)  # a file already gone is not an error: a rerun


def certificate_body(progress: dict) -> dict:
    """What a certificate says of a finished deletion: counts by table and by category of
    personal data, files, accounts; never any content."""
    tables = {label: count for label, count in sorted(progress["counts"].items()) if count}
    by_category: dict[str, int] = {}
    for label, count in tables.items():
        for category in categories_of(label):
            by_category[category] = by_category.get(category, 0) + count
    return {
        "counts": tables,
        "category_counts": dict(sorted(by_category.items())),
        "categories": sorted(by_category),
        "files": progress["files"],
        "accounts_deleted": progress["accounts_deleted"],
        "accounts_kept": progress["accounts_kept"],
        "deliveries_anonymised": progress["deliveries_anonymised"],
        "longest_chunk_ms": progress["longest_chunk_ms"],
    }


def categories_of(label: str) -> set[str]:
    """Categories of personal data a table's rows hold (none for a table of settings)."""
    from django.apps import apps

    if label in OTHER_CATEGORIES:
        return {str(OTHER_CATEGORIES[label])}
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return set()
    if not hasattr(model, "data_classification"):
        return set()
    return {str(category) for category in personal_fields(model).values()}


def iso(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None
