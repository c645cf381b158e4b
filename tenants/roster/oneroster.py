"""OneRoster 1.1 / 1.2 CSV -> Snapshot: each row parsed and validated as it streams past.

Never read: `password` (users.csv), userProfiles.csv, courses.csv, and demographics.csv unless the
district turned birth dates on (then only birthDate). Unknown columns (`metadata.*`) are ignored.
"""

from guardians.models import GuardianLink
from tenants.models import Role
from tenants.roster.records import (
    GUARDIAN,
    STAFF,
    STUDENT,
    ClassroomRecord,
    PersonRecord,
    SchoolRecord,
    Snapshot,
    Where,
    YearRecord,
    add_unique,
    check_timestamp,
    clean_email,
    clean_phone,
    parse_date,
    split_list,
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
    def __init__(self, source: RosterSource, report: Report, *, is_birth_date_imported: bool):
        self.source = source
        self.report = report
        self.is_birth_date_imported = is_birth_date_imported
        self.snapshot = Snapshot(columns=REFERENCE_COLUMNS)
        self.files: dict[str, str] = {}
        self.version = ""
        self.sessions: dict[str, tuple[str, str, str, Where]] = {}  # sid -> type, parent, year
        self.agents: dict[str, list[str]] = {}
        self.enrollment_ids: set[str] = set()

    def parse(self) -> Snapshot:
        self.read_manifest()
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
        for name, handle in steps:
            if self.files.get(name, "absent") != "absent":
                self.read(name, handle)
        self.add_links()
        return self.snapshot

    def read_manifest(self) -> None:
        if not self.source.has("manifest.csv"):
            self.report.error("manifest.csv", None, "", "", "no manifest.csv at the root")
            raise RosterRejected("no manifest")
        for line, row in self.source.rows("manifest.csv", ("propertyName", "value")):
            name, value = row["propertyName"], row["value"]
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
        for line, row in self.source.rows(file, required):
            where = Where(file, line)
            sourced_id = row["sourcedId"]
            if not sourced_id:
                self.report.error(file, line, "sourcedId", "", "sourcedId is required")
                continue
            if not check_timestamp(
                self.report, where, "dateLastModified", row.get("dateLastModified", "")
            ):
                continue
            # enrollments are kept by what they join; their own sourcedIds are not stored
            key = (
                (row["userSourcedId"], row["classSourcedId"])
                if name == "enrollments"
                else sourced_id
            )
            if kind and row.get("status", "").lower() == "tobedeleted":
                self.snapshot.removed[kind].add(key)
                continue
            before = self.report.error_count
            handle(row, where)
            if kind and self.report.error_count > before:
                self.snapshot.skipped[kind].add(key)

    # --- one method per file ------------------------------------------------------------------

    def org(self, row: dict, where: Where) -> None:
        org_type = row["type"]
        if org_type == "district":
            if self.snapshot.district_sourced_id:
                self.report.error(where.file, where.line, "type", org_type, "a second district")
                return
            self.snapshot.district_sourced_id = row["sourcedId"]
            self.snapshot.district_name = row["name"]
        elif org_type == "school":
            record = SchoolRecord(row["sourcedId"], row["name"], where)
            add_unique(
                self.report, self.snapshot.schools, row["sourcedId"], record, where, "sourcedId"
            )

    def session(self, row: dict, where: Where) -> None:
        start = parse_date(self.report, where, "startDate", row["startDate"])
        end = parse_date(self.report, where, "endDate", row["endDate"])
        sid = row["sourcedId"]
        if sid in self.sessions:
            self.report.error(where.file, where.line, "sourcedId", sid, "duplicate id")
            return
        self.sessions[sid] = (
            row["type"],
            row.get("parentSourcedId", ""),
            row.get("schoolYear", ""),
            where,
        )
        if row["type"] == "schoolYear" and start and end:
            self.snapshot.years[sid] = YearRecord(sid, row["title"], start, end)

    def classroom(self, row: dict, where: Where) -> None:
        terms = split_list(row["termSourcedIds"])
        year = self.year_of(terms[0] if terms else "", where)
        if year is None:
            return
        grades = split_list(row.get("grades", ""))
        record = ClassroomRecord(
            row["sourcedId"],
            row["title"],
            row["schoolSourcedId"],
            year,
            grades[0] if grades else "",
            where,
        )
        add_unique(
            self.report, self.snapshot.classrooms, row["sourcedId"], record, where, "sourcedId"
        )

    def year_of(self, term: str, where: Where) -> str | None:
        """The schoolYear session a class's first term belongs to."""
        seen = set()
        while term in self.sessions and term not in seen:
            seen.add(term)
            session_type, parent, _year, _where = self.sessions[term]
            if session_type == "schoolYear" and term in self.snapshot.years:
                return term
            term = parent
        self.report.error(
            where.file, where.line, "termSourcedIds", term, "no school year for this term"
        )
        return None

    def user(self, row: dict, where: Where) -> None:
        sid = row["sourcedId"]
        person = PersonRecord(sid, row["givenName"], row["familyName"], where)
        person.preferred_name = row.get("preferredGivenName", "")
        person.identifier = row.get("identifier", "")
        grades = split_list(row.get("grades", ""))
        person.grade_level = grades[0] if grades else ""
        person.email = clean_email(self.report, where, "email", row.get("email", ""))
        phone_column = "sms" if row.get("sms") else "phone"
        person.phone = clean_phone(self.report, where, phone_column, row.get(phone_column, ""))
        person.school_sourced_id = row.get("primaryOrgSourcedId", "")
        if not add_unique(self.report, self.snapshot.people, sid, person, where, "sourcedId"):
            return
        self.agents[sid] = split_list(row.get("agentSourcedIds", ""))
        if self.version == "1.1":
            self.apply_role(person, row["role"], split_list(row["orgSourcedIds"]), where)

    def role(self, row: dict, where: Where) -> None:
        person = self.snapshot.people.get(row["userSourcedId"])
        if person is None:
            if row["userSourcedId"] not in self.snapshot.removed["people"]:
                self.report.error(
                    where.file,
                    where.line,
                    "userSourcedId",
                    row["userSourcedId"],
                    "no user with this id in the roster",
                )
            return
        self.apply_role(person, row["role"], [row["orgSourcedId"]], where)

    def apply_role(self, person: PersonRecord, role: str, orgs: list[str], where: Where) -> None:
        kind = PERSON_KINDS.get(role)
        if kind is None:
            self.report.error(where.file, where.line, "role", role, "unknown role")
            self.snapshot.people.pop(person.sourced_id, None)
            return
        person.kinds.add(kind)
        schools = [org for org in orgs if org != self.snapshot.district_sourced_id]
        if kind == STUDENT and not person.school_sourced_id:
            person.school_sourced_id = schools[0] if schools else (orgs[0] if orgs else "")
        elif kind == GUARDIAN:
            person.relationship = RELATIONSHIPS[role]
        elif role == "districtAdministrator" or (role == "administrator" and not schools):
            self.snapshot.staff_roles[(person.sourced_id, Role.DISTRICT_ADMIN, "")] = where
        elif role in SCHOOL_ROLES:
            for school in schools:
                self.snapshot.staff_roles[(person.sourced_id, SCHOOL_ROLES[role], school)] = where

    def enrollment(self, row: dict, where: Where) -> None:
        for column in ("beginDate", "endDate"):
            if row.get(column) and parse_date(self.report, where, column, row[column]) is None:
                return
        key = (row["userSourcedId"], row["classSourcedId"])
        if row["role"] == "teacher":
            table = self.snapshot.teaching
        elif row["role"] == "student":
            table = self.snapshot.enrolled
        elif row["role"] in ("administrator", "proctor"):
            return
        else:
            self.report.error(where.file, where.line, "role", row["role"], "unknown role")
            return
        if row["sourcedId"] in self.enrollment_ids:
            self.report.error(where.file, where.line, "sourcedId", row["sourcedId"], "duplicate id")
            return
        self.enrollment_ids.add(row["sourcedId"])
        table[key] = where

    def demographics(self, row: dict, where: Where) -> None:
        person = self.snapshot.people.get(row["sourcedId"])
        if person is not None and row["birthDate"]:
            person.birth_date = parse_date(self.report, where, "birthDate", row["birthDate"])

    def add_links(self) -> None:
        for sid, agents in self.agents.items():
            person = self.snapshot.people.get(sid)
            if person is None:
                continue
            for agent in agents:
                if STUDENT in person.kinds:
                    guardian, child = agent, sid
                elif GUARDIAN in person.kinds:
                    guardian, child = sid, agent
                else:
                    continue
                relationship = getattr(self.snapshot.people.get(guardian), "relationship", "")
                self.snapshot.links.setdefault(
                    (guardian, child),
                    (
                        relationship or GuardianLink.Relationship.PARENT,
                        GuardianLink.ContactRole.PRIMARY,
                        person.where,
                    ),
                )


def parse_oneroster(
    source: RosterSource, report: Report, *, is_birth_date_imported: bool
) -> Snapshot:
    """Parse and validate a OneRoster 1.1 or 1.2 CSV set (raises RosterRejected when unreadable)."""
    return OneRosterParser(source, report, is_birth_date_imported=is_birth_date_imported).parse()
