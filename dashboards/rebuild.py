"""Recount the rollups from the facts: the nightly repair, and after deletions and restores.

Idempotent: a second run finds nothing to change. Each function returns how many rows it had to
change (the drift it repaired), which the nightly run records.

- `rebuild_family_periods(school)`: first-time completions per child and period, from the
  submissions of the school's children. Sign-ins have no other record than the rows themselves:
  a row's `signed_in` is kept, and so are the school, classroom, grade and language of a row that
  exists (they are those of its first event).
- `recount_period_stats(school)`: the school's counters, from its family rows and activities.
- `refresh_school_snapshot(school)`: the school's families now (invited, connected, unreachable).
- `refresh_message_stats(message)`: one message's reach, from its deliveries.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, Sum

from dashboards.actions import COUNTERS
from dashboards.models import (
    Dim,
    FamilyPeriod,
    FamilyState,
    MessageStats,
    PeriodStats,
    Snapshot,
)
from dashboards.periods import keys_for, local_date

CHILD_CHUNK = 2000
BATCH = 5000
SNAPSHOT_COUNTERS = ("families", "invited", "connected", "no_contact", "opted_out", "not_accepted")


def rebuild_school(school) -> int:
    """Everything of one school, facts first: family rows, counters, snapshot."""
    drift = rebuild_family_periods(school)
    drift += recount_period_stats(school)
    drift += refresh_school_snapshot(school)
    return drift


def rebuild_district(district) -> int:
    from notifications.models import Message
    from tenants.models import School

    drift = 0
    for school in School.objects.filter(district=district).select_related("district"):
        drift += rebuild_school(school)
    drift += recount_period_stats(None, district=district)
    for message_id in Message.objects.filter(district=district).values_list("id", flat=True):
        drift += refresh_message_stats(message_id)
    return drift


def school_by_id(school_id: int):
    """The school a writer queued a recount for (None once it is deleted)."""
    from tenants.models import School

    return School.objects.filter(id=school_id).select_related("district").first()


def _timezone(school) -> str:
    return school.timezone or school.district.timezone


def _family_languages(child_ids, default: str) -> dict[int, str]:
    from guardians.models import GuardianLink

    languages = {}
    links = (
        GuardianLink.objects.filter(child_id__in=child_ids, is_active=True)
        .order_by("child_id", "id")
        .values_list("child_id", "guardian__preferred_language")
    )
    for child_id, language in links:
        languages.setdefault(child_id, language or default)
    return languages


def rebuild_family_periods(school) -> int:
    from activities.models import Submission
    from guardians.models import Child

    timezone_name = _timezone(school)
    default_language = school.district.default_language
    child_ids = list(
        Child.objects.filter(district_id=school.district_id, school_id=school.id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    drift = 0
    for start in range(0, len(child_ids), CHILD_CHUNK):
        chunk = child_ids[start : start + CHILD_CHUNK]
        with transaction.atomic():
            drift += _rebuild_children(
                school, chunk, timezone_name, default_language, Submission, Child
            )
    return drift


def _rebuild_children(school, child_ids, timezone_name, default_language, Submission, Child):
    grades = dict(Child.objects.filter(id__in=child_ids).values_list("id", "grade_level"))
    languages = _family_languages(child_ids, default_language)
    expected: dict[tuple[int, str], list] = {}
    latest = {}
    submissions = (
        Submission.objects.filter(district_id=school.district_id, child_id__in=child_ids)
        .order_by("submitted_at", "id")
        .values_list("child_id", "submitted_at", "school_id", "classroom_id")
    )
    for child_id, submitted_at, school_id, classroom_id in submissions.iterator(chunk_size=BATCH):
        latest[child_id] = submitted_at
        for key in keys_for(local_date(submitted_at, timezone_name)):
            row = expected.get((child_id, key))
            if row is None:
                expected[(child_id, key)] = [1, school_id, classroom_id]
            else:
                row[0] += 1
    existing = {
        (row.child_id, row.period): row
        for row in FamilyPeriod.objects.select_for_update().filter(child_id__in=child_ids)
    }
    to_create, to_update, to_delete = [], [], []
    for key, (completions, school_id, classroom_id) in expected.items():
        row = existing.get(key)
        if row is None:
            to_create.append(
                FamilyPeriod(
                    district_id=school.district_id,
                    child_id=key[0],
                    period=key[1],
                    school_id=school_id,
                    classroom_id=classroom_id,
                    grade=grades.get(key[0], ""),
                    language=languages.get(key[0], default_language),
                    completions=completions,
                )
            )
        elif row.completions != completions:
            row.completions = completions
            to_update.append(row)
    for key, row in existing.items():
        if key in expected:
            continue
        if not row.signed_in:
            to_delete.append(row.id)
        elif row.completions:
            row.completions = 0
            to_update.append(row)
    FamilyPeriod.objects.bulk_create(to_create, batch_size=BATCH)
    FamilyPeriod.objects.bulk_update(to_update, ["completions"], batch_size=BATCH)
    FamilyPeriod.objects.filter(id__in=to_delete).delete()
    _repair_states(school, latest)
    return len(to_create) + len(to_update) + len(to_delete)


def _repair_states(school, latest: dict) -> None:
    """Last activity is at least the child's latest submission (sign-ins only move it later):
    one read, then one insert and one update for the whole chunk."""
    states = {
        state.child_id: state
        for state in FamilyState.objects.filter(child_id__in=list(latest)).only(
            "id", "child_id", "last_active_at"
        )
    }
    missing, behind = [], []
    for child_id, moment in latest.items():
        state = states.get(child_id)
        if state is None:
            missing.append(
                FamilyState(
                    district_id=school.district_id,
                    child_id=child_id,
                    school_id=school.id,
                    last_active_at=moment,
                )
            )
        elif state.last_active_at < moment:
            state.last_active_at = moment
            behind.append(state)
    FamilyState.objects.bulk_create(missing, batch_size=BATCH, ignore_conflicts=True)
    FamilyState.objects.bulk_update(behind, ["last_active_at"], batch_size=BATCH)


def disadvantage_by_hash(district_id: int) -> dict[str | None, str]:
    from guardians.models import Child

    field = Child._meta.get_field("is_disadvantaged_hash")
    return {
        field.hash_value(True, district_id=district_id): "yes",
        field.hash_value(False, district_id=district_id): "no",
    }


def expected_period_stats(school, *, district=None) -> dict[tuple, dict[str, int]]:
    """{(period, dim, value): counters} of a school (None: district-wide activities)."""
    from activities.models import Activity

    district = district or school.district
    counts: dict[tuple, Counter] = defaultdict(Counter)
    if school is not None:
        by_hash = disadvantage_by_hash(district.id)
        families = (
            FamilyPeriod.objects.filter(district_id=district.id, school_id=school.id)
            .values("period", "classroom_id", "grade", "language", "child__is_disadvantaged_hash")
            .annotate(
                families_completed=Count("id", filter=Q(completions__gt=0)),
                completions_sum=Sum("completions"),
                families_active=Count("id", filter=Q(completions__gt=0) | Q(signed_in=True)),
            )
            .order_by()
        )
        for row in families:
            disadvantaged = by_hash.get(row["child__is_disadvantaged_hash"], "unknown")
            groups = [
                (Dim.ALL, ""),
                (Dim.CLASSROOM, str(row["classroom_id"] or "")),
                (Dim.GRADE, row["grade"]),
                (Dim.LANGUAGE, row["language"]),
                (Dim.DISADVANTAGED, disadvantaged),
            ]
            for dim, value in groups:
                counter = counts[(row["period"], dim, value)]
                counter["families_completed"] += row["families_completed"]
                counter["completions"] += row["completions_sum"] or 0
                counter["families_active"] += row["families_active"]
    activities = Activity.objects.filter(
        district_id=district.id, published_at__isnull=False, is_template=False
    )
    activities = activities.filter(school=school) if school else activities.filter(school=None)
    timezone_name = _timezone(school) if school else district.timezone
    for published_at in activities.values_list("published_at", flat=True):
        for key in keys_for(local_date(published_at, timezone_name)):
            counts[(key, Dim.ALL, "")]["activities_published"] += 1
    return {key: dict(counter) for key, counter in counts.items()}


def _replace_rows(model, existing: dict, expected: dict, make, fields) -> int:
    """Make the rows `existing` ({key: row}) hold `expected` ({key: {field: value}}): create the
    missing (`make(key, values)`), update those that differ, delete the rest. Returns how many
    rows changed (the drift)."""
    to_create, to_update = [], []
    for key, counters in expected.items():
        values = {name: counters.get(name, 0) for name in fields}
        row = existing.get(key)
        if row is None:
            to_create.append(make(key, values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            to_update.append(row)
    stale = [row.id for key, row in existing.items() if key not in expected]
    model.objects.bulk_create(to_create, batch_size=BATCH)
    model.objects.bulk_update(to_update, list(fields), batch_size=BATCH)
    model.objects.filter(id__in=stale).delete()
    return len(to_create) + len(to_update) + len(stale)


@transaction.atomic
def recount_period_stats(school, *, district=None) -> int:
    """Replace the school's counters that differ from a recount; returns how many changed."""
    district_id = school.district_id if school else district.id
    existing = {
        (row.period, row.dim, row.value): row
        for row in PeriodStats.objects.select_for_update().filter(
            district_id=district_id, school=school
        )
    }
    return _replace_rows(
        PeriodStats,
        existing,
        expected_period_stats(school, district=district),
        lambda key, values: PeriodStats(
            district_id=district_id,
            school=school,
            period=key[0],
            dim=key[1],
            value=key[2],
            **values,
        ),
        COUNTERS,
    )


