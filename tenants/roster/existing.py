"""The district's existing roster rows, loaded in a few queries as compact tuples.

One query per table (plus batched lookups of users by id and by contact), as tuples rather than
model instances, so that 100,000 people fit in memory; keyed the way the roster files key them.
"""

from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import Classroom, District, Membership, RosterPerson, School, SchoolYear, User
from tenants.roster.records import STUDENT

BATCH = 2000


def batches(items, size: int = BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Existing:
    """The district's current roster rows, keyed the way the files key them."""

    def __init__(self, district: District | None):
        self.district = district
        self.schools, self.slugs, self.years, self.classrooms, self.children = {}, set(), {}, {}, {}
        self.people, self.users = {}, {}
        self.memberships, self.enrollments, self.links = {}, {}, {}
        self.classroom_ids_rostered: set[int] = set()
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
        fields = (
            "id",
            "sourced_id",
            "name",
            "grade_level",
            "school_id",
            "school_year_id",
            "is_active",
        )
        self.classrooms = {
            r[1]: r
            for r in Classroom.objects.filter(**d).exclude(sourced_id="").values_list(*fields)
        }
        self.classroom_ids_rostered = {row[0] for row in self.classrooms.values()}
        fields = (
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
        )
        self.children = {
            r[1]: r for r in Child.objects.filter(**d).exclude(sourced_id="").values_list(*fields)
        }
        self.people = {
            r[1]: r
            for r in RosterPerson.objects.filter(**d).values_list(
                "id", "sourced_id", "user_id", "is_active"
            )
        }
        self.load_users([row[2] for row in self.people.values()])
        for row in Membership.objects.filter(**d, is_active=True).values_list(
            "id", "user_id", "role", "school_id", "classroom_id"
        ):
            self.memberships[row[1:]] = row[0]
        for row in Enrollment.objects.filter(**d, is_active=True).values_list(
            "id", "child_id", "classroom_id"
        ):
            self.enrollments[row[1:]] = row[0]
        for row in GuardianLink.objects.filter(**d, is_active=True).values_list(
            "id", "guardian_id", "child_id", "relationship", "contact_role"
        ):
            self.links[row[1:3]] = row

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

    def load_users(self, user_ids) -> None:
        for chunk in batches(set(user_ids) - set(self.users)):
            for row in User.objects.filter(id__in=chunk).values_list(*self.USER_FIELDS):
                self.users[row[0]] = row

    def users_by_contact(self, column: str, values) -> dict[str, tuple]:
        found = {}
        for chunk in batches(sorted(set(values))):
            for row in User.objects.filter(**{f"{column}__in": chunk}).values_list(
                *self.USER_FIELDS
            ):
                self.users[row[0]] = row
                found[row[1] if column == "email" else row[2]] = row
        return found

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
