"""A OneRoster 1.2 bulk CSV set of a made-up district, written row by row to a folder.

The sizes follow from two numbers, users and enrollments (100,000 and 250,000 for the roster
benchmark): 2% teachers (each teaching five classes of their school), 40% students (each
enrolled in classes of their school) and the rest guardians (one per student, a second one for
as many students as there are guardians left), linked both ways through `agentSourcedIds`.
Every file is streamed to disk as it is generated, so memory does not grow with the size.
People are at `@roster.invalid`; guardians also have a (valid, made-up) US mobile number.
"""

import csv
import datetime
import itertools
from dataclasses import dataclass
from pathlib import Path

EMAIL_DOMAIN = "roster.invalid"
DISTRICT_SOURCED_ID = "bench-district"
FIRST_NAMES = ["Ava", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gus", "Hana", "Ian", "Jade"]
LAST_NAMES = ["Nguyen", "Okafor", "Silva", "Kowalski", "Haddad", "Lund", "Moreau", "Tanaka"]
GRADES = ["KG", "01", "02", "03", "04", "05", "06", "07", "08"]
CLASSES_PER_TEACHER = 5

USER_COLUMNS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "username",
    "userIds",
    "givenName",
    "familyName",
    "middleName",
    "preferredGivenName",
    "identifier",
    "email",
    "sms",
    "phone",
    "agentSourcedIds",
    "grades",
    "password",
    "primaryOrgSourcedId",
    "metadata.vendor.house",
]


