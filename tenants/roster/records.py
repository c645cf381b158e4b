"""The parsed roster: compact records keyed by sourcedId, and the checks across files.

Both formats parse into one `Snapshot`; planning and writing never see a CSV row. A record keeps
its file and line so that a problem found later (a dangling reference) is still located. Volume
decides the shapes: the relation tables (250,000 enrollments) hold only a line number per entry
(the file is the table's), their keys reuse the records' own id strings, and a person's kinds are
one of a handful of shared frozensets.
"""

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tenants.models import Role
from tenants.phones import InvalidPhoneNumber, normalise_phone
from tenants.roster.report import Report

STAFF, STUDENT, GUARDIAN = "staff", "student", "guardian"
KINDS = ("schools", "years", "classrooms", "people", "enrollments", "links", "roles")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(slots=True)
class Where:
    file: str
    line: int


@dataclass(slots=True)
class SchoolRecord:
    sourced_id: str
    name: str
    where: Where


@dataclass(slots=True)
class YearRecord:
    sourced_id: str
    name: str
    start_date: datetime.date
    end_date: datetime.date
    where: Where


@dataclass(slots=True)
class ClassroomRecord:
    sourced_id: str
    name: str
    school_sourced_id: str
    year_sourced_id: str
    grade_level: str
    where: Where


@dataclass(slots=True)
class PersonRecord:
    sourced_id: str
    first_name: str
    last_name: str
    where: Where
    kinds: frozenset[str] = frozenset()
    preferred_name: str = ""
    email: str = ""
    phone: str = ""
    grade_level: str = ""
    identifier: str = ""
    school_sourced_id: str = ""
    preferred_language: str = ""
    relationship: str = ""
    birth_date: datetime.date | None = None
    is_disadvantaged: bool | None = None


_KIND_SETS: dict[frozenset[str], frozenset[str]] = {}


def with_kind(kinds: frozenset[str], kind: str) -> frozenset[str]:
    """`kinds` plus `kind`, as the one shared frozenset of that value."""
    joined = kinds | {kind}
    return _KIND_SETS.setdefault(joined, joined)


def without_kind(kinds: frozenset[str], kind: str) -> frozenset[str]:
    left = kinds - {kind}
    return _KIND_SETS.setdefault(left, left)


def sourced_id_cell(key: str) -> tuple[str, str]:
    """OneRoster: a person's key is the sourcedId of their users.csv row."""
    return "sourcedId", key


@dataclass
class Snapshot:
    """Everything a roster says, keyed by sourcedId (or the school's own id)."""

    district_sourced_id: str = ""
    district_name: str = ""
    schools: dict[str, SchoolRecord] = field(default_factory=dict)
    years: dict[str, YearRecord] = field(default_factory=dict)
    classrooms: dict[str, ClassroomRecord] = field(default_factory=dict)
    people: dict[str, PersonRecord] = field(default_factory=dict)
    # (person sourcedId, classroom sourcedId) -> line; teaching is a teacher's, enrolled a child's
    teaching: dict[tuple[str, str], int] = field(default_factory=dict)
    enrolled: dict[tuple[str, str], int] = field(default_factory=dict)
    # (guardian sourcedId, child sourcedId) -> (relationship, contact role, line)
    links: dict[tuple[str, str], tuple[str, str, int]] = field(default_factory=dict)
    # (person sourcedId, role, school sourcedId or "") -> line
    staff_roles: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # the file each relation table's lines are in
    files: dict[str, str] = field(default_factory=dict)
    # staff sourcedId -> the schools their roles name (a school admin's import checks them)
    staff_schools: dict[str, set[str]] = field(default_factory=dict)
    # per kind: "bulk" (a full snapshot: what is missing is removed) or "delta"
    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(KINDS, "bulk"))
    removed: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    # the column each kind of reference is in, to locate a dangling one
    columns: dict[str, str] = field(default_factory=dict)
    # rows left out for errors (valid-rows-only mode) or erased families (erased.py): never
    # deactivated for being missing
    skipped: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    # a person's key -> (column, value) of the id as their file gives it, for the report
    person_cell: Callable[[str], tuple[str, str]] = sourced_id_cell

    def where(self, table: str, line: int) -> Where:
        """The location of an entry of a relation table (teaching, enrolled, links, staff_roles)."""
        return Where(self.files[table], line)


# --- cell parsers shared by both formats ---------------------------------------------------