@dataclass
class FamilyContacts:
    """The guardians of some children and how far each family is reached (four queries)."""

    links: dict[
        int, list[tuple]
    ]  # child id: (guardian id, language, email, phone, last login, active)
    invited: set[int]
    accepted: set[int]
    suppressed: set[str]

    def guardian_ids(self, child_id: int) -> list[int]:
        return sorted({link[0] for link in self.links.get(child_id, [])})

    def language(self, child_id: int, default: str) -> str:
        family = self.links.get(child_id)
        return (family[0][1] if family else "") or default

    def channel(self, child_id: int) -> str:
        """How the family can be reached: "sms", "email", "both" or "none" (an active guardian's
        phone or email that is not suppressed)."""
        usable = {
            kind
            for link in self.links.get(child_id, [])
            if link[5]
            for kind, address in (("email", link[2]), ("sms", link[3]))
            if address and address not in self.suppressed
        }
        return "both" if len(usable) == 2 else (usable.pop() if usable else "none")

    def status(self, child_id: int) -> Counter:
        """One family's counters: invited, connected, or why it cannot be reached."""
        family = self.links.get(child_id, [])
        status = Counter(families=1)
        reachable = [
            link
            for link in family
            if link[5] and any(a and a not in self.suppressed for a in link[2:4])
        ]
        if any(link[0] in self.invited or link[0] in self.accepted or link[4] for link in family):
            status["invited"] = 1
        if any(link[0] in self.accepted or link[4] for link in reachable):
            status["connected"] = 1
        elif not any(a for link in family for a in link[2:4]):
            status["no_contact"] = 1
        elif not reachable:
            status["opted_out"] = 1
        else:
            status["not_accepted"] = 1
        return status


