"""The district's existing roster rows, loaded in a few queries as compact tuples.

One query per table (plus batched lookups of users by id and by contact), as tuples rather than
model instances, so that 100,000 people fit in memory; keyed the way the roster files key them.

A classroom's sourcedId is unique within its school year, not across years: a school's system may
list "Room 3A" again next year, and last year's Room 3A stays as it was (history). So classrooms
are kept by (sourcedId, school year id), and `classrooms` holds, per sourcedId, the row of the
newest year (what a reference by id names).
"""

import sys

from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import Classroom, District, Membership, RosterPerson, School, SchoolYear, User
from tenants.roster.records import STUDENT

BATCH = 2000
PAIR_SHIFT = 40  # ids below 2**40: a trillion rows per table


def pair(child, classroom):
    """An enrollment's key: (child id, classroom id) packed in one int (a quarter of the memory
    of a tuple, for 250,000 of them); a tuple when either is a row this import creates."""
    if classroom.__class__ is int and child.__class__ is int:
        return child << PAIR_SHIFT | classroom
    return (child, classroom)


def unpair(key: int) -> tuple[int, int]:
    return key >> PAIR_SHIFT, key & ((1 << PAIR_SHIFT) - 1)


def batches(items, size: int = BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


CLASSROOM_FIELDS = (
    "id",
    "sourced_id",
    "name",
    "grade_level",
    "school_id",
    "school_year_id",
    "is_active",
)
CHILD_FIELDS = (
    "id",
    "sourced_id",
    "first_name",
    "last_name",
    "preferred_name",
    "grade_level",
    "pupil_number",
    "school_id",
    "birth_date",
    "is_active",
    "removed_at",
    "is_disadvantaged",
)
STREAM_CHUNK = 5000


def _stream(model, filters: dict, fields: tuple, *, rostered: bool = False):
    """The rows as tuples, fetched in chunks (a server-side cursor on PostgreSQL), so that the
    driver never holds a whole table's result at once."""
    rows = model.objects.filter(**filters)
    if rostered:
        rows = rows.exclude(sourced_id="")
    return rows.values_list(*fields).iterator(chunk_size=STREAM_CHUNK)


class Existing:
    """The district's current roster rows, keyed the way the files key them."""

    def __init__(self, district: District | None):
        self.district = district
        self.schools, self.slugs, self.years, self.classrooms, self.children = {}, set(), {}, {}, {}
        self.people, self.users = {}, {}
        self.memberships, self.enrollments, self.links = {}, {}, {}
        # every rostered classroom: by (sourcedId, year id), and by id
        self.classrooms_by_year: dict[tuple[str, int], tuple] = {}
        self.classrooms_by_id: dict[int, tuple] = {}
        if district is not None:
            self.load(district)

    def load(self, district: District) -> None:
        # roster import is an operator's command: every read below is filtered by the district
        d = {"district": district}
        for row in School.objects.filter(**d).values_list(
            "id", "sourced_id", "name", "slug", "is_active"
        ):
            self.slugs.add(row[3])
            if row[1]:
                self.schools[row[1]] = row
        self.years = {
            (row[1] or f"name:{row[2]}"): row
            for row in SchoolYear.objects.filter(**d).values_list(
                "id", "sourced_id", "name", "start_date", "end_date", "is_current"
            )
        }
        self.load_classrooms(d)
        self.children = {row[1]: row for row in _stream(Child, d, CHILD_FIELDS, rostered=True)}
        people = ("id", "sourced_id", "user_id", "is_active")
        self.people = {row[1]: row for row in _stream(RosterPerson, d, people)}
        users = User.objects.filter(
            id__in=RosterPerson.objects.filter(**d).values("user_id")
        ).values_list(*self.USER_FIELDS)
        self.users = {row[0]: row for row in users.iterator(chunk_size=STREAM_CHUNK)}
        self.load_relations(d)

    def load_classrooms(self, d: dict) -> None:
        starts = {row[0]: row[3] for row in self.years.values()}
        rows = list(_stream(Classroom, d, CLASSROOM_FIELDS, rostered=True))
        for row in sorted(rows, key=lambda r: (starts[r[5]], r[0])):
            self.classrooms_by_year[(row[1], row[5])] = row
            self.classrooms_by_id[row[0]] = row
            self.classrooms[row[1]] = row  # the newest year's, sorted last

    def load_relations(self, d: dict) -> None:
        active = {**d, "is_active": True}
        memberships = ("id", "user_id", "role", "school_id", "classroom_id")
        for row in _stream(Membership, active, memberships):
            self.memberships[(row[1], sys.intern(row[2]), row[3], row[4])] = row[0]
        for row in _stream(Enrollment, active, ("id", "child_id", "classroom_id")):
            self.enrollments[pair(row[1], row[2])] = row[0]
        links = ("id", "guardian_id", "child_id", "relationship", "contact_role")
        for row in _stream(GuardianLink, active, links):
            self.links[row[1:3]] = (*row[:3], sys.intern(row[3]), sys.intern(row[4]))

    USER_FIELDS = (
        "id",
        "email",
        "phone",
        "email_verified",
        "phone_verified",
        "first_name",
        "last_name",
        "preferred_language",
    )

    def users_by_contact(self, column: str, values) -> dict[str, tuple]:
        found = {}
        for chunk in batches(sorted(set(values))):
            for row in User.objects.filter(**{f"{column}__in": chunk}).values_list(
                *self.USER_FIELDS
            ):
                self.users[row[0]] = row
                found[row[1] if column == "email" else row[2]] = row
        return found

    def stored_phones(self) -> list[str]:
        """The phone numbers of the district's rostered people (records.Phones)."""
        return [row[2] for row in self.users.values() if row[2]]

    # --- what references may name in delta files (records.KnownIds) --------------------------

    def has(self, kind: str, sourced_id: str) -> bool:
        table = {"schools": self.schools, "classrooms": self.classrooms, "years": self.years}[kind]
        return sourced_id in table

    def has_person(self, sourced_id: str, kind: str) -> bool:
        return sourced_id in (self.children if kind == STUDENT else self.people)

    def is_child_elsewhere(self, sourced_id: str) -> bool:
        others = Child.objects.filter(sourced_id=sourced_id)
        if self.district is not None:
            others = others.exclude(district=self.district)
        return others.exists()
