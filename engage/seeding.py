"""A realistic district at a chosen size, for benchmarks and for trying the product at scale.

What: `seed_scale(spec, slug=..., seed=...)` builds one district: schools, classrooms (grades
spread), a teacher each, families of 1-3 children with 1-2 guardians (en/es, email-only,
SMS-only or both, some never joined, sign-ins over the past months), some children recorded as
disadvantaged (encrypted, with keyed hashes), activities per classroom over the school year
(published, some closed, due dates), exactly `spec.submissions` submissions with a participation
skew (very active, occasional, never), progress rows, and announcements with deliveries.

How: the district, its year and schools go through the actions (audited); the volume goes in by
PostgreSQL COPY (bulk_create elsewhere) with the tenant columns copied from the parent rows and
every field prepared by the model field itself, so encrypted columns hold ciphertext and their
keyed hashes are filled. One transaction: an interrupted seed leaves nothing behind.

Safe to re-run: an existing district is refused unless `replace=True`, and only a district this
module seeded (its name says so) is ever replaced. Seeded people are at `@<slug>.seed.invalid`.
"""

import datetime
import random
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction
from django.utils import timezone

from activities.models import (
    Activity,
    ActivityEvent,
    ActivityTarget,
    BadgeAward,
    ChildProgress,
    Question,
    SchoolActivitySettings,
    Submission,
    SubmissionPhoto,
)
from guardians.models import Child, Enrollment, GuardianLink
from notifications.models import (
    STATUS_RANK,
    Delivery,
    Kind,
    Message,
    NotificationPreference,
)
from privacy.actions import do_ensure_policy_version
from privacy.audit import Actor
from privacy.models import Consent, PolicyVersion
from tenants.actions import do_create_district, do_create_school, do_create_school_year
from tenants.models import Classroom, District, Membership, Role, School, User

NAME_PREFIX = "Engage seed"
BATCH_SIZE = 2000
COPY_BATCH = 20_000
SYSTEM = Actor.system()
GRADES = ["K", "01", "02", "03", "04", "05"]
FIRST_NAMES = [
    "Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gus", "Hana", "Ian", "Jade", "Kofi",
    "Lucia", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Yusuf",
]  # fmt: skip
LAST_NAMES = [
    "Nguyen", "Okafor", "Silva", "Kowalski", "Haddad", "Lund", "Moreau", "Tanaka", "Garcia",
    "Hernandez", "Smith", "Johnson", "Lopez", "Martinez", "Brown", "Kim", "Patel", "Ali",
]  # fmt: skip
ANNOUNCEMENTS_PER_SCHOOL = 3
ENGAGEMENT = [(0.15, 0.0), (0.25, 5.0), (0.60, 1.0)]  # (share of families, relative activity)