def family_contacts(child_ids) -> FamilyContacts:
    from guardians.models import GuardianLink, Invite
    from notifications.models import Suppression

    links = defaultdict(list)
    rows = (
        GuardianLink.objects.filter(child_id__in=child_ids, is_active=True)
        .order_by("child_id", "id")
        .values_list(
            "child_id",
            "guardian_id",
            "guardian__preferred_language",
            "guardian__email",
            "guardian__phone",
            "guardian__last_login",
            "guardian__is_active",
        )
    )
    for child_id, *link in rows:
        links[child_id].append(tuple(link))
    guardian_ids = {link[0] for family in links.values() for link in family}
    invites = Invite.objects.filter(guardian_id__in=guardian_ids)
    addresses = {a for family in links.values() for link in family for a in link[2:4] if a}
    return FamilyContacts(
        links=dict(links),
        invited=set(invites.filter(revoked_at=None).values_list("guardian_id", flat=True)),
        accepted=set(
            invites.filter(accepted_at__isnull=False).values_list("guardian_id", flat=True)
        ),
        suppressed=set(
            Suppression.objects.filter(address__in=addresses).values_list("address", flat=True)
        ),
    )


def expected_snapshot(school) -> dict[tuple[str, str], Counter]:
    """{(dim, value): counters} of the school's current families (children on its roll)."""
    from guardians.models import Child, Enrollment

    children = list(
        Child.objects.filter(district_id=school.district_id, school_id=school.id, is_active=True)
        .order_by("id")
        .only("id", "grade_level", "is_disadvantaged", "district_id")
    )
    child_ids = [c.id for c in children]
    contacts = family_contacts(child_ids)
    classrooms = defaultdict(list)
    enrollments = Enrollment.objects.filter(
        child_id__in=child_ids, is_active=True, classroom__school_year__is_current=True
    ).values_list("child_id", "classroom_id")
    for child_id, classroom_id in enrollments:
        classrooms[child_id].append(classroom_id)
    default_language = school.district.default_language
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for child in children:
        status = contacts.status(child.id)
        language = contacts.language(child.id, default_language)
        groups = [
            (Dim.ALL, ""),
            (Dim.GRADE, child.grade_level),
            (Dim.LANGUAGE, language),
            (Dim.DISADVANTAGED, _disadvantage(child)),
            (Dim.CHANNEL, contacts.channel(child.id)),
        ]
        groups += [(Dim.CLASSROOM, str(c)) for c in sorted(set(classrooms.get(child.id, [])))]
        for group in groups:
            counts[group].update(status)
    return counts