def parse_date(report: Report, where: Where, column: str, value: str) -> datetime.date | None:
    """A YYYY-MM-DD date, or None after reporting a located error."""
    if DATE_PATTERN.match(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    report.error(where.file, where.line, column, value, "not a date in the form YYYY-MM-DD")
    return None


YES_NO = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


def parse_yes_no(report: Report, where: Where, column: str, value: str) -> bool | None:
    """yes / no, true / false or 1 / 0 (any case); None when blank, or after reporting a located
    error for anything else."""
    if not value:
        return None
    answer = YES_NO.get(value.lower())
    if answer is None:
        report.error(where.file, where.line, column, value, "not one of yes, no, true, false, 1, 0")
    return answer


def check_timestamp(report: Report, where: Where, column: str, value: str) -> bool:
    """dateLastModified: ISO 8601 (2026-09-01T12:00:00Z); blank is fine."""
    if not value:
        return True
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        report.error(
            where.file, where.line, column, value, "not an ISO 8601 date-time (2026-09-01T12:00Z)"
        )
        return False
    return True


def split_list(value: str) -> list[str]:
    """A OneRoster multi-value cell: a comma list inside one quoted cell."""
    return [part.strip() for part in value.split(",") if part.strip()]


def clean_email(report: Report, where: Where, column: str, value: str) -> str:
    """A lower-cased address; an invalid one is reported and left out (the row is kept)."""
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        report.warning(
            where.file, where.line, column, value, "not an email address; imported without it"
        )
        return ""
    return value.lower()


def clean_phone(report: Report, where: Where, column: str, value: str) -> str:
    """An E.164 number; one that cannot be normalised is reported and left out."""
    if not value:
        return ""
    try:
        return normalise_phone(value)
    except InvalidPhoneNumber:
        report.warning(
            where.file,
            where.line,
            column,
            value,
            "the phone number cannot be normalised; imported without it",
        )
        return ""


PLAIN_PHONE = re.compile(r"\+?[\d\s().-]+")
NOT_DIGIT = re.compile(r"\D")


class Phones:
    """Phone cells to E.164, remembering the numbers the district already holds.

    Validating a number with `phonenumbers` costs about 0.1 ms; a re-imported roster repeats the
    numbers already stored. A cell of only digits, spaces and `()+-.` whose digits are a stored
    number's (`+` and all its digits, or, in the +1 plan, its ten national digits with or without
    the leading 1) is that number; anything else goes through `clean_phone`.
    """

    def __init__(self, stored: Iterable[str] = ()):
        self.known: dict[str, str] = {}
        is_nanp = phonenumbers.country_code_for_region(settings.PHONENUMBER_DEFAULT_REGION) == 1
        for number in stored:
            if not number or not number.startswith("+"):
                continue
            self.known[number] = number
            if is_nanp and number.startswith("+1") and len(number) == 12:
                self.known[number[2:]] = self.known[number[1:]] = number

    def clean(self, report: Report, where: Where, column: str, value: str) -> str:
        if not value:
            return ""
        if PLAIN_PHONE.fullmatch(value):
            digits = NOT_DIGIT.sub("", value)
            found = self.known.get("+" + digits if value.startswith("+") else digits)
            if found is not None:
                return found
        return clean_phone(report, where, column, value)


def add_unique(report: Report, table: dict, key: str, record, where: Where, column: str) -> bool:
    """Put `record` in `table` unless its id is already there (a located error)."""
    if key in table:
        first = getattr(table[key], "where", None)
        at = f" (first on line {first.line})" if first else ""
        report.error(where.file, where.line, column, key, f"duplicate id{at}")
        return False
    table[key] = record
    return True


# --- checks across files ---------------------------------------------------------------------


ADMIN_ROLES = {Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.STAFF}


def check_references(snapshot: Snapshot, report: Report, known: "KnownIds") -> None:
    """Every reference names something in the files (or, for delta files, the district)."""
    s = snapshot
    for record in list(s.classrooms.values()):
        if not known.has("schools", record.school_sourced_id):
            _dangling(report, record.where, "school", record.school_sourced_id, columns=s.columns)
            s.classrooms.pop(record.sourced_id)
    for record in s.people.values():
        if STUDENT in record.kinds and not known.has("schools", record.school_sourced_id):
            _dangling(report, record.where, "school", record.school_sourced_id, columns=s.columns)
            record.kinds = without_kind(record.kinds, STUDENT)
    for name, table, kind in (("teaching", s.teaching, STAFF), ("enrolled", s.enrolled, STUDENT)):
        for (person, classroom), line in list(table.items()):
            if not known.has("classrooms", classroom):
                _dangling(report, s.where(name, line), "class", classroom, columns=s.columns)
            elif not known.has_person(person, kind):
                noun = "teacher" if kind == STAFF else "student"
                _dangling(report, s.where(name, line), noun, person, columns=s.columns)
            else:
                continue
            del table[(person, classroom)]
    for (guardian, child), (_r, _c, line) in list(s.links.items()):
        where = s.where("links", line)
        if not known.has_person(guardian, GUARDIAN):
            _dangling(report, where, "guardian", guardian, columns=s.columns)
        elif not known.has_person(child, STUDENT):
            elsewhere = known.other_district_child(child)
            _dangling(report, where, "child", child, elsewhere, columns=s.columns)
        else:
            continue
        del s.links[(guardian, child)]
    for (person, role, school), line in list(s.staff_roles.items()):
        if school and not known.has("schools", school):
            _dangling(report, s.where("staff_roles", line), "school", school, columns=s.columns)
            del s.staff_roles[(person, role, school)]


def _dangling(report, where, noun, value, elsewhere: bool = False, columns=None) -> None:
    reason = (
        f"this {noun} belongs to another district"
        if elsewhere
        else f"no {noun} with this id in the roster"
    )
    report.error(where.file, where.line, (columns or {}).get(noun, ""), value, reason)


class KnownIds:
    """What references may name: the files' records, plus (for delta files) the district's rows."""

    def __init__(self, snapshot: Snapshot, existing=None):
        self.snapshot = snapshot
        self.existing = existing

    def has(self, kind: str, sourced_id: str) -> bool:
        table = getattr(self.snapshot, kind)
        if sourced_id in table:
            return True
        return bool(
            self.existing is not None
            and self.snapshot.modes.get(kind) == "delta"
            and sourced_id not in self.snapshot.removed[kind]
            and self.existing.has(kind, sourced_id)
        )

    def has_person(self, sourced_id: str, kind: str) -> bool:
        person = self.snapshot.people.get(sourced_id)
        if person is not None:
            return kind in person.kinds
        return bool(
            self.existing is not None
            and self.snapshot.modes["people"] == "delta"
            and sourced_id not in self.snapshot.removed["people"]
            and self.existing.has_person(sourced_id, kind)
        )

    def other_district_child(self, sourced_id: str) -> bool:
        return self.existing is not None and self.existing.is_child_elsewhere(sourced_id)
