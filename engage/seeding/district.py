"""The rows of one seeded district, family by family (see `engage.seeding`)."""

import datetime
import random
import time
import zlib
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.utils import timezone

from activities.models import Activity, ActivityTarget, ChildProgress, Submission
from engage.seeding.rows import insert_rows
from engage.seeding.spec import ScaleSpec, SeedError, email_domain, seed_label
from guardians.models import Child, Enrollment, GuardianLink
from notifications.models import STATUS_RANK, Delivery, Kind, Message, NotificationPreference
from privacy.actions import do_ensure_policy_version
from privacy.audit import Actor
from privacy.models import Consent
from tenants.actions import do_create_district, do_create_school, do_create_school_year
from tenants.models import Classroom, District, Membership, Role, School, User

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


@dataclass
class _Family:
    number: int
    school: School
    guardians: list
    children: list  # [(Child, Classroom)]
    language: str
    channels: str
    engagement: float


class DistrictSeeder:
    """One district at `spec`, drawn from one random generator so a seed repeats exactly."""

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
        """Every row, in dependency order, with a progress line per step."""
        spec = self.spec
        year, schools = self.seed_skeleton()
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

    def seed_skeleton(self):
        """The district, its current school year and its schools, through the actions."""
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
            for n in range(1, self.spec.schools + 1)
        ]
        return year, schools

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
            engagement *= rng.uniform(0.5, 1.5)  # no two families alike
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
