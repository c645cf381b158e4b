"""Diff a parsed roster against the district's rows: what to create, update, leave, deactivate.

The district's existing rows are loaded in a few queries (existing.py), as compact tuples rather
than model instances, and the plan is tuples too (rows.py). Nothing is written here, and every
count in the report is known before the write.

Year-end rollover: which year is current, and which classrooms are history, is years.py.
Children a bulk file no longer lists are leavers: deactivated, with `removed_at` set for the
privacy engine's timers (cleared when a later roster lists them again). A removed child keeps
their guardian links, whatever the links file says, so the family keeps the child's past work
until they remove the child themselves (PROMISES R4: removed by both, the child is deleted).

A school admin's import (`school_id`) changes only that school: nothing outside it is deactivated
(roster people span schools, so their district records are never deactivated by it), and the
district's school years are left as they are.
"""

import secrets

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.utils import timezone
from django.utils.text import slugify

from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import (
    Classroom,
    District,
    Membership,
    Role,
    RosterPerson,
    School,
    User,
)
from tenants.roster.existing import Existing, pair, unpair
from tenants.roster.records import GUARDIAN, STAFF, STUDENT, Snapshot
from tenants.roster.report import Report
from tenants.roster.rows import CHILD_COLUMNS, CREATE_COLUMNS, Plan
from tenants.roster.years import YearPlanning


