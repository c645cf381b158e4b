"""The plain Engage CSV format -> Snapshot (for schools without OneRoster; docs/ROSTER_FORMAT.md).

staff.csv, children.csv, guardians.csv, links.csv. Schools and classrooms are named on the staff
and children rows. All four files make a full sync (what they no longer list is deactivated);
fewer files only add and update. Staff and guardian ids are the school's own, kept apart by a
prefix so that staff "7" and guardian "7" are two people.
"""

from guardians.models import GuardianLink
from tenants.models import LANGUAGE_CHOICES, Role
from tenants.roster.records import (
    GUARDIAN,
    KINDS,
    STAFF,
    STUDENT,
    ClassroomRecord,
    PersonRecord,
    Phones,
    SchoolRecord,
    Snapshot,
    Where,
    add_unique,
    clean_email,
    parse_date,
    parse_yes_no,
    with_kind,
)
from tenants.roster.report import Report, RosterRejected
from tenants.roster.source import RosterSource

FILES = ("staff.csv", "children.csv", "guardians.csv", "links.csv")
REQUIRED = {
    "staff.csv": ("staff_id", "first_name", "last_name", "role"),
    "children.csv": ("child_id", "first_name", "last_name", "school_id"),
    "guardians.csv": ("guardian_id", "first_name", "last_name"),
    "links.csv": ("guardian_id", "child_id"),
}
COLUMNS = {
    "staff.csv": (
        "staff_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "role",
        "school_id",
        "school_name",
        "classroom_id",
        "classroom_name",
        "grade",
    ),
    "children.csv": (
        "child_id",
        "first_name",
        "last_name",
        "preferred_name",
        "school_id",
        "school_name",
        "classroom_id",
        "classroom_name",
        "grade",
        "birth_date",
        "disadvantaged",
    ),
    "guardians.csv": ("guardian_id", "first_name", "last_name", "email", "phone", "language"),
    "links.csv": ("guardian_id", "child_id", "relationship", "contact_role"),
}
STAFF_ROLES = {
    "teacher": Role.TEACHER,
    "school_admin": Role.SCHOOL_ADMIN,
    "district_admin": Role.DISTRICT_ADMIN,
    "staff": Role.STAFF,
}
REFERENCE_COLUMNS = {
    "school": "school_id",
    "school_record": "school_id",
    "class": "classroom_id",
    "teacher": "staff_id",
    "student": "child_id",
    "guardian": "guardian_id",
    "child": "child_id",
}
LANGUAGES = {code for code, _name in LANGUAGE_CHOICES}


def staff_key(staff_id: str) -> str:
    return f"staff:{staff_id}"


def guardian_key(guardian_id: str) -> str:
    return f"guardian:{guardian_id}"


def person_cell(key: str) -> tuple[str, str]:
    """The column and id a person's key comes from (staff and guardian keys carry a prefix)."""
    for prefix, column in (("staff:", "staff_id"), ("guardian:", "guardian_id")):
        if key.startswith(prefix):
            return column, key.removeprefix(prefix)
    return "child_id", key


