"""The shape of a roster plan: what plan.py fills in and write.py writes.

A new row is a tuple of the values of CREATE_COLUMNS[model] (write.py adds the district and the
fields' defaults), led by a `NewRow` when later rows point at it (its id is known once written)
and None otherwise. A reference in a tuple is an id (existing row) or a NewRow.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import (
    Classroom,
    District,
    Membership,
    RosterPerson,
    School,
    SchoolYear,
    User,
)

WRITE_ORDER = (
    SchoolYear,
    School,
    Classroom,
    User,
    RosterPerson,
    Child,
    Membership,
    Enrollment,
    GuardianLink,
)
# The planned values of a new row, in this order; write.py adds `district` and the defaults.
CREATE_COLUMNS = {
    SchoolYear: ("sourced_id", "name", "start_date", "end_date"),
    School: ("sourced_id", "name", "slug"),
    Classroom: ("sourced_id", "name", "grade_level", "school_id", "school_year_id"),
    User: ("email", "phone", "first_name", "last_name", "preferred_language", "password"),
    RosterPerson: ("sourced_id", "user_id"),
    Child: (
        "sourced_id",
        "first_name",
        "last_name",
        "preferred_name",
        "grade_level",
        "pupil_number",
        "school_id",
        "birth_date",
        "is_disadvantaged",
    ),
    Membership: ("role", "user_id", "school_id", "classroom_id", "granted_by_id"),
    Enrollment: ("school_id", "classroom_id", "child_id"),
    GuardianLink: ("guardian_id", "child_id", "relationship", "contact_role"),
}
CHILD_COLUMNS = (  # Existing.children rows from index 2
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


class NewRow:
    """A row this import creates; write.py sets `id` once the row is written."""

    __slots__ = ("id",)

    def __init__(self):
        self.id = None


@dataclass
class Plan:
    district: District
    # model -> [(NewRow or None, *values of CREATE_COLUMNS[model])]
    create: dict[type, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    # model -> field names -> [(id, *new values)]
    update: dict[type, dict[tuple[str, ...], list[tuple]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    deactivate: dict[type, set[int]] = field(default_factory=lambda: defaultdict(set))
    current_year: "int | NewRow | None" = None  # the year to make current (None: as it is)
    changed_users: set = field(default_factory=set)  # whose memberships changed (cache)
    changed_guardians: set = field(default_factory=set)  # whose family pages changed (cache)

    def add(self, model, values: tuple, *, is_referenced: bool = False) -> "NewRow | None":
        """Queue a new row; returns its reference when later rows point at it."""
        ref = NewRow() if is_referenced else None
        self.create[model].append((ref, *values))
        return ref

    def updated(self, model, row_id: int, changes: dict) -> None:
        """Queue new values of some fields of an existing row."""
        names = tuple(sorted(changes))
        self.update[model][names].append((row_id, *(changes[name] for name in names)))

    @property
    def row_count(self) -> int:
        """The rows the write will touch (for progress)."""
        return (
            sum(len(rows) for rows in self.create.values())
            + sum(len(rows) for groups in self.update.values() for rows in groups.values())
            + sum(len(ids) for ids in self.deactivate.values())
        )