def _disadvantage(child) -> str:
    from dashboards.actions import disadvantage_value

    return disadvantage_value(child)


@transaction.atomic
def refresh_school_snapshot(school) -> int:
    existing = {
        (row.dim, row.value): row
        for row in Snapshot.objects.select_for_update().filter(school_id=school.id)
    }
    return _replace_rows(
        Snapshot,
        existing,
        expected_snapshot(school),
        lambda key, values: Snapshot(
            district_id=school.district_id, school_id=school.id, dim=key[0], value=key[1], **values
        ),
        SNAPSHOT_COUNTERS,
    )


SENT = {"sent", "delivered", "opened", "clicked", "failed", "bounced"}
DELIVERED = {"delivered", "opened", "clicked"}
OPENED = {"opened", "clicked"}
FAILED = {"failed", "bounced"}


@transaction.atomic
def refresh_message_stats(message_id: int) -> int:
    from notifications.models import Delivery, Message

    message = Message.objects.filter(id=message_id).select_related("district", "school").first()
    if message is None:
        return 0
    counts: dict[str, Counter] = defaultdict(Counter)
    rows = (
        Delivery.objects.filter(district_id=message.district_id, message_id=message.id)
        .values("channel", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counter, status, n = counts[row["channel"]], row["status"], row["n"]
        counter["recipients"] += n
        counter["sent"] += n if status in SENT else 0
        counter["delivered"] += n if status in DELIVERED else 0
        counter["opened"] += n if status in OPENED else 0
        counter["failed"] += n if status in FAILED else 0
        counter["suppressed"] += n if status == "suppressed" else 0
    sent_at = message.fanned_out_at or message.queued_at or message.created_at
    timezone_name = (message.school and message.school.timezone) or message.district.timezone
    sent_on = local_date(sent_at, timezone_name)
    existing = {
        row.channel: row
        for row in MessageStats.objects.select_for_update().filter(message_id=message.id)
    }
    changed = 0
    names = ("recipients", "sent", "delivered", "opened", "failed", "suppressed")
    for channel, counter in counts.items():
        values = {name: counter.get(name, 0) for name in names}
        row = existing.pop(channel, None)
        if row is None:
            MessageStats.objects.create(
                district_id=message.district_id,
                school_id=message.school_id,
                message_id=message.id,
                channel=channel,
                sent_on=sent_on,
                **values,
            )
            changed += 1
        elif row.sent_on != sent_on or any(getattr(row, n) != v for n, v in values.items()):
            MessageStats.objects.filter(id=row.id).update(sent_on=sent_on, **values)
            changed += 1
    if existing:
        MessageStats.objects.filter(id__in=[r.id for r in existing.values()]).delete()
        changed += len(existing)
    return changed
