"""A school admin's import may only change their own school.

What: when the run names a school (a school admin uploaded the file), every row that belongs to
another school of the district is a located error, "this import may only change <school>": an
org, a class, a student, a staff member who works only at other schools, a staff role (a district
role too), a teacher's or a student's enrollment
in another school's class, a guardian's link to another school's child. So is a school year the
district does not have yet (school years are the district's). Refused rows leave the snapshot
and count as skipped, so that with "valid rows only" nothing is deactivated for their absence.
Guardians and the district org have no school: what they link to is checked instead.

Why: a school admin must not change another school's classes or people, nor grant district
roles. What a bulk file of a school's import deactivates is limited to that school by the planner
(plan.Planner.in_scope), as the file says nothing about the rest of the district.
"""

from tenants.models import School
from tenants.roster.existing import Existing
from tenants.roster.records import STAFF, STUDENT, Snapshot, Where, without_kind
from tenants.roster.report import Report


class SchoolRestriction:
    def __init__(self, snapshot: Snapshot, existing: Existing, school: School, report: Report):
        self.s, self.ex, self.school, self.report = snapshot, existing, school, report
        self.reason = f"this import may only change {school.name}"
        self.refused_classrooms: set[str] = set()
        self.refused_children: set[str] = set()
        self.refused_lines: set[tuple[str, int | None]] = set()

    def refuse(self, where: Where, column: str, value: str, reason: str | None = None) -> None:
        """One located error per refused row, at the first column that puts it elsewhere."""
        if (where.file, where.line) in self.refused_lines:
            return
        self.refused_lines.add((where.file, where.line))
        self.report.error(where.file, where.line, column, value, reason or self.reason)

    def is_own(self, school_sourced_id: str) -> bool:
        return bool(school_sourced_id) and school_sourced_id == self.school.sourced_id

    def check(self) -> None:
        self.check_places()
        self.check_people()
        self.check_relations()

    def check_places(self) -> None:
        s, columns = self.s, self.s.columns
        for sid, record in list(s.schools.items()):
            if not self.is_own(sid):
                self.refuse(record.where, columns.get("school_record", "sourcedId"), sid)
                del s.schools[sid]
        for sid, record in list(s.years.items()):
            if sid not in self.ex.years and f"name:{record.name}" not in self.ex.years:
                reason = "a new school year is added by a district import"
                self.refuse(record.where, "sourcedId", sid, reason)
                del s.years[sid]
        for sid, record in list(s.classrooms.items()):
            if record.year_sourced_id and record.year_sourced_id not in s.years:
                del s.classrooms[sid]  # its year was refused above
            elif not self.is_own(record.school_sourced_id):
                self.refuse(record.where, columns["school"], record.school_sourced_id)
                del s.classrooms[sid]
            else:
                continue
            self.refused_classrooms.add(sid)
            s.skipped["classrooms"].add(sid)

    def check_people(self) -> None:
        s = self.s
        column = s.columns.get("person_school", s.columns["school"])
        for person in s.people.values():
            schools = s.staff_schools.get(person.sourced_id)
            if STAFF in person.kinds and schools and self.school.sourced_id not in schools:
                self.refuse(person.where, column, min(schools))  # works elsewhere only
                person.kinds = without_kind(person.kinds, STAFF)
            elif STUDENT in person.kinds and not self.is_own(person.school_sourced_id):
                self.refuse(person.where, column, person.school_sourced_id)
                person.kinds = without_kind(person.kinds, STUDENT)
                self.refused_children.add(person.sourced_id)
            else:
                continue
            s.skipped["people"].add(person.sourced_id)
        for key, line in list(s.staff_roles.items()):
            _person, role, school = key
            if not self.is_own(school):
                where = s.where("staff_roles", line)
                self.refuse(where, s.columns["school"] if school else "role", school or role)
                del s.staff_roles[key]

    def check_relations(self) -> None:
        s = self.s
        for name, table in (("teaching", s.teaching), ("enrolled", s.enrolled)):
            for key, line in list(table.items()):
                if not self.is_own_classroom(key[1]):
                    self.refuse(s.where(name, line), s.columns["class"], key[1])
                    del table[key]
                    s.skipped["enrollments"].add(key)
        for key, (_relationship, _role, line) in list(s.links.items()):
            if not self.is_own_child(key[1]):
                self.refuse(s.where("links", line), s.columns["child"], key[1])
                del s.links[key]

    def is_own_classroom(self, sid: str) -> bool:
        if sid in self.refused_classrooms:
            return False
        if sid in self.s.classrooms:
            return True
        row = self.ex.classrooms.get(sid)
        return row is None or row[4] == self.school.id  # none: a dangling id, reported later

    def is_own_child(self, sid: str) -> bool:
        if sid in self.refused_children:
            return False
        person = self.s.people.get(sid)
        if person is not None and STUDENT in person.kinds:
            return True
        row = self.ex.children.get(sid)
        return row is None or row[7] == self.school.id


def check_school_restriction(
    snapshot: Snapshot, existing: Existing, school: School, report: Report
) -> None:
    """Refuse (located errors) every row of `snapshot` outside `school`; see the docstring."""
    SchoolRestriction(snapshot, existing, school, report).check()
