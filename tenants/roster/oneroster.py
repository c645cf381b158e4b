"""OneRoster 1.1 / 1.2 CSV -> Snapshot: each row parsed and validated as it streams past.

Never read: `password` (users.csv), userProfiles.csv, courses.csv, and demographics.csv unless the
district turned birth dates on (then only birthDate). Unknown columns (`metadata.*`) are ignored:
each file is read as the tuple of the columns in COLUMNS, the first three of which are always
sourcedId, status and dateLastModified.
"""

from guardians.models import GuardianLink
from tenants.models import Role
from tenants.roster.records import (
    GUARDIAN,
    STAFF,
    STUDENT,
    ClassroomRecord,
    PersonRecord,
    Phones,
    SchoolRecord,
    Snapshot,
    Where,
    YearRecord,
    add_unique,
    check_timestamp,
    clean_email,
    parse_date,
    split_list,
    with_kind,
)
from tenants.roster.report import Report, RosterRejected
from tenants.roster.source import RosterSource

MODES = {"absent", "bulk", "delta"}
# file -> the snapshot kind its rows are
FILE_KINDS = {
    "orgs": "schools",
    "academicSessions": "years",
    "classes": "classrooms",
    "users": "people",
    "roles": "roles",
    "enrollments": "enrollments",
}
REQUIRED = {
    "orgs": ("sourcedId", "name", "type"),
    "academicSessions": ("sourcedId", "title", "type", "startDate", "endDate"),
    "classes": ("sourcedId", "title", "schoolSourcedId", "termSourcedIds"),
    "users-1.1": ("sourcedId", "role", "orgSourcedIds", "givenName", "familyName"),
    "users-1.2": ("sourcedId", "givenName", "familyName"),
    "roles": ("sourcedId", "userSourcedId", "role", "orgSourcedId"),
    "enrollments": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    "demographics": ("sourcedId", "birthDate"),
}
ROW = ("sourcedId", "status", "dateLastModified")
COLUMNS = {
    "orgs": (*ROW, "name", "type"),
    "academicSessions": (*ROW, "title", "type", "startDate", "endDate", "parentSourcedId"),
    "classes": (*ROW, "title", "grades", "schoolSourcedId", "termSourcedIds"),
    # 1.1 and 1.2 alike: role and orgSourcedIds are 1.1's, preferredGivenName and
    # primaryOrgSourcedId 1.2's; a column a version lacks reads as ""
    "users": (
        *ROW,
        "givenName",
        "familyName",
        "preferredGivenName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "primaryOrgSourcedId",
        "role",
        "orgSourcedIds",
    ),
    "roles": (*ROW, "userSourcedId", "role", "orgSourcedId"),
    "enrollments": (
        *ROW,
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "beginDate",
        "endDate",
    ),
    "demographics": (*ROW, "birthDate"),
}
PERSON_KINDS = {
    "student": STUDENT,
    "teacher": STAFF,
    "administrator": STAFF,
    "aide": STAFF,
    "proctor": STAFF,
    "counselor": STAFF,
    "districtAdministrator": STAFF,
    "siteAdministrator": STAFF,
    "principal": STAFF,
    "systemAdministrator": STAFF,
    "parent": GUARDIAN,
    "guardian": GUARDIAN,
    "relative": GUARDIAN,
}
# Roles that carry a membership of their own (teachers get theirs from class enrollments).
SCHOOL_ROLES = {
    "siteAdministrator": Role.SCHOOL_ADMIN,
    "principal": Role.SCHOOL_ADMIN,
    "administrator": Role.SCHOOL_ADMIN,
    "aide": Role.STAFF,
    "proctor": Role.STAFF,
    "counselor": Role.STAFF,
}
REFERENCE_COLUMNS = {
    "school": "schoolSourcedId",
    "class": "classSourcedId",
    "teacher": "userSourcedId",
    "student": "userSourcedId",
    "guardian": "agentSourcedIds",
    "child": "agentSourcedIds",
}
RELATIONSHIPS = {
    "parent": GuardianLink.Relationship.PARENT,
    "guardian": GuardianLink.Relationship.CARER,
    "relative": GuardianLink.Relationship.OTHER,
}