def unusable_password() -> str:
    """What make_password(None) stores (a password no one can sign in with), at 1/100 the cost."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)


class Planner(YearPlanning):
    """Builds the Plan and counts the report; see the module docstring."""

    def __init__(
        self,
        snapshot: Snapshot,
        existing: Existing,
        plan: Plan,
        report: Report,
        actor_user,
        school_id: int | None,
    ):
        self.s, self.ex, self.plan, self.report = snapshot, existing, plan, report
        self.actor_user_id = getattr(actor_user, "id", None)
        self.school_id = school_id
        self.years = {sid: row[0] for sid, row in existing.years.items()}
        self.year_starts = {row[0]: row[3] for row in existing.years.values()}
        self.current_year = next((row[0] for row in existing.years.values() if row[5]), None)
        self.schools = {sid: row[0] for sid, row in existing.schools.items()}
        # sourcedId -> (classroom, school, year): the file's classrooms, else the newest rows
        self.classrooms = {sid: (r[0], r[4], r[5]) for sid, r in existing.classrooms.items()}
        self.children = {sid: row[0] for sid, row in existing.children.items()}
        self.child_schools = {row[0]: row[7] for row in existing.children.values()}
        self.users = {sid: row[2] for sid, row in existing.people.items()}
        self.ended_users: set[int] = set()
        self.ended_children: set[int] = set()
        # children removed after this import (leavers now, or earlier and not listed again), and
        # removed children it lists again: their families' pages change
        self.removed_children: set[int] = set()
        self.returning_children: set[int] = set()
        self.ended_classrooms: set[int] = set()
        self.history_years: set[int] = set()
        self.past_years: set[int] = set()

    def run(self) -> Plan:
        self.plan_years()
        self.plan_schools()
        self.plan_classrooms()
        self.plan_people()
        self.plan_children()
        self.plan_teaching()
        self.plan_enrollments()
        self.plan_links()
        return self.plan

    # --- helpers ------------------------------------------------------------------------------

    def gone(self, kind: str, existing_ids, present) -> list[str]:
        """Existing sourcedIds the roster removes: status tobedeleted, or missing from a bulk file."""
        if self.s.modes[kind] == "bulk":
            return [
                sid
                for sid in existing_ids
                if sid not in present and sid not in self.s.skipped[kind]
            ]
        return [sid for sid in self.s.removed[kind] if sid in existing_ids]

    def in_scope(self, school_id) -> bool:
        """Whether this import may deactivate what belongs to `school_id` (a school's import
        only its own)."""
        return self.school_id is None or school_id == self.school_id

    def upsert(self, key: str, model, row, values: dict, compare: dict):
        """Create or update one row; returns its reference (an id or a NewRow)."""
        if row is None:
            columns = CREATE_COLUMNS[model]
            ref = self.plan.add(model, tuple(values[c] for c in columns), is_referenced=True)
            self.report.count("created", key)
            return ref
        changed = {name: values[name] for name, old in compare.items() if values[name] != old}
        if changed:
            self.plan.updated(model, row[0], changed)
        self.report.count("updated" if changed else "unchanged", key)
        return row[0]

    # --- schools, classrooms (years: years.py) -----------------------------------------------

    def plan_schools(self) -> None:
        for record in self.s.schools.values():
            row = self.ex.schools.get(record.sourced_id)
            values = {"name": record.name, "is_active": True}
            if row is None:
                values.update(sourced_id=record.sourced_id, slug=self.new_slug(record.name))
            compare = {"name": row[2], "is_active": row[4]} if row else {}
            self.schools[record.sourced_id] = self.upsert("schools", School, row, values, compare)
        if self.school_id is not None:
            return
        for sid in self.gone("schools", self.ex.schools, self.s.schools):
            row = self.ex.schools[sid]
            if row[4]:
                self.plan.deactivate[School].add(row[0])
                self.report.count("deactivated", "schools")

    def new_slug(self, name: str) -> str:
        base = slugify(name)[:70] or "school"
        slug, number = base, 1
        while slug in self.ex.slugs:
            number += 1
            slug = f"{base}-{number}"
        self.ex.slugs.add(slug)
        return slug

    def plan_classrooms(self) -> None:
        listed_years = {self.years[r.year_sourced_id] for r in self.s.classrooms.values()}
        # a file's class is the row of the same id in its year, or one it moved from another
        # year the file lists; a row of a history year stays as it is and a new row is made
        movable = {
            sid: row
            for (sid, year), row in self.ex.classrooms_by_year.items()
            if year in listed_years
        }
        matched = set()
        for record in self.s.classrooms.values():
            school = self.schools[record.school_sourced_id]
            year = self.years[record.year_sourced_id]
            if year is None:
                continue  # no year this import may use (reported)
            row = self.ex.classrooms_by_year.get((record.sourced_id, year)) or movable.get(
                record.sourced_id
            )
            values = {
                "sourced_id": record.sourced_id,
                "name": record.name,
                "grade_level": record.grade_level,
                "school_id": school,
                "school_year_id": year,
                "is_active": True,
            }
            compare = {}
            if row is not None:
                matched.add(row[0])
                names = ("name", "grade_level", "school_id", "school_year_id", "is_active")
                compare = dict(zip(names, row[2:7], strict=True))
            ref = self.upsert("classrooms", Classroom, row, values, compare)
            self.classrooms[record.sourced_id] = (ref, school, year)
        self.end_classrooms(matched)

    def end_classrooms(self, matched: set[int]) -> None:
        """Deactivate the rostered classrooms the roster removes (never history: years.py)."""
        ex = self.ex
        if self.s.modes["classrooms"] == "bulk":
            gone = [
                row
                for row in ex.classrooms_by_id.values()
                if row[0] not in matched
                and row[1] not in self.s.skipped["classrooms"]
                and row[5] not in self.history_years
            ]
        else:
            gone = [
                ex.classrooms[sid] for sid in self.s.removed["classrooms"] if sid in ex.classrooms
            ]
        for row in gone:
            if row[6] and self.in_scope(row[4]):
                self.plan.deactivate[Classroom].add(row[0])
                self.ended_classrooms.add(row[0])
                self.report.count("deactivated", "classrooms")

    # --- people -------------------------------------------------------------------------------

    def plan_people(self) -> None:
        adults = [p for p in self.s.people.values() if p.kinds & {STAFF, GUARDIAN}]
        self.owners = {
            column: self.ex.users_by_contact(column, self.contacts_to_look_up(adults, column))
            for column in ("email", "phone")
        }
        self.claimed_users: set[int] = {row[2] for row in self.ex.people.values()}
        self.claimed = {"email": set(), "phone": set()}
        for person in adults:
            key = "teachers" if STAFF in person.kinds else "guardians"
            row = self.ex.people.get(person.sourced_id)
            if row is not None:
                changed = self.update_user(person, self.ex.users[row[2]])
                if not row[3]:
                    self.plan.updated(RosterPerson, row[0], {"is_active": True})
                self.report.count("updated" if changed or not row[3] else "unchanged", key)
            elif self.create_person(person):
                self.report.count("created", key)
        if self.school_id is not None:
            return  # people span schools: a school's import never ends their district record
        guardian_users = {uid for uid, role, _s, _c in self.ex.memberships if role == Role.GUARDIAN}
        staff_users = {uid for uid, role, _s, _c in self.ex.memberships if role != Role.GUARDIAN}
        for sid in self.gone("people", self.ex.people, self.s.people):
            row = self.ex.people[sid]
            if row[3]:
                self.plan.deactivate[RosterPerson].add(row[0])
                self.ended_users.add(row[2])
                key = "guardians" if row[2] in guardian_users - staff_users else "teachers"
                self.report.count("deactivated", key)

    def contacts_to_look_up(self, adults, column: str) -> list[str]:
        """Whose accounts matter: new people's contacts, and contacts the roster changes."""
        index = Existing.USER_FIELDS.index(column)
        found = []
        for person in adults:
            value = getattr(person, column)
            row = self.ex.people.get(person.sourced_id) if value else None
            if value and (row is None or self.ex.users[row[2]][index] != value):
                found.append(value)
        return found

    def create_person(self, person) -> bool:
        """A person new to the district: the account their contact names, or a new account."""
        match = None
        for column in ("email", "phone"):
            owner = self.owners[column].get(getattr(person, column))
            if owner is not None and owner[0] not in self.claimed_users:
                match = owner
                break
        if match is not None:
            self.claimed_users.add(match[0])
            self.update_user(person, match)
            user = match[0]
        else:
            contacts = {c: self.free_contact(person, c) for c in ("email", "phone")}
            if not any(contacts.values()):
                self.report.error(
                    person.where.file,
                    person.where.line,
                    "email",
                    person.email,
                    "a staff member or guardian needs an email or phone of their own",
                )
                return False
            values = (
                contacts["email"] or None,
                contacts["phone"] or None,
                person.preferred_name or person.first_name,
                person.last_name,
                person.preferred_language or "en",
                unusable_password(),
            )
            user = self.plan.add(User, values, is_referenced=True)
        self.users[person.sourced_id] = user
        self.plan.add(RosterPerson, (person.sourced_id, user))
        return True

    def free_contact(self, person, column: str) -> str:
        """The person's email / phone, unless another account or person has it (a warning)."""
        value = getattr(person, column)
        if not value:
            return ""
        if value in self.claimed[column] or value in self.owners[column]:
            self.report.warning(
                person.where.file,
                person.where.line,
                column,
                value,
                f"this {column} belongs to someone else; imported without it",
            )
            return ""
        self.claimed[column].add(value)
        return value

    def update_user(self, person, row) -> bool:
        """Bring an account's names and unverified contacts in line with the roster."""
        user_id, email, phone, email_verified, phone_verified, first, last, language = row
        values = {
            "first_name": person.preferred_name or person.first_name,
            "last_name": person.last_name,
        }
        if person.preferred_language:
            values["preferred_language"] = person.preferred_language
        current = {"first_name": first, "last_name": last, "preferred_language": language}
        changed = {n: v for n, v in values.items() if v != current[n]}
        for column, stored, verified in (
            ("email", email, email_verified),
            ("phone", phone, phone_verified),
        ):
            new = getattr(person, column)
            if not new or new == stored:
                continue
            if verified:
                self.report.changed_by_families.append(
                    {
                        "sourced_id": person.sourced_id,
                        "field": column,
                        "roster_value": new,
                        "family_value": stored,
                    }
                )
            elif self.free_contact(person, column):
                changed[column] = new
        if changed:
            self.plan.updated(User, user_id, changed)
        return bool(changed)

    def plan_children(self) -> None:
        self.removed_children = {row[0] for row in self.ex.children.values() if not row[9]}
        for person in self.s.people.values():
            if STUDENT not in person.kinds:
                continue
            row = self.ex.children.get(person.sourced_id)
            if row is not None and not row[9]:
                self.removed_children.discard(row[0])
                self.returning_children.add(row[0])
            values = {
                "sourced_id": person.sourced_id,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "preferred_name": person.preferred_name,
                "grade_level": person.grade_level,
                "pupil_number": person.identifier,
                "school_id": self.schools[person.school_sourced_id],
                "birth_date": person.birth_date,
                "is_active": True,
                "removed_at": None,  # a child the roster lists again is no longer removed
                "is_disadvantaged": person.is_disadvantaged,
            }
            compare = dict(zip(CHILD_COLUMNS, row[2:], strict=True)) if row else {}
            for name in ("birth_date", "is_disadvantaged"):
                if values[name] is None:
                    compare.pop(name, None)  # kept unless the roster gives one
            self.children[person.sourced_id] = self.upsert("children", Child, row, values, compare)
        removed_at = timezone.now()
        for sid in self.gone("people", self.ex.children, self.s.people):
            row = self.ex.children[sid]
            if row[9] and self.in_scope(row[7]):
                # a leaver: the privacy engine's timers start at removed_at
                self.plan.updated(Child, row[0], {"is_active": False, "removed_at": removed_at})
                self.ended_children.add(row[0])
                self.removed_children.add(row[0])
                self.report.count("deactivated", "children")

    # --- memberships, enrollments, links ------------------------------------------------------

    def plan_teaching(self) -> None:
        """Teacher memberships of rostered classrooms, and (1.2 / Engage) staff roles."""
        wanted = set()
        for person_sid, classroom_sid in self.s.teaching:
            classroom, school, year = self.classrooms[classroom_sid]
            if person_sid in self.users and year not in self.past_years:
                wanted.add((self.users[person_sid], Role.TEACHER, school, classroom))
        for person_sid, role, school_sid in self.s.staff_roles:
            if person_sid in self.users:
                wanted.add((self.users[person_sid], role, self.schools.get(school_sid), None))
        for key in wanted:
            if key in self.ex.memberships:
                self.report.count("unchanged", "enrollments")
                continue
            user, role, school, classroom = key
            self.plan.add(Membership, (role, user, school, classroom, self.actor_user_id))
            self.plan.changed_users.add(user)
            self.report.count("created", "enrollments")
        self.end_teaching(wanted)

    def end_teaching(self, wanted: set) -> None:
        removed = {
            (self.users.get(p), self.classrooms.get(c, (None,))[0])
            for p, c in self.s.removed["enrollments"]
        }
        skipped = {
            (self.users.get(p), self.classrooms.get(c, (None,))[0])
            for p, c in self.s.skipped["enrollments"]
        }
        is_bulk = self.s.modes["enrollments"] == "bulk"
        for key, membership_id in self.ex.memberships.items():
            user, role, school, classroom = key
            if (
                role != Role.TEACHER
                or classroom not in self.ex.classrooms_by_id
                or not self.in_scope(school)
            ):
                continue
            missing = (
                is_bulk
                and key not in wanted
                and (user, classroom) not in skipped
                and not (self.is_history(classroom) and not self.is_past(classroom))
            )
            if (
                missing
                or (user, classroom) in removed
                or user in self.ended_users
                or classroom in self.ended_classrooms
                or self.is_past(classroom)
            ):
                self.end(Membership, membership_id, "enrollments", user=user)

    def end(self, model, row_id: int, key: str | None, *, user=None) -> None:
        if row_id in self.plan.deactivate[model]:
            return
        self.plan.deactivate[model].add(row_id)
        if user is not None:
            self.plan.changed_users.add(user)
        if key:
            self.report.count("deactivated", key)

    def plan_enrollments(self) -> None:
        wanted = set()
        existing = self.ex.enrollments
        for child_sid, classroom_sid in self.s.enrolled:
            classroom, school, _year = self.classrooms[classroom_sid]
            child = self.children[child_sid]
            key = pair(child, classroom)
            wanted.add(key)
            if key in existing:
                self.report.count("unchanged", "enrollments")
                continue
            self.plan.add(Enrollment, (school, classroom, child))
            self.report.count("created", "enrollments")
        removed = self.enrollment_keys(self.s.removed["enrollments"])
        skipped = self.enrollment_keys(self.s.skipped["enrollments"])
        self.end_enrollments(wanted, removed, skipped)

    def enrollment_keys(self, sourced_ids) -> set:
        """The keys of the (child, classroom) sourcedId pairs, as ex.enrollments keys them."""
        return {
            pair(self.children.get(child), self.classrooms.get(classroom, (None,))[0])
            for child, classroom in sourced_ids
        }

    def end_enrollments(self, wanted: set, removed: set, skipped: set) -> None:
        is_bulk = self.s.modes["enrollments"] == "bulk"
        for key, enrollment_id in self.ex.enrollments.items():
            child, classroom = unpair(key)
            row = self.ex.classrooms_by_id.get(classroom)
            school = row[4] if row is not None else self.child_schools.get(child)
            if school is None or not self.in_scope(school):
                continue  # a hand-made classroom's and child's, or another school's
            if key in removed or classroom in self.ended_classrooms:
                self.end(Enrollment, enrollment_id, "enrollments")
            elif self.is_history(classroom):
                continue  # last year's classes keep their children, leavers included
            elif (is_bulk and key not in wanted and key not in skipped) or (
                child in self.ended_children
            ):
                self.end(Enrollment, enrollment_id, "enrollments")

    def plan_links(self) -> None:
        wanted = {}
        for (guardian_sid, child_sid), (relationship, contact_role, _line) in self.s.links.items():
            if guardian_sid not in self.users:
                continue
            guardian, child = self.users[guardian_sid], self.children[child_sid]
            key = (guardian, child)
            wanted[key] = guardian
            row = self.ex.links.get(key)
            values = {"relationship": relationship, "contact_role": contact_role}
            if row is None:
                self.plan.add(GuardianLink, (guardian, child, relationship, contact_role))
                self.report.count("created", "guardian_links")
                self.plan.changed_guardians.add(guardian)
                continue
            compare = {"relationship": row[3], "contact_role": row[4]}
            self.upsert("guardian_links", GuardianLink, row, values, compare)
        remaining = {}
        for key, row in self.ex.links.items():
            guardian, child = key
            school = self.child_schools.get(child)
            if school is None or not self.in_scope(school):
                remaining[guardian] = guardian  # a hand-made child's, or another school's
                continue
            if child in self.removed_children:
                # the family keeps a removed child until they remove them themselves (R4)
                remaining[guardian] = guardian
                if child in self.ended_children:
                    self.plan.changed_guardians.add(guardian)
                continue
            missing = self.s.modes["links"] == "bulk" and key not in wanted
            if missing or guardian in self.ended_users:
                self.end(GuardianLink, row[0], "guardian_links", user=None)
                self.plan.changed_guardians.add(guardian)
            else:
                remaining[guardian] = guardian
                if child in self.returning_children:
                    self.plan.changed_guardians.add(guardian)
        remaining.update({guardian: guardian for guardian in wanted.values()})
        self.plan_guardian_roles(remaining)

    def plan_guardian_roles(self, guardians: dict) -> None:
        """A guardian holds the guardian role in the district while they have a link in it."""
        rostered_users = {row[2] for row in self.ex.people.values()}
        for guardian in guardians:
            if (guardian, Role.GUARDIAN, None, None) not in self.ex.memberships:
                self.plan.add(Membership, (Role.GUARDIAN, guardian, None, None, self.actor_user_id))
                self.plan.changed_users.add(guardian)
        for (user, role, _school, _classroom), membership_id in self.ex.memberships.items():
            if role == Role.GUARDIAN and user in rostered_users and user not in guardians:
                self.end(Membership, membership_id, None, user=user)


def build_plan(
    snapshot: Snapshot,
    existing: Existing,
    district: District,
    report: Report,
    *,
    actor_user,
    school_id: int | None = None,
) -> Plan:
    """Diff `snapshot` against `existing`; counts go into `report`, problems too (no writes)."""
    return Planner(snapshot, existing, Plan(district), report, actor_user, school_id).run()