@dataclass(frozen=True)
class ScaleSpec:
    """How many of each the seeded district holds."""

    schools: int
    classrooms: int
    children: int
    guardians: int
    submissions: int
    activities_per_classroom: int = 0  # 0: enough for the submissions, at least 8

    def __post_init__(self):
        if min(self.schools, self.classrooms, self.children, self.guardians) < 1:
            raise ValueError("Schools, classrooms, children and guardians must be at least 1.")
        if self.classrooms < self.schools:
            raise ValueError("Every school needs a classroom: classrooms >= schools.")
        if not self.children / 3 <= self.guardians <= 2 * self.children:
            raise ValueError("Families have 1-3 children and 1-2 guardians: check the counts.")

    @property
    def activities(self) -> int:
        if self.activities_per_classroom:
            return self.activities_per_classroom
        return max(8, -(-3 * self.submissions // (2 * self.children)))


SCALE_SPECS = {
    "tiny": ScaleSpec(schools=2, classrooms=6, children=30, guardians=40, submissions=200),
    "small": ScaleSpec(
        schools=4, classrooms=40, children=1_000, guardians=1_500, submissions=40_000
    ),
    "district": ScaleSpec(
        schools=50, classrooms=2_000, children=50_000, guardians=75_000, submissions=2_000_000
    ),
}


class SeedError(Exception):
    """The seed cannot go ahead; the message says why."""


def seed_label(slug: str, seed: int) -> str:
    return f"{NAME_PREFIX} {slug} (seed {seed})"


def email_domain(slug: str) -> str:
    return f"{slug}.seed.invalid"


def seed_scale(
    spec: ScaleSpec,
    *,
    slug: str,
    seed: int = 1,
    replace: bool = False,
    write: Callable[[str], None] = print,
) -> District:
    """Build the district `slug` at `spec`; raises SeedError if it exists and may not go."""
    started = time.monotonic()
    with transaction.atomic():
        existing = District.objects.filter(slug=slug).first()
        if existing is not None:
            if not replace:
                raise SeedError(f"District {slug!r} exists; pass --replace to rebuild it.")
            if not existing.name.startswith(NAME_PREFIX):
                raise SeedError(f"District {slug!r} was not seeded by seed_scale; not replacing.")
            write(f"Removing district {slug!r}.")
            delete_seeded_district(existing)
        district = _Seeder(spec, slug=slug, seed=seed, write=write, started=started).run()
    analyze()
    write(f"Seeded district {slug!r} in {time.monotonic() - started:.1f} s.")
    return district


@transaction.atomic
def delete_seeded_district(district: District) -> None:
    """Every row of a seeded district, leaf tables first with plain DELETEs, then its people."""
    delete_activity_rows(district)
    _delete_rows(
        district,
        (Delivery, Message, Consent, PolicyVersion, Enrollment, GuardianLink, Membership),
    )
    _delete_rows(district, (Child, Classroom))
    domain = email_domain(district.slug)
    district.delete()
    # scope-exempt: seeded people are found by their reserved email domain, this district's only.
    NotificationPreference.objects.filter(user__email__endswith=f"@{domain}").delete()
    User.objects.filter(email__endswith=f"@{domain}").delete()


def delete_activity_rows(district: District) -> None:
    """Every activity row of the district (2,000,000 submissions at scale): plain DELETEs, leaf
    tables first, before any ORM cascade would load them."""
    _delete_rows(
        district,
        (
            BadgeAward,
            SubmissionPhoto,
            ActivityEvent,
            Submission,
            ChildProgress,
            Question,
            ActivityTarget,
            Activity,
            SchoolActivitySettings,
        ),
    )


def _delete_rows(district: District, models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE district_id = %s", [district.id])  # noqa: S608


def analyze() -> None:
    """Fresh planner statistics after bulk inserts."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def insert_rows(model, instances: Iterable) -> int:
    """Insert unsaved instances (their ids set); COPY on PostgreSQL, bulk_create elsewhere.

    Each value is what the field itself would save (`pre_save`, `get_db_prep_save`): encrypted
    fields write ciphertext, keyed hashes are computed, defaults apply."""
    count = 0
    for chunk in _chunks(instances, COPY_BATCH):
        if connection.vendor == "postgresql":
            _copy_chunk(model, chunk)
        else:
            model.objects.bulk_create(chunk, batch_size=BATCH_SIZE)
        count += len(chunk)
    return count


def _chunks(items: Iterable, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _copy_chunk(model, chunk: list) -> None:
    fields = model._meta.concrete_fields
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(chunk)],
        )
        for instance, (new_id,) in zip(chunk, cursor.fetchall(), strict=True):
            setattr(instance, pk.attname, new_id)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for instance in chunk:
                # As bulk_create does: a related object assigned before it had an id lends it now.
                instance._prepare_related_fields_for_save(operation_name="insert_rows")
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
                )


@dataclass
class _Family:
    number: int
    school: School
    guardians: list
    children: list  # [(Child, Classroom)]
    language: str
    channels: str
    engagement: float


class _Seeder:
    def __init__(self, spec: ScaleSpec, *, slug: str, seed: int, write, started: float):
        self.spec, self.slug, self.seed, self.write = spec, slug, seed, write
        self.rng = random.Random(seed)
        self.now = timezone.now().replace(microsecond=0)
        self.started = started
        self.domain = email_domain(slug)
        self.phone_prefix = f"+15{zlib.crc32(slug.encode()) % 1000:03d}"

    def step(self, message: str) -> None:
        self.write(f"[{time.monotonic() - self.started:6.1f} s] {message}")

    def run(self) -> District:
        spec = self.spec
        self.district = do_create_district(
            name=seed_label(self.slug, self.seed), slug=self.slug, actor=SYSTEM
        )
        year_start = datetime.date(
            self.now.year if self.now.month >= 8 else self.now.year - 1, 8, 15
        )
        self.year_start = timezone.make_aware(
            datetime.datetime.combine(year_start, datetime.time(8))
        )
        year = do_create_school_year(
            self.district,
            name=f"{year_start.year}-{year_start.year + 1}",
            start_date=year_start,
            end_date=datetime.date(year_start.year + 1, 6, 15),
            is_current=True,
            actor=SYSTEM,
        )
        schools = [
            do_create_school(
                self.district,
                name=f"{self.slug.title()} School {n}",
                slug=f"school-{n}",
                actor=SYSTEM,
            )
            for n in range(1, spec.schools + 1)
        ]
        self.step(f"{len(schools)} schools.")
        classrooms = self.seed_classrooms(schools, year)
        self.step(f"{sum(map(len, classrooms.values())):,} classrooms with their teachers.")
        families = self.seed_families(schools, classrooms)
        self.step(f"{spec.children:,} children and {spec.guardians:,} guardians.")
        activities = self.seed_activities(classrooms)
        self.step(f"{sum(map(len, activities.values())):,} activities.")
        submitted = self.seed_submissions(families, activities)
        self.step(f"{submitted:,} submissions and progress rows.")
        deliveries = self.seed_messages(schools, families)
        self.step(f"{deliveries:,} message deliveries.")
        return self.district

    def seed_classrooms(self, schools: list[School], year) -> dict[int, list[Classroom]]:
        """Classrooms dealt to schools in turn, grades spread within each school."""
        by_school: dict[int, list[Classroom]] = {school.id: [] for school in schools}
        planned = []
        for number in range(self.spec.classrooms):
            school = schools[number % len(schools)]
            position = len(by_school[school.id])
            classroom = Classroom(
                district_id=self.district.id,
                school_id=school.id,
                school_year=year,
                name=f"Room {position + 1}",
                grade_level=GRADES[position % len(GRADES)],
            )
            by_school[school.id].append(classroom)
            planned.append(classroom)
        insert_rows(Classroom, planned)
        teachers = [
            self.user(f"teacher-{c.school_id}-{c.name[5:]}", joined=True, language="en")
            for c in planned
        ]
        insert_rows(User, teachers)
        insert_rows(
            Membership,
            (
                Membership(
                    district_id=self.district.id,
                    school_id=c.school_id,
                    classroom_id=c.id,
                    user_id=t.id,
                    role=Role.TEACHER,
                )
                for c, t in zip(planned, teachers, strict=True)
            ),
        )
        return by_school

    def family_sizes(self) -> list[tuple[int, int]]:
        """[(children, guardians)] per family, summing exactly to the spec's counts."""
        spec, rng = self.spec, self.rng
        families = min(
            spec.guardians,
            spec.children,
            max(-(-spec.guardians // 2), -(-spec.children // 3), int(spec.children / 1.25)),
        )
        children, guardians = [1] * families, [1] * families
        for index in rng.sample(range(families), spec.guardians - families):
            guardians[index] = 2
        extra = spec.children - families
        for index in rng.sample(range(families), min(extra, families)):
            children[index] += 1
        for index in rng.sample(range(families), max(0, extra - families)):
            children[index] += 1
        return list(zip(children, guardians, strict=True))

    def seed_families(self, schools, classrooms) -> list[_Family]:
        rng, families = self.rng, []
        for number, (child_count, guardian_count) in enumerate(self.family_sizes()):
            school = rng.choice(schools)
            rooms = rng.sample(classrooms[school.id], min(child_count, len(classrooms[school.id])))
            last_name = rng.choice(LAST_NAMES)
            language = "es" if rng.random() < 0.3 else "en"
            channels = rng.choices(["both", "email", "sms"], weights=[60, 25, 15])[0]
            engagement = rng.choices(
                [e for _s, e in ENGAGEMENT], weights=[s for s, _e in ENGAGEMENT]
            )[0]
            family = _Family(number, school, [], [], language, channels, engagement)
            disadvantaged = rng.random() < 0.25
            for sibling in range(child_count):
                room = rooms[sibling % len(rooms)]
                family.children.append(
                    (self.child(family, sibling, room, last_name, disadvantaged), room)
                )
            for parent in range(guardian_count):
                joined = engagement > 0 or rng.random() < 0.5
                family.guardians.append(self.guardian(family, parent, last_name, joined=joined))
            families.append(family)
        self.insert_families(families)
        return families

    def child(self, family: _Family, sibling: int, room: Classroom, last_name: str, disadvantaged):
        return Child(
            district_id=self.district.id,
            school_id=room.school_id,
            first_name=self.rng.choice(FIRST_NAMES),
            last_name=last_name,
            grade_level=room.grade_level,
            pupil_number=f"S{family.number:06d}-{sibling}",
            is_disadvantaged=disadvantaged if self.rng.random() < 0.9 else None,
        )

    def guardian(self, family: _Family, parent: int, last_name: str, *, joined: bool) -> User:
        user = self.user(
            f"family{family.number:06d}-parent{parent + 1}", joined=joined, language=family.language
        )
        user.first_name, user.last_name = self.rng.choice(FIRST_NAMES), last_name
        if family.channels != "email":
            user.phone = f"{self.phone_prefix}{family.number * 2 + parent:07d}"
            user.phone_verified = joined
        return user

    def user(self, local_part: str, *, joined: bool, language: str) -> User:
        """A person; one who joined signed in some time over the past four months."""
        last_login = None
        if joined:
            last_login = self.now - datetime.timedelta(
                minutes=int(self.rng.expovariate(1 / 20_000)) % 170_000
            )
        return User(
            email=f"{local_part}@{self.domain}",
            email_verified=joined,
            preferred_language=language,
            password=f"{UNUSABLE_PASSWORD_PREFIX}seed",
            last_login=last_login,
            date_joined=self.year_start,
        )

    def insert_families(self, families: list[_Family]) -> None:
        district_id = self.district.id
        insert_rows(Child, (child for f in families for child, _room in f.children))
        insert_rows(
            Enrollment,
            (
                Enrollment(
                    district_id=district_id,
                    school_id=room.school_id,
                    classroom_id=room.id,
                    child_id=child.id,
                )
                for f in families
                for child, room in f.children
            ),
        )
        guardians = [g for f in families for g in f.guardians]
        insert_rows(User, guardians)
        insert_rows(
            Membership,
            (
                Membership(district_id=district_id, user_id=g.id, role=Role.GUARDIAN)
                for g in guardians
            ),
        )
        insert_rows(
            NotificationPreference,
            (
                NotificationPreference(user_id=g.id, channels=f.channels)
                for f in families
                for g in f.guardians
            ),
        )
        insert_rows(
            GuardianLink,
            (
                GuardianLink(
                    district_id=district_id,
                    guardian_id=g.id,
                    child_id=child.id,
                    relationship=GuardianLink.Relationship.PARENT,
                    contact_role=GuardianLink.ContactRole.PRIMARY
                    if parent == 0
                    else GuardianLink.ContactRole.SECONDARY,
                )
                for f in families
                for child, _room in f.children
                for parent, g in enumerate(f.guardians)
            ),
        )
        policy = do_ensure_policy_version(self.district)
        insert_rows(
            Consent,
            (
                Consent(
                    district_id=district_id,
                    user_id=g.id,
                    kind=Consent.Kind.PRIVACY_POLICY,
                    is_granted=True,
                    policy_version=policy,
                    source="seed",
                    recorded_at=g.last_login,
                )
                for g in guardians
                if g.last_login is not None
            ),
        )

    def seed_activities(self, classrooms) -> dict[int, list[Activity]]:
        """{classroom id: its activities, oldest first}: published from the start of the school
        year to now, due a week later; those due over a fortnight ago are mostly closed."""
        count, span = self.spec.activities, self.now - self.year_start
        by_classroom: dict[int, list[Activity]] = {}
        for rooms in classrooms.values():
            for room in rooms:
                by_classroom[room.id] = [self.activity(room, n, span / count) for n in range(count)]
        planned = [a for activities in by_classroom.values() for a in activities]
        insert_rows(Activity, planned)
        insert_rows(
            ActivityTarget,
            (
                ActivityTarget(
                    district_id=self.district.id,
                    activity_id=a.id,
                    school_id=a.school_id,
                    classroom_id=room_id,
                )
                for room_id, activities in by_classroom.items()
                for a in activities
            ),
        )
        return by_classroom

    def activity(self, room: Classroom, number: int, step) -> Activity:
        published = (
            self.year_start + step * number + datetime.timedelta(minutes=self.rng.randrange(600))
        )
        due = published + datetime.timedelta(days=7)
        is_closed = due < self.now - datetime.timedelta(days=14) and self.rng.random() < 0.6
        return Activity(
            district_id=self.district.id,
            school_id=room.school_id,
            kind=(Activity.Kind.TASK, Activity.Kind.READING, Activity.Kind.PICTURE)[number % 3],
            title=f"{room.grade_level} activity {number + 1}",
            instructions="Do this together at home.",
            points=10 + 5 * (number % 3),
            status=Activity.Status.CLOSED if is_closed else Activity.Status.PUBLISHED,
            published_at=published,
            due_at=due,
            closed_at=due + datetime.timedelta(days=7) if is_closed else None,
            created_at=published,
            updated_at=published,
        )

    def submission_counts(
        self, families: list[_Family]
    ) -> list[tuple[_Family, Child, Classroom, int]]:
        """How many activities each child completed: proportional to its family's engagement,
        at most its classroom's activities, summing exactly to the spec's submissions."""
        seats = [(f, child, room) for f in families for child, room in f.children]
        cap, total = self.spec.activities, self.spec.submissions
        weight = sum(f.engagement for f, _c, _r in seats)
        if weight == 0 or sum(cap for f, _c, _r in seats if f.engagement) < total:
            raise SeedError(
                "Too few activities for the submissions: raise activities per classroom."
            )
        counts = [min(cap, int(f.engagement * total / weight)) for f, _c, _r in seats]
        order = [i for i, (f, _c, _r) in enumerate(seats) if f.engagement]
        left = total - sum(counts)
        while left:
            self.rng.shuffle(order)
            for i in order:
                if left and counts[i] < cap:
                    counts[i] += 1
                    left -= 1
        return [(*seat, n) for seat, n in zip(seats, counts, strict=True)]

    def seed_submissions(self, families, activities) -> int:
        """Each child's completions, submitted hours to days after publishing (a skew towards
        the first evening), by one of its guardians; with the children's progress rows."""
        rng, recent, progress = self.rng, self.now - datetime.timedelta(days=7), []

        def rows():
            for family, child, room, count in self.submission_counts(families):
                done = [
                    activities[room.id][i]
                    for i in sorted(rng.sample(range(self.spec.activities), count))
                ]
                progress.append(self.progress(child, room, done))
                for activity in done:
                    delay = datetime.timedelta(minutes=60 + int(rng.expovariate(1 / 1800)))
                    submitted = min(activity.published_at + delay, self.now)
                    yield Submission(
                        district_id=self.district.id,
                        school_id=room.school_id,
                        activity_id=activity.id,
                        child_id=child.id,
                        classroom_id=room.id,
                        guardian_id=rng.choice(family.guardians).id,
                        text="We did it together.",
                        status=Submission.Status.SUBMITTED
                        if submitted > recent
                        else Submission.Status.APPROVED,
                        submitted_at=submitted,
                        updated_at=submitted,
                    )

        count = insert_rows(Submission, rows())
        insert_rows(ChildProgress, progress)
        return count

    def progress(self, child: Child, room: Classroom, done: list[Activity]) -> ChildProgress:
        return ChildProgress(
            district_id=self.district.id,
            school_id=room.school_id,
            child_id=child.id,
            completions=len(done),
            points=sum(a.points for a in done),
            nickname=f"Team {child.id % 997}" if child.id % 7 == 0 else "",
            is_on_leaderboard=child.id % 13 != 0,
        )

    def seed_messages(self, schools, families) -> int:
        """A few sent announcements per school, each delivered to its families' guardians on
        their channels: mostly delivered, some opened, a few failed."""
        messages = []
        for school in schools:
            for number in range(ANNOUNCEMENTS_PER_SCHOOL):
                sent = self.now - datetime.timedelta(days=7 * (number + 1) * 3)
                messages.append(
                    Message(
                        district_id=self.district.id,
                        school_id=school.id,
                        kind=Kind.ANNOUNCEMENT,
                        audience={"type": "schools", "ids": [school.id]},
                        content={
                            "en": {"subject": f"News {number + 1}", "body": "Hello families."},
                            "es": {"subject": f"Noticias {number + 1}", "body": "Hola familias."},
                        },
                        channels=["email", "sms"],
                        status=Message.Status.SENT,
                        created_at=sent,
                        queued_at=sent,
                        fanned_out_at=sent,
                    )
                )
        insert_rows(Message, messages)
        by_school: dict[int, list[_Family]] = {}
        for family in families:
            by_school.setdefault(family.school.id, []).append(family)
        return insert_rows(
            Delivery,
            (
                self.delivery(message, family, guardian, channel)
                for message in messages
                for family in by_school.get(message.school_id, [])
                for guardian in family.guardians
                for channel in (
                    ("email", "sms") if family.channels == "both" else (family.channels,)
                )
            ),
        )

    def delivery(self, message: Message, family: _Family, guardian: User, channel: str) -> Delivery:
        status = self.rng.choices(
            [Delivery.Status.DELIVERED, Delivery.Status.OPENED, Delivery.Status.FAILED],
            weights=[55, 40 if channel == "email" else 0, 5],
        )[0]
        return Delivery(
            district_id=self.district.id,
            message_id=message.id,
            recipient_id=guardian.id,
            channel=channel,
            address=guardian.email if channel == "email" else guardian.phone,
            language=family.language,
            status=status,
            status_rank=STATUS_RANK[status],
            not_before=message.created_at,
            attempts=1,
            provider="seed",
            error_code="undeliverable" if status == Delivery.Status.FAILED else "",
            created_at=message.created_at,
            sent_at=message.created_at,
            updated_at=message.created_at,
        )


def count_district_rows(district: District) -> dict[str, int]:
    """{what: rows} of the district's main tables, for the summary and the tests."""
    models = {
        "schools": School,
        "classrooms": Classroom,
        "children": Child,
        "guardians": Membership,
        "links": GuardianLink,
        "enrollments": Enrollment,
        "activities": Activity,
        "submissions": Submission,
        "messages": Message,
        "deliveries": Delivery,
    }
    counts = {name: model.objects.filter(district_id=district.id) for name, model in models.items()}
    counts["guardians"] = counts["guardians"].filter(role=Role.GUARDIAN)
    return {name: queryset.count() for name, queryset in counts.items()}