class OneRosterParser:
    def __init__(
        self, source: RosterSource, report: Report, *, is_birth_date_imported: bool, phones: Phones
    ):
        self.source = source
        self.report = report
        self.is_birth_date_imported = is_birth_date_imported
        self.phones = phones
        self.snapshot = Snapshot(columns=REFERENCE_COLUMNS)
        self.files: dict[str, str] = {}
        self.version = ""
        self.sessions: dict[str, tuple[str, str]] = {}  # sid -> type, parent
        self.agents: dict[str, list[str]] = {}
        self.enrollment_ids: set[str] = set()

    def steps(self) -> list[tuple[str, object]]:
        steps = [
            ("orgs", self.org),
            ("academicSessions", self.session),
            ("classes", self.classroom),
            ("users", self.user),
            ("roles", self.role),
            ("enrollments", self.enrollment),
        ]
        if self.is_birth_date_imported:
            steps.append(("demographics", self.demographics))
        return [
            (name, handle) for name, handle in steps if self.files.get(name, "absent") != "absent"
        ]

    def file_names(self) -> list[str]:
        """The files this roster's import reads (after the manifest)."""
        return [f"{name}.csv" for name, _handle in self.steps()]

    def parse(self) -> Snapshot:
        for name, handle in self.steps():
            self.read(name, handle)
        self.add_links()
        return self.snapshot

    def read_manifest(self) -> None:
        if not self.source.has("manifest.csv"):
            self.report.error("manifest.csv", None, "", "", "no manifest.csv at the root")
            raise RosterRejected("no manifest")
        for line, (name, value) in self.source.rows(
            "manifest.csv", ("propertyName", "value"), ("propertyName", "value")
        ):
            if name == "oneroster.version":
                self.version = value
            elif name.startswith("file."):
                self.check_file_entry(line, name[5:], value)
        if self.version not in ("1.1", "1.2"):
            self.report.error(
                "manifest.csv", None, "oneroster.version", self.version, "must be 1.1 or 1.2"
            )
        has_users = self.files.get("users", "absent") != "absent"
        if self.version == "1.2" and has_users and self.files.get("roles", "absent") == "absent":
            self.report.error("manifest.csv", None, "file.roles", "", "1.2 needs roles.csv")
        if self.report.is_failed:
            raise RosterRejected("bad manifest")
        for name, kind in FILE_KINDS.items():
            # an absent file changes nothing, like an empty delta
            if self.files.get(name, "absent") != "bulk":
                self.snapshot.modes[kind] = "delta"
        self.snapshot.modes["links"] = self.snapshot.modes["people"]
        person_school = "orgSourcedIds" if self.version == "1.1" else "primaryOrgSourcedId"
        self.snapshot.columns = {**REFERENCE_COLUMNS, "person_school": person_school}
        self.snapshot.files = {
            "teaching": "enrollments.csv",
            "enrolled": "enrollments.csv",
            "links": "users.csv",
            "staff_roles": "users.csv" if self.version == "1.1" else "roles.csv",
        }

    def check_file_entry(self, line: int, name: str, mode: str) -> None:
        if mode not in MODES:
            self.report.error("manifest.csv", line, "value", mode, "must be absent, bulk or delta")
        elif mode != "absent" and not self.source.has(f"{name}.csv"):
            self.report.error(
                "manifest.csv", line, "value", mode, f"the manifest names {name}.csv: not found"
            )
        self.files[name] = mode

    def read(self, name: str, handle) -> None:
        file = f"{name}.csv"
        required = REQUIRED[f"users-{self.version}" if name == "users" else name]
        kind = FILE_KINDS.get(name)
        removed, skipped = self.snapshot.removed.get(kind), self.snapshot.skipped.get(kind)
        report = self.report
        for line, row in self.source.rows(file, required, COLUMNS[name]):
            sourced_id, status, modified = row[0], row[1], row[2]
            if not sourced_id:
                report.error(file, line, "sourcedId", "", "sourcedId is required")
                continue
            if modified and not check_timestamp(
                report, Where(file, line), "dateLastModified", modified
            ):
                continue
            # enrollments are kept by what they join; their own sourcedIds are not stored
            key = self.enrollment_key(row) if name == "enrollments" else sourced_id
            if kind and status.lower() == "tobedeleted":
                removed.add(key)
                continue
            before = report.error_count
            handle(row, line)
            if kind and report.error_count > before:
                skipped.add(key)

    def enrollment_key(self, row: tuple) -> tuple[str, str]:
        """(user, class), as the strings their records already hold (one copy in memory)."""
        user, classroom = row[5], row[3]
        person = self.snapshot.people.get(user)
        record = self.snapshot.classrooms.get(classroom)
        return (
            user if person is None else person.sourced_id,
            classroom if record is None else record.sourced_id,
        )

    # --- one method per file ------------------------------------------------------------------

    def org(self, row: tuple, line: int) -> None:
        sourced_id, _status, _modified, name, org_type = row
        where = Where("orgs.csv", line)
        if org_type == "district":
            if self.snapshot.district_sourced_id:
                self.report.error(where.file, where.line, "type", org_type, "a second district")
                return
            self.snapshot.district_sourced_id = sourced_id
            self.snapshot.district_name = name
        elif org_type == "school":
            record = SchoolRecord(sourced_id, name, where)
            add_unique(self.report, self.snapshot.schools, sourced_id, record, where, "sourcedId")

    def session(self, row: tuple, line: int) -> None:
        sid, _status, _modified, title, session_type, start_date, end_date, parent = row
        where = Where("academicSessions.csv", line)
        start = parse_date(self.report, where, "startDate", start_date)
        end = parse_date(self.report, where, "endDate", end_date)
        if sid in self.sessions:
            self.report.error(where.file, where.line, "sourcedId", sid, "duplicate id")
            return
        self.sessions[sid] = (session_type, parent)
        if session_type == "schoolYear" and start and end:
            self.snapshot.years[sid] = YearRecord(sid, title, start, end, where)

    def classroom(self, row: tuple, line: int) -> None:
        sid, _status, _modified, title, grade_list, school, term_list = row
        where = Where("classes.csv", line)
        terms = split_list(term_list)
        year = self.year_of(terms[0] if terms else "", where)
        if year is None:
            return
        grades = split_list(grade_list)
        record = ClassroomRecord(sid, title, school, year, grades[0] if grades else "", where)
        add_unique(self.report, self.snapshot.classrooms, sid, record, where, "sourcedId")

    def year_of(self, term: str, where: Where) -> str | None:
        """The schoolYear session a class's first term belongs to."""
        seen = set()
        while term in self.sessions and term not in seen:
            seen.add(term)
            session_type, parent = self.sessions[term]
            if session_type == "schoolYear" and term in self.snapshot.years:
                return term
            term = parent
        self.report.error(
            where.file, where.line, "termSourcedIds", term, "no school year for this term"
        )
        return None

    def user(self, row: tuple, line: int) -> None:
        (sid, _status, _modified, given, family, preferred, identifier, email, sms, phone) = row[
            :10
        ]
        agents, grade_list, primary_org, role, orgs = row[10:]
        where = Where("users.csv", line)
        person = PersonRecord(sid, given, family, where)
        person.preferred_name = preferred
        person.identifier = identifier
        if grade_list:
            grades = split_list(grade_list)
            person.grade_level = grades[0] if grades else ""
        person.email = clean_email(self.report, where, "email", email)
        person.phone = self.phones.clean(
            self.report, where, "sms" if sms else "phone", sms or phone
        )
        person.school_sourced_id = primary_org
        if not add_unique(self.report, self.snapshot.people, sid, person, where, "sourcedId"):
            return
        if agents:
            self.agents[sid] = split_list(agents)
        if self.version == "1.1":
            self.apply_role(person, role, split_list(orgs), where)

    def role(self, row: tuple, line: int) -> None:
        _sid, _status, _modified, user, role, org = row
        where = Where("roles.csv", line)
        person = self.snapshot.people.get(user)
        if person is None:
            if user not in self.snapshot.removed["people"]:
                self.report.error(
                    where.file,
                    where.line,
                    "userSourcedId",
                    user,
                    "no user with this id in the roster",
                )
            return
        self.apply_role(person, role, [org], where)

    def apply_role(self, person: PersonRecord, role: str, orgs: list[str], where: Where) -> None:
        kind = PERSON_KINDS.get(role)
        if kind is None:
            self.report.error(where.file, where.line, "role", role, "unknown role")
            self.snapshot.people.pop(person.sourced_id, None)
            return
        person.kinds = with_kind(person.kinds, kind)
        schools = [org for org in orgs if org != self.snapshot.district_sourced_id]
        roles = self.snapshot.staff_roles
        if kind == STUDENT:
            if not person.school_sourced_id:
                person.school_sourced_id = schools[0] if schools else (orgs[0] if orgs else "")
        elif kind == GUARDIAN:
            person.relationship = RELATIONSHIPS[role]
        else:
            self.snapshot.staff_schools.setdefault(person.sourced_id, set()).update(schools)
            if role == "districtAdministrator" or (role == "administrator" and not schools):
                roles[(person.sourced_id, Role.DISTRICT_ADMIN, "")] = where.line
            elif role in SCHOOL_ROLES:
                for school in schools:
                    roles[(person.sourced_id, SCHOOL_ROLES[role], school)] = where.line

    def enrollment(self, row: tuple, line: int) -> None:
        sourced_id, _status, _modified, _class, _school, _user, role, begin, end = row
        for column, value in (("beginDate", begin), ("endDate", end)):
            if (
                value
                and parse_date(self.report, Where("enrollments.csv", line), column, value) is None
            ):
                return
        if role == "teacher":
            table = self.snapshot.teaching
        elif role == "student":
            table = self.snapshot.enrolled
        elif role in ("administrator", "proctor"):
            return
        else:
            self.report.error("enrollments.csv", line, "role", role, "unknown role")
            return
        if sourced_id in self.enrollment_ids:
            self.report.error("enrollments.csv", line, "sourcedId", sourced_id, "duplicate id")
            return
        self.enrollment_ids.add(sourced_id)
        table[self.enrollment_key(row)] = line

    def demographics(self, row: tuple, line: int) -> None:
        sourced_id, _status, _modified, birth_date = row
        person = self.snapshot.people.get(sourced_id)
        if person is not None and birth_date:
            where = Where("demographics.csv", line)
            person.birth_date = parse_date(self.report, where, "birthDate", birth_date)

    def add_links(self) -> None:
        people = self.snapshot.people
        for sid, agents in self.agents.items():
            person = people.get(sid)
            if person is None:
                continue
            for agent in agents:
                if STUDENT in person.kinds:
                    guardian, child = agent, sid
                    other = people.get(agent)
                    guardian = guardian if other is None else other.sourced_id
                elif GUARDIAN in person.kinds:
                    guardian, child = sid, agent
                    other = people.get(agent)
                    child = child if other is None else other.sourced_id
                else:
                    continue
                relationship = getattr(people.get(guardian), "relationship", "")
                self.snapshot.links.setdefault(
                    (guardian, child),
                    (
                        relationship or GuardianLink.Relationship.PARENT,
                        GuardianLink.ContactRole.PRIMARY,
                        person.where.line,
                    ),
                )
        self.agents.clear()


def parse_oneroster(
    source: RosterSource, report: Report, *, is_birth_date_imported: bool, phones: Phones
) -> Snapshot:
    """Parse and validate a OneRoster 1.1 or 1.2 CSV set (raises RosterRejected when unreadable)."""
    parser = OneRosterParser(
        source, report, is_birth_date_imported=is_birth_date_imported, phones=phones
    )
    parser.read_manifest()
    source.expect_rows(parser.file_names())
    return parser.parse()