class EngageParser:
    def __init__(
        self, source: RosterSource, report: Report, *, is_birth_date_imported: bool, phones: Phones
    ):
        self.source = source
        self.report = report
        self.is_birth_date_imported = is_birth_date_imported
        self.phones = phones
        self.snapshot = Snapshot(columns=REFERENCE_COLUMNS, person_cell=person_cell)
        self.snapshot.files = {
            "teaching": "staff.csv",
            "enrolled": "children.csv",
            "links": "links.csv",
            "staff_roles": "staff.csv",
        }

    def parse(self) -> Snapshot:
        present = [name for name in FILES if self.source.has(name)]
        if not present:
            self.report.error("", None, "", "", "none of " + ", ".join(FILES) + " was found")
            raise RosterRejected("no files")
        if len(present) < len(FILES):
            self.snapshot.modes = dict.fromkeys(KINDS, "delta")
        self.source.expect_rows(present)
        handlers = {
            "staff.csv": self.staff,
            "children.csv": self.child,
            "guardians.csv": self.guardian,
            "links.csv": self.link,
        }
        for name in present:
            columns = COLUMNS[name]
            for line, values in self.source.rows(name, REQUIRED[name], columns):
                row = dict(zip(columns, values, strict=True))
                where = Where(name, line)
                missing = [column for column in REQUIRED[name] if not row[column]]
                if missing:
                    self.report.error(name, line, missing[0], "", f"{missing[0]} is required")
                    continue
                handlers[name](row, where)
        return self.snapshot

    def place(self, row: dict, where: Where) -> tuple[str, str]:
        """Register the row's school and classroom; returns their ids."""
        school_id, classroom_id = row.get("school_id", ""), row.get("classroom_id", "")
        if school_id and school_id not in self.snapshot.schools:
            name = row.get("school_name") or school_id
            self.snapshot.schools[school_id] = SchoolRecord(school_id, name, where)
        if classroom_id and classroom_id not in self.snapshot.classrooms:
            name = row.get("classroom_name") or classroom_id
            self.snapshot.classrooms[classroom_id] = ClassroomRecord(
                classroom_id, name, school_id, "", row.get("grade", ""), where
            )
        return school_id, classroom_id

    def person(self, key: str, row: dict, where: Where) -> PersonRecord:
        person = PersonRecord(key, row["first_name"], row["last_name"], where)
        person.email = clean_email(self.report, where, "email", row.get("email", ""))
        person.phone = self.phones.clean(self.report, where, "phone", row.get("phone", ""))
        return person

    def staff(self, row: dict, where: Where) -> None:
        role = STAFF_ROLES.get(row["role"])
        if role is None:
            self.report.error(where.file, where.line, "role", row["role"], "unknown role")
            return
        school_id, classroom_id = self.place(row, where)
        if role == Role.TEACHER and not classroom_id:
            self.report.error(where.file, where.line, "classroom_id", "", "a teacher needs one")
            return
        if role in (Role.SCHOOL_ADMIN, Role.STAFF) and not school_id:
            self.report.error(where.file, where.line, "school_id", "", "this role needs a school")
            return
        key = staff_key(row["staff_id"])
        person = self.snapshot.people.get(key)
        fresh = self.person(key, row, where)
        if person is None:
            person = self.snapshot.people[key] = fresh
        elif (person.first_name, person.last_name, person.email) != (
            fresh.first_name,
            fresh.last_name,
            fresh.email,
        ):
            self.report.error(
                where.file, where.line, "staff_id", row["staff_id"], "duplicate id, other details"
            )
            return
        person.kinds = with_kind(person.kinds, STAFF)
        if school_id:
            self.snapshot.staff_schools.setdefault(person.sourced_id, set()).add(school_id)
        if role == Role.TEACHER:
            classroom_id = self.snapshot.classrooms[classroom_id].sourced_id
            self.snapshot.teaching[(person.sourced_id, classroom_id)] = where.line
        else:
            school = "" if role == Role.DISTRICT_ADMIN else school_id
            self.snapshot.staff_roles[(person.sourced_id, role, school)] = where.line

    def child(self, row: dict, where: Where) -> None:
        school_id, classroom_id = self.place(row, where)
        key = row["child_id"]
        person = PersonRecord(key, row["first_name"], row["last_name"], where)
        person.kinds = with_kind(person.kinds, STUDENT)
        person.preferred_name = row.get("preferred_name", "")
        person.grade_level = row.get("grade", "")
        person.identifier = key
        person.school_sourced_id = school_id
        if self.is_birth_date_imported and row.get("birth_date"):
            person.birth_date = parse_date(self.report, where, "birth_date", row["birth_date"])
        person.is_disadvantaged = parse_yes_no(
            self.report, where, "disadvantaged", row["disadvantaged"]
        )
        added = add_unique(self.report, self.snapshot.people, key, person, where, "child_id")
        if added and classroom_id:
            classroom_id = self.snapshot.classrooms[classroom_id].sourced_id
            self.snapshot.enrolled[(key, classroom_id)] = where.line

    def guardian(self, row: dict, where: Where) -> None:
        key = guardian_key(row["guardian_id"])
        person = self.person(key, row, where)
        person.kinds = with_kind(person.kinds, GUARDIAN)
        language = row.get("language", "")
        if language and language not in LANGUAGES:
            self.report.warning(where.file, where.line, "language", language, "unknown language")
        elif language:
            person.preferred_language = language
        add_unique(self.report, self.snapshot.people, key, person, where, "guardian_id")

    def link(self, row: dict, where: Where) -> None:
        relationship = row.get("relationship") or GuardianLink.Relationship.PARENT
        contact_role = row.get("contact_role") or GuardianLink.ContactRole.PRIMARY
        for column, value, choices in (
            ("relationship", relationship, GuardianLink.Relationship.values),
            ("contact_role", contact_role, GuardianLink.ContactRole.values),
        ):
            if value not in choices:
                self.report.error(
                    where.file, where.line, column, value, "not one of " + ", ".join(choices)
                )
                return
        key = (guardian_key(row["guardian_id"]), row["child_id"])
        if key in self.snapshot.links:
            self.report.error(where.file, where.line, "child_id", row["child_id"], "duplicate link")
            return
        self.snapshot.links[key] = (relationship, contact_role, where.line)


def parse_engage_csv(
    source: RosterSource, report: Report, *, is_birth_date_imported: bool, phones: Phones
) -> Snapshot:
    """Parse and validate an Engage CSV set (raises RosterRejected when there is nothing to read)."""
    parser = EngageParser(
        source, report, is_birth_date_imported=is_birth_date_imported, phones=phones
    )
    return parser.parse()
