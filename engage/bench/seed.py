"""The bench district: schools, classrooms, teachers and families at a named scale.

Bench data lives in its own district (slug "bench"), so it never mixes with demo data, and a rerun
at the same scale reuses it. The skeleton (district, school year, schools, classrooms, teachers)
goes through the actions, audited as the product writes it; the volume (children, enrollments,
guardians, their links and roles) is bulk-inserted with the tenant columns copied from the parent
rows and without audit events, which no benchmark reads yet. It all runs in one transaction, so an
interrupted seed leaves nothing behind; a different scale replaces the district.

Rows go in through `engage.seeding.insert_rows` (COPY on PostgreSQL), the seeder `seed_scale`
uses; this module keeps the bench's own fixed family layout, which the benchmarks find people by.
"""

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction

from engage.seeding import delete_activity_rows, insert_rows
from guardians.models import Child, Enrollment, GuardianLink
from privacy.actions import do_ensure_policy_version
from privacy.audit import Actor
from privacy.models import Consent, PolicyVersion
from tenants.actions import (
    do_add_membership,
    do_create_classroom,
    do_create_district,
    do_create_school,
    do_create_school_year,
    do_create_user,
)
from tenants.models import Classroom, District, Membership, Role, School, User

BENCH_SLUG = "bench"
EMAIL_DOMAIN = "bench.invalid"
SYSTEM = Actor.system()

GRADES = ["K", "01", "02", "03", "04", "05"]
FIRST_NAMES = ["Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gus", "Hana", "Ian", "Jade"]
LAST_NAMES = ["Nguyen", "Okafor", "Silva", "Kowalski", "Haddad", "Lund", "Moreau", "Tanaka"]


# Seed 2: the families agreed to the privacy policy (they joined), as real families have.
SEED_VERSION = 2


@dataclass(frozen=True)
class Scale:
    """Sizes of the bench district. Families have two guardians and one or two children."""

    name: str
    schools: int
    classrooms_per_school: int
    children: int
    guardians: int

    @property
    def families(self) -> int:
        return self.guardians // 2

    @property
    def two_child_families(self) -> int:
        return self.children - self.families

    @property
    def label(self) -> str:
        # The seed's version is in the name: a district seeded by an older seed is reseeded.
        return f"Engage bench ({self.name}, seed {SEED_VERSION})"


SCALES = {
    "small": Scale("small", schools=4, classrooms_per_school=10, children=1_000, guardians=1_500),
    "district": Scale(
        "district", schools=50, classrooms_per_school=40, children=50_000, guardians=75_000
    ),
    # Only for the command's own test: seconds, not minutes.
    "tiny": Scale("tiny", schools=2, classrooms_per_school=3, children=30, guardians=40),
}
PUBLIC_SCALES = ["small", "district"]


def guardian_email(family: int, parent: int) -> str:
    return f"family{family:06d}-parent{parent}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class BenchData:
    """The seeded bench district, and ways to find its people without keeping ids around."""

    scale: Scale
    district: District

    def get_guardian(self, family: int, parent: int = 1) -> User:
        return User.objects.get(email=guardian_email(family, parent))

    def list_two_child_guardians(self, count: int) -> list[User]:
        """First parents of the first `count` families with two children (each in its school)."""
        count = min(count, self.scale.two_child_families)
        emails = [guardian_email(family, 1) for family in range(count)]
        return list(User.objects.filter(email__in=emails).order_by("email"))

    def get_one_child_guardian(self) -> User:
        """The first parent of the last family, which has one child."""
        return self.get_guardian(self.scale.families - 1)


def get_or_seed_bench_data(scale_name: str, *, write: Callable[[str], None]) -> BenchData:
    """The bench district at `scale_name`: reused when present, else (re)seeded."""
    scale = SCALES[scale_name]
    district = District.objects.filter(slug=BENCH_SLUG).first()
    if district is not None and district.name == scale.label:
        write(f"Reusing the bench district ({scale.name}).")
        return BenchData(scale=scale, district=district)
    started = time.monotonic()
    with transaction.atomic():
        if district is not None:
            write(f"Removing the bench district seeded as {district.name!r}.")
            _delete_bench_data(district)
        write(
            f"Seeding the bench district ({scale.name}): {scale.schools} schools, "
            f"{scale.schools * scale.classrooms_per_school} classrooms, {scale.children} "
            f"children, {scale.families * 2} guardians."
        )
        district = _seed(scale)
    _refresh_planner_statistics()
    write(f"Seeded in {time.monotonic() - started:.1f} s.")
    return BenchData(scale=scale, district=district)