@dataclass(frozen=True)
class RosterShape:
    """How many of each a roster of `users` people and `enrollments` enrollments holds."""

    users: int
    enrollments: int

    @property
    def schools(self) -> int:
        return max(2, self.users // 2000)

    @property
    def teachers(self) -> int:
        return max(self.schools, self.users // 50)

    @property
    def students(self) -> int:
        return self.users * 2 // 5

    @property
    def guardians(self) -> int:
        return self.users - self.teachers - self.students

    @property
    def two_guardian_students(self) -> int:
        return max(0, min(self.students, self.guardians - self.students))

    @property
    def classes(self) -> int:
        return self.teachers * CLASSES_PER_TEACHER

    @property
    def classes_per_student(self) -> int:
        per_school = self.classes // self.schools
        return max(1, min(per_school, (self.enrollments - self.classes) // self.students))

    @property
    def guardian_links(self) -> int:
        return min(self.guardians, self.students + self.two_guardian_students)


def school_of(number: int, schools: int) -> str:
    return f"sch-{number % schools:03d}"


def write_oneroster_12(folder: Path, shape: RosterShape, *, today: datetime.date) -> dict:
    """Write the file set into `folder`; returns {file name: data rows}."""
    folder.mkdir(parents=True, exist_ok=True)
    first = today.year if today.month >= 8 else today.year - 1
    files = {
        "orgs.csv": _orgs(shape),
        "academicSessions.csv": _sessions(first),
        "classes.csv": _classes(shape, first),
        "users.csv": _users(shape),
        "roles.csv": _roles(shape),
        "enrollments.csv": _enrollments(shape),
    }
    counts = {name: _write(folder / name, rows) for name, rows in files.items()}
    manifest = [["propertyName", "value"], ["manifest.version", "1.0"]]
    manifest += [["oneroster.version", "1.2"], ["source.systemName", "Engage bench"]]
    manifest += [[f"file.{name.removesuffix('.csv')}", "bulk"] for name in files]
    manifest += [["file.courses", "absent"], ["file.demographics", "absent"]]
    manifest += [["file.userProfiles", "absent"]]
    counts["manifest.csv"] = _write(folder / "manifest.csv", iter(manifest))
    return counts


def _write(path: Path, rows) -> int:
    """Write the header and rows; returns the number of data rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(next(rows))
        written = 0
        for row in rows:
            writer.writerow(row)
            written += 1
    return written


def _school_id(school: int) -> str:
    return f"sch-{school:03d}"


def _class_id(school: int, local: int) -> str:
    return f"cls-{school:03d}-{local:04d}"


def _teacher_id(school: int, local: int) -> str:
    return f"tch-{school:03d}-{local:04d}"


def _student_id(number: int) -> str:
    return f"stu-{number:06d}"


def _guardian_id(number: int) -> str:
    return f"par-{number:06d}"


def guardian_phone(number: int) -> str:
    return f"(202) {200 + number // 10000:03d}-{number % 10000:04d}"


def _orgs(shape: RosterShape):
    yield [
        "sourcedId",
        "status",
        "dateLastModified",
        "name",
        "type",
        "identifier",
        "parentSourcedId",
    ]
    yield [DISTRICT_SOURCED_ID, "active", "", "Roster Bench District", "district", "RBD", ""]
    for school in range(shape.schools):
        sid = _school_id(school)
        yield [sid, "active", "", f"School {school:03d}", "school", sid, DISTRICT_SOURCED_ID]


def _sessions(first: int):
    header = ["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate"]
    yield [*header, "parentSourcedId", "schoolYear"]
    start, end = datetime.date(first, 8, 15), datetime.date(first + 1, 6, 15)
    middle = datetime.date(first + 1, 1, 10)
    year = f"y{first}"
    yield [year, "active", "", f"{first}-{first + 1}", "schoolYear", start, end, "", first + 1]
    yield [f"{year}-fall", "active", "", "Fall", "semester", start, middle, year, first + 1]
    yield [f"{year}-spring", "active", "", "Spring", "semester", middle, end, year, first + 1]


def _classes(shape: RosterShape, first: int):
    header = ["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId"]
    header += ["classCode", "classType", "location", "schoolSourcedId", "termSourcedIds"]
    yield [*header, "subjects"]
    terms = f"y{first}-fall,y{first}-spring"
    for school in range(shape.schools):
        for local in range(shape.classes // shape.schools):
            sid = _class_id(school, local)
            grade = GRADES[local % len(GRADES)]
            kind = "homeroom" if local % 6 == 0 else "scheduled"
            title = f"Class {local} ({grade})"
            yield [
                sid,
                "active",
                "",
                title,
                grade,
                f"crs-{grade}",
                sid,
                kind,
                f"Room {local}",
                _school_id(school),
                terms,
                "",
            ]


def _guardians_of(student: int, shape: RosterShape) -> list[int]:
    """Student `student`'s guardians: their own, and a second one for the first students."""
    found = [student] if student < shape.guardians else []
    if student < shape.two_guardian_students:
        found.append(shape.students + student)
    return found


def _child_of(guardian: int, shape: RosterShape) -> int:
    return guardian if guardian < shape.students else guardian - shape.students


def _names(number: int) -> tuple[str, str]:
    return FIRST_NAMES[number % len(FIRST_NAMES)], f"{LAST_NAMES[number % len(LAST_NAMES)]}{number}"


def _user(sid, first, last, *, email="", sms="", identifier="", agents="", grades="", org=""):
    return [
        sid,
        "active",
        "2026-08-01T00:00:00Z",
        "true",
        sid,
        "",
        first,
        last,
        "",
        "",
        identifier,
        email,
        sms,
        "",
        agents,
        grades,
        "",
        org,
        "x",
    ]


def _users(shape: RosterShape):
    yield USER_COLUMNS
    per_school = shape.teachers // shape.schools
    for school in range(shape.schools):
        for local in range(per_school):
            sid = _teacher_id(school, local)
            first, last = _names(school * per_school + local)
            yield _user(sid, first, last, email=f"{sid}@{EMAIL_DOMAIN}", org=_school_id(school))
    for student in range(shape.students):
        first, last = _names(student)
        yield _user(
            _student_id(student),
            first,
            last,
            identifier=f"P{student:06d}",
            agents=",".join(_guardian_id(g) for g in _guardians_of(student, shape)),
            grades=GRADES[student % len(GRADES)],
            org=_school_id(student % shape.schools),
        )
    for guardian in range(shape.guardians):
        sid = _guardian_id(guardian)
        first, last = _names(guardian + 7)
        yield _user(
            sid,
            first,
            last,
            email=f"{sid}@{EMAIL_DOMAIN}",
            sms=guardian_phone(guardian),
            agents=_student_id(_child_of(guardian, shape)),
        )


def _roles(shape: RosterShape):
    yield [
        "sourcedId",
        "status",
        "dateLastModified",
        "userSourcedId",
        "roleType",
        "role",
        "beginDate",
        "endDate",
        "orgSourcedId",
        "userProfileSourcedId",
    ]
    rows = (
        (_teacher_id(s, local), "teacher", _school_id(s))
        for s in range(shape.schools)
        for local in range(shape.teachers // shape.schools)
    )
    principals = ((_teacher_id(s, 0), "principal", _school_id(s)) for s in range(shape.schools))
    students = (
        (_student_id(n), "student", _school_id(n % shape.schools)) for n in range(shape.students)
    )
    guardians = (
        (_guardian_id(g), "parent" if g % 3 else "guardian", _school_id(_child_of(g, shape)))
        for g in range(shape.guardians)
    )
    number = 0
    for source in (rows, principals, students, guardians):
        for user, role, org in source:
            number += 1
            yield [f"rol-{number:06d}", "active", "", user, "primary", role, "", "", org, ""]


ENROLLMENT_COLUMNS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "classSourcedId",
    "schoolSourcedId",
    "userSourcedId",
    "role",
    "primary",
    "beginDate",
    "endDate",
]


def _enrollments(shape: RosterShape):
    yield ENROLLMENT_COLUMNS
    rows = itertools.chain(_teaching(shape), _attending(shape))
    for number, (classroom, school, user, role) in enumerate(rows, 1):
        primary = "true" if role == "teacher" else "false"
        yield [f"enr-{number:07d}", "active", "", classroom, school, user, role, primary, "", ""]


def _teaching(shape: RosterShape):
    """(class, school, teacher, "teacher"): one teacher for each class of their school."""
    teachers_per_school = shape.teachers // shape.schools
    for school in range(shape.schools):
        for local in range(shape.classes // shape.schools):
            teacher = _teacher_id(school, local % teachers_per_school)
            yield _class_id(school, local), _school_id(school), teacher, "teacher"


def _attending(shape: RosterShape):
    """(class, school, student, "student"): each student in consecutive classes of their school."""
    classes_per_school = shape.classes // shape.schools
    per_student = shape.classes_per_student
    for student in range(shape.students):
        school = student % shape.schools
        start = (student // shape.schools) * per_student
        for k in range(per_student):
            classroom = _class_id(school, (start + k) % classes_per_school)
            yield classroom, _school_id(school), _student_id(student), "student"