def _refresh_planner_statistics() -> None:
    """Bulk inserts leave the planner's statistics stale until autovacuum catches up, and stale
    statistics pick plans no long-running database would (a district-wide scan for one family)."""
    tables = [model._meta.db_table for model in (Child, Enrollment, GuardianLink, Membership, User)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


def _delete_bench_data(district: District) -> None:
    # 2,000,000 submissions at scale: plain DELETEs, before the ORM cascades from children.
    delete_activity_rows(district)
    # Leaf tables first: classrooms protect their school year, so they go before the district.
    for model in (Consent, PolicyVersion, Enrollment, GuardianLink, Membership, Child, Classroom):
        model.objects.filter(district_id=district.id).delete()
    district.delete()
    # scope-exempt: bench people are found by their reserved email domain, in the bench only.
    User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()


def _seed(scale: Scale) -> District:
    district = do_create_district(name=scale.label, slug=BENCH_SLUG, actor=SYSTEM)
    year = do_create_school_year(
        district,
        name="2026-2027",
        start_date=datetime.date(2026, 8, 15),
        end_date=datetime.date(2027, 6, 15),
        is_current=True,
        actor=SYSTEM,
    )
    classrooms_by_school = []
    for number in range(1, scale.schools + 1):
        school = do_create_school(
            district, name=f"Bench School {number}", slug=f"school-{number}", actor=SYSTEM
        )
        classrooms_by_school.append(_seed_classrooms(scale, school, year))
    _seed_families(scale, district, classrooms_by_school)
    return district


def _seed_classrooms(scale: Scale, school: School, year) -> list[Classroom]:
    """The school's classrooms, each with one teacher."""
    classrooms = []
    for number in range(1, scale.classrooms_per_school + 1):
        classroom = do_create_classroom(
            school,
            school_year=year,
            name=f"Room {number}",
            grade_level=GRADES[number % len(GRADES)],
            actor=SYSTEM,
        )
        teacher = do_create_user(
            email=f"teacher-{school.slug}-{number}@{EMAIL_DOMAIN}",
            first_name=FIRST_NAMES[number % len(FIRST_NAMES)],
            last_name=f"Teacher{number}",
            actor=SYSTEM,
        )
        do_add_membership(
            teacher, role=Role.TEACHER, district=school.district, classroom=classroom, actor=SYSTEM
        )
        classrooms.append(classroom)
    return classrooms


def _place_children(scale: Scale, classrooms_by_school) -> list[tuple[int, Child, Classroom]]:
    """[(family, child, classroom)]: family f lives at school f mod schools; siblings share a
    school and sit in different classrooms."""
    seats = [0] * len(classrooms_by_school)
    placements = []
    for family in range(scale.families):
        school_index = family % len(classrooms_by_school)
        classrooms = classrooms_by_school[school_index]
        for sibling in range(2 if family < scale.two_child_families else 1):
            classroom = classrooms[seats[school_index] % len(classrooms)]
            seats[school_index] += 1
            placements.append((family, _child(family, sibling, classroom), classroom))
    return placements


def _seed_families(scale: Scale, district: District, classrooms_by_school) -> None:
    """Children, enrollments, guardians, their roles and links, by the seeder's bulk insert."""
    placements = _place_children(scale, classrooms_by_school)
    insert_rows(Child, [child for _, child, _ in placements])
    insert_rows(
        Enrollment,
        [
            Enrollment(
                district_id=classroom.district_id,
                school_id=classroom.school_id,
                classroom=classroom,
                child=child,
            )
            for _, child, classroom in placements
        ],
    )
    guardians = [_guardian(family, parent) for family in range(scale.families) for parent in (1, 2)]
    insert_rows(User, guardians)
    insert_rows(
        Membership,
        [Membership(district=district, user=user, role=Role.GUARDIAN) for user in guardians],
    )
    insert_rows(
        GuardianLink,
        [
            _link(child, guardians[2 * family + parent])
            for family, child, _ in placements
            for parent in (0, 1)
        ],
    )
    policy = do_ensure_policy_version(district)
    insert_rows(
        Consent,
        [
            Consent(
                district=district,
                user=user,
                kind=Consent.Kind.PRIVACY_POLICY,
                is_granted=True,
                policy_version=policy,
                source="bench",
            )
            for user in guardians
        ],
    )


def _child(family: int, sibling: int, classroom: Classroom) -> Child:
    return Child(
        district_id=classroom.district_id,
        school_id=classroom.school_id,
        first_name=FIRST_NAMES[(family + sibling * 3) % len(FIRST_NAMES)],
        last_name=LAST_NAMES[family % len(LAST_NAMES)],
        grade_level=classroom.grade_level,
        pupil_number=f"B{family:06d}-{sibling}",
    )


def _guardian(family: int, parent: int) -> User:
    return User(
        email=guardian_email(family, parent),
        first_name=FIRST_NAMES[(family + parent) % len(FIRST_NAMES)],
        last_name=LAST_NAMES[family % len(LAST_NAMES)],
        preferred_language="es" if family % 5 == 0 else "en",
        password=f"{UNUSABLE_PASSWORD_PREFIX}bench",
    )


def _link(child: Child, guardian: User) -> GuardianLink:
    primary = guardian.email.endswith(f"parent1@{EMAIL_DOMAIN}")
    return GuardianLink(
        district_id=child.district_id,
        guardian=guardian,
        child=child,
        relationship=GuardianLink.Relationship.PARENT,
        contact_role=(
            GuardianLink.ContactRole.PRIMARY if primary else GuardianLink.ContactRole.SECONDARY
        ),
    )
