"""Diff a parsed roster against the district's rows: what to create, update, leave, deactivate.

The district's existing rows are loaded in a few queries (one per table, plus batched lookups of
contacts), as compact tuples rather than model instances, so memory stays small. Nothing is
written here: the plan holds unsaved instances (new rows refer to new parents as instances, whose
ids bulk_create fills in) and ids, and every count in the report is known before the write.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import models
from django.utils import timezone

from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import (
    Classroom,
    District,
    Membership,
    Role,
    RosterPerson,
    School,
    SchoolYear,
    User,
)
from tenants.roster.existing import Existing
from tenants.roster.records import GUARDIAN, STAFF, STUDENT, Snapshot
from tenants.roster.report import Report

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


@dataclass
class Plan:
    district: District
    create: dict[type, list] = field(default_factory=lambda: defaultdict(list))
    update: dict[type, dict[str, list]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    deactivate: dict[type, set[int]] = field(default_factory=lambda: defaultdict(set))
    current_year: SchoolYear | None = None
    changed_users: set = field(default_factory=set)  # whose memberships changed (cache)
    changed_guardians: set = field(default_factory=set)  # whose family pages changed (cache)

    def updated(self, instance, fields: list[str]) -> None:
        """Queue `instance` (id + new values) for a bulk update of `fields`."""
        self.update[type(instance)][",".join(sorted(fields))].append(instance)


def today() -> datetime.date:
    return timezone.localdate()


class Planner:
    """Builds the Plan and counts the report; see the module docstring."""

    def __init__(
        self, snapshot: Snapshot, existing: Existing, plan: Plan, report: Report, actor_user
    ):
        self.s, self.ex, self.plan, self.report = snapshot, existing, plan, report
        self.actor_user = actor_user
        self.d = {"district": plan.district}
        self.years = {sid: row[0] for sid, row in existing.years.items()}
        self.schools = {sid: row[0] for sid, row in existing.schools.items()}
        self.classrooms = {sid: (row[0], row[4]) for sid, row in existing.classrooms.items()}
        self.children = {sid: row[0] for sid, row in existing.children.items()}
        self.users = {sid: row[2] for sid, row in existing.people.items()}
        self.ended_users: set[int] = set()
        self.ended_children: set[int] = set()
        self.ended_classrooms: set[int] = set()

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

    @staticmethod
    def key(value):
        """A hashable stand-in for a reference: the id, or the identity of a new instance."""
        return ("new", id(value)) if isinstance(value, models.Model) else value

    @staticmethod
    def ref(name: str, value) -> dict:
        """A foreign key given as an id (existing row) or an instance (created in this run)."""
        return {f"{name}_id": value} if isinstance(value, int) else {name: value}

    def gone(self, kind: str, existing_ids, present) -> list[str]:
        """Existing sourcedIds the roster removes: status tobedeleted, or missing from a bulk file."""
        if self.s.modes[kind] == "bulk":
            return [
                sid
                for sid in existing_ids
                if sid not in present and sid not in self.s.skipped[kind]
            ]
        return [sid for sid in self.s.removed[kind] if sid in existing_ids]

    def upsert(self, key: str, model, row, values: dict, compare: dict):
        """Create or update one row; returns its reference (an id or a new instance)."""
        if row is None:
            instance = model(**self.d, **values)
            self.plan.create[model].append(instance)
            self.report.count("created", key)
            return instance
        changed = []
        for name, old in compare.items():
            field = name if name in values else name.removesuffix("_id")  # id or new instance
            if field in values and values[field] != old:
                changed.append(field)
        if changed:
            self.plan.updated(model(id=row[0], **{n: values[n] for n in changed}), changed)
        self.report.count("updated" if changed else "unchanged", key)
        return row[0]

    # --- years, schools, classrooms -----------------------------------------------------------

    def plan_years(self) -> None:
        for record in self.s.years.values():
            row = self.ex.years.get(record.sourced_id) or self.ex.years.pop(
                f"name:{record.name}", None
            )
            values = {
                "sourced_id": record.sourced_id,
                "name": record.name,
                "start_date": record.start_date,
                "end_date": record.end_date,
            }
            if row is None:
                self.years[record.sourced_id] = SchoolYear(**self.d, **values)
                self.plan.create[SchoolYear].append(self.years[record.sourced_id])
                continue
            old = dict(zip(("sourced_id", "name", "start_date", "end_date"), row[1:5], strict=True))
            changed = [n for n in values if values[n] != old[n]]
            if changed:
                self.plan.updated(SchoolYear(id=row[0], **{n: values[n] for n in changed}), changed)
            self.years[record.sourced_id] = row[0]
        if self.s.years:
            self.choose_current_year()
        if any(not c.year_sourced_id for c in self.s.classrooms.values()):
            self.years[""] = self.default_year()

    def choose_current_year(self) -> None:
        """The year whose dates hold today, or else the newest, becomes the district's current."""
        records = sorted(self.s.years.values(), key=lambda r: r.start_date)
        now = today()
        chosen = next((r for r in records if r.start_date <= now <= r.end_date), records[-1])
        ref = self.years[chosen.sourced_id]
        current = [row[0] for row in self.ex.years.values() if row[5]]
        if isinstance(ref, SchoolYear):
            ref.is_current = True
            self.plan.current_year = ref
        elif current != [ref]:
            self.plan.current_year = SchoolYear(id=ref)

    def default_year(self):
        """Engage CSV names no year: the district's current one, its newest, or one for today."""
        rows = sorted(self.ex.years.values(), key=lambda row: (row[5], row[3]))
        if rows:
            return rows[-1][0]
        now = today()
        first = now.year if now.month >= 8 else now.year - 1
        year = SchoolYear(
            **self.d,
            name=f"{first}-{first + 1}",
            start_date=datetime.date(first, 8, 1),
            end_date=datetime.date(first + 1, 7, 31),
            is_current=True,
        )
        self.plan.create[SchoolYear].append(year)
        return year

    def plan_schools(self) -> None:
        for record in self.s.schools.values():
            row = self.ex.schools.get(record.sourced_id)
            values = {"name": record.name, "is_active": True}
            if row is None:
                values.update(sourced_id=record.sourced_id, slug=self.new_slug(record.name))
            compare = {"name": row[2], "is_active": row[4]} if row else {}
            self.schools[record.sourced_id] = self.upsert("schools", School, row, values, compare)
        for sid in self.gone("schools", self.ex.schools, self.s.schools):
            row = self.ex.schools[sid]
            if row[4]:
                self.plan.deactivate[School].add(row[0])
                self.report.count("deactivated", "schools")

    def new_slug(self, name: str) -> str:
        from django.utils.text import slugify

        base = slugify(name)[:70] or "school"
        slug, number = base, 1
        while slug in self.ex.slugs:
            number += 1
            slug = f"{base}-{number}"
        self.ex.slugs.add(slug)
        return slug

    def plan_classrooms(self) -> None:
        for record in self.s.classrooms.values():
            row = self.ex.classrooms.get(record.sourced_id)
            school, year = (
                self.schools[record.school_sourced_id],
                self.years[record.year_sourced_id],
            )
            values = {
                "name": record.name,
                "grade_level": record.grade_level,
                "is_active": True,
                **self.ref("school", school),
                **self.ref("school_year", year),
            }
            if row is None:
                values["sourced_id"] = record.sourced_id
            compare = (
                dict(
                    zip(
                        ("name", "grade_level", "school_id", "school_year_id", "is_active"),
                        (row[2], row[3], row[4], row[5], row[6]),
                        strict=True,
                    )
                )
                if row
                else {}
            )
            ref = self.upsert("classrooms", Classroom, row, values, compare)
            self.classrooms[record.sourced_id] = (ref, school)
        for sid in self.gone("classrooms", self.ex.classrooms, self.s.classrooms):
            row = self.ex.classrooms[sid]
            if row[6]:
                self.plan.deactivate[Classroom].add(row[0])
                self.ended_classrooms.add(row[0])
                self.report.count("deactivated", "classrooms")

    # --- people -------------------------------------------------------------------------------

    def plan_people(self) -> None:
        adults = [p for p in self.s.people.values() if p.kinds & {STAFF, GUARDIAN}]
        self.owners = {
            "email": self.ex.users_by_contact("email", [p.email for p in adults if p.email]),
            "phone": self.ex.users_by_contact("phone", [p.phone for p in adults if p.phone]),
        }
        self.claimed_users: set[int] = {row[2] for row in self.ex.people.values()}
        self.claimed = {"email": set(), "phone": set()}
        for person in adults:
            key = "teachers" if STAFF in person.kinds else "guardians"
            row = self.ex.people.get(person.sourced_id)
            if row is not None:
                changed = self.update_user(person, self.ex.users[row[2]])
                if not row[3]:
                    self.plan.updated(RosterPerson(id=row[0], is_active=True), ["is_active"])
                self.report.count("updated" if changed or not row[3] else "unchanged", key)
            elif self.create_person(person):
                self.report.count("created", key)
        guardian_users = {uid for uid, role, _s, _c in self.ex.memberships if role == Role.GUARDIAN}
        staff_users = {uid for uid, role, _s, _c in self.ex.memberships if role != Role.GUARDIAN}
        for sid in self.gone("people", self.ex.people, self.s.people):
            row = self.ex.people[sid]
            if row[3]:
                self.plan.deactivate[RosterPerson].add(row[0])
                self.ended_users.add(row[2])
                key = "guardians" if row[2] in guardian_users - staff_users else "teachers"
                self.report.count("deactivated", key)

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
            user = User(
                email=contacts["email"] or None,
                phone=contacts["phone"] or None,
                first_name=person.preferred_name or person.first_name,
                last_name=person.last_name,
                preferred_language=person.preferred_language or "en",
                password=make_password(None),
            )
            self.plan.create[User].append(user)
        self.users[person.sourced_id] = user
        self.plan.create[RosterPerson].append(
            RosterPerson(**self.d, sourced_id=person.sourced_id, **self.ref("user", user))
        )
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
        changed = {
            n: v
            for n, v in values.items()
            if v != {"first_name": first, "last_name": last, "preferred_language": language}[n]
        }
        for column, current, verified in (
            ("email", email, email_verified),
            ("phone", phone, phone_verified),
        ):
            new = getattr(person, column)
            if not new or new == current:
                continue
            if verified:
                self.report.changed_by_families.append(
                    {
                        "sourced_id": person.sourced_id,
                        "field": column,
                        "roster_value": new,
                        "family_value": current,
                    }
                )
            elif self.free_contact(person, column):
                changed[column] = new
        if changed:
            self.plan.updated(User(id=user_id, **changed), list(changed))
        return bool(changed)

    def plan_children(self) -> None:
        for person in self.s.people.values():
            if STUDENT not in person.kinds:
                continue
            row = self.ex.children.get(person.sourced_id)
            values = {
                "first_name": person.first_name,
                "last_name": person.last_name,
                "preferred_name": person.preferred_name,
                "grade_level": person.grade_level,
                "pupil_number": person.identifier,
                "is_active": True,
                **self.ref("school", self.schools[person.school_sourced_id]),
            }
            if person.birth_date is not None:
                values["birth_date"] = person.birth_date
            if row is None:
                values["sourced_id"] = person.sourced_id
            names = (
                "first_name",
                "last_name",
                "preferred_name",
                "grade_level",
                "pupil_number",
                "school_id",
                "birth_date",
                "is_active",
            )
            compare = dict(zip(names, row[2:], strict=True)) if row else {}
            self.children[person.sourced_id] = self.upsert("children", Child, row, values, compare)
        for sid in self.gone("people", self.ex.children, self.s.people):
            row = self.ex.children[sid]
            if row[9]:
                self.plan.deactivate[Child].add(row[0])
                self.ended_children.add(row[0])
                self.report.count("deactivated", "children")

    # --- memberships, enrollments, links ------------------------------------------------------

    def plan_teaching(self) -> None:
        """Teacher memberships of rostered classrooms, and (1.2 / Engage) staff roles."""
        wanted = {}
        for person_sid, classroom_sid in self.s.teaching:
            if person_sid in self.users:
                classroom, school = self.classrooms[classroom_sid]
                refs = (self.users[person_sid], Role.TEACHER, school, classroom)
                wanted[tuple(map(self.key, refs))] = refs
        for person_sid, role, school_sid in self.s.staff_roles:
            if person_sid in self.users:
                refs = (self.users[person_sid], role, self.schools.get(school_sid), None)
                wanted[tuple(map(self.key, refs))] = refs
        for key, (user, role, school, classroom) in wanted.items():
            if key in self.ex.memberships:
                self.report.count("unchanged", "enrollments")
                continue
            self.plan.create[Membership].append(
                Membership(
                    **self.d,
                    role=role,
                    granted_by=self.actor_user,
                    **self.ref("user", user),
                    **({} if school is None else self.ref("school", school)),
                    **({} if classroom is None else self.ref("classroom", classroom)),
                )
            )
            self.plan.changed_users.add(self.key(user))
            self.report.count("created", "enrollments")
        removed = {
            (self.users.get(p), self.classrooms.get(c, (None,))[0])
            for p, c in self.s.removed["enrollments"]
        }
        skipped = {
            (self.users.get(p), self.classrooms.get(c, (None,))[0])
            for p, c in self.s.skipped["enrollments"]
        }
        for (user, role, school, classroom), membership_id in self.ex.memberships.items():
            if role != Role.TEACHER or classroom not in self.ex.classroom_ids_rostered:
                continue
            missing = (
                self.s.modes["enrollments"] == "bulk"
                and (user, role, school, classroom) not in wanted
            )
            if (
                (missing and (user, classroom) not in skipped)
                or (user, classroom) in removed
                or (user in self.ended_users or classroom in self.ended_classrooms)
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
        for child_sid, classroom_sid in self.s.enrolled:
            classroom, school = self.classrooms[classroom_sid]
            child = self.children[child_sid]
            key = (self.key(child), self.key(classroom))
            wanted.add(key)
            if key in self.ex.enrollments:
                self.report.count("unchanged", "enrollments")
                continue
            self.plan.create[Enrollment].append(
                Enrollment(
                    **self.d,
                    **self.ref("school", school),
                    **self.ref("classroom", classroom),
                    **self.ref("child", child),
                )
            )
            self.report.count("created", "enrollments")
        rostered_children = {row[0] for row in self.ex.children.values()}
        removed = {
            (self.children.get(p), self.classrooms.get(c, (None,))[0])
            for p, c in self.s.removed["enrollments"]
        }
        skipped = {
            (self.children.get(p), self.classrooms.get(c, (None,))[0])
            for p, c in self.s.skipped["enrollments"]
        }
        for key, enrollment_id in self.ex.enrollments.items():
            child, classroom = key
            if classroom not in self.ex.classroom_ids_rostered and child not in rostered_children:
                continue
            missing = (
                self.s.modes["enrollments"] == "bulk" and key not in wanted and key not in skipped
            )
            if (
                missing
                or key in removed
                or child in self.ended_children
                or classroom in self.ended_classrooms
            ):
                self.end(Enrollment, enrollment_id, "enrollments")

    def plan_links(self) -> None:
        wanted = {}
        for (guardian_sid, child_sid), (relationship, contact_role, _where) in self.s.links.items():
            if guardian_sid not in self.users:
                continue
            refs = (self.users[guardian_sid], self.children[child_sid])
            key = (self.key(refs[0]), self.key(refs[1]))
            wanted[key] = refs
            row = self.ex.links.get(key)
            values = {"relationship": relationship, "contact_role": contact_role}
            if row is None:
                self.plan.create[GuardianLink].append(
                    GuardianLink(
                        **self.d,
                        **self.ref("guardian", refs[0]),
                        **self.ref("child", refs[1]),
                        **values,
                    )
                )
                self.report.count("created", "guardian_links")
                self.plan.changed_guardians.add(key[0])
                continue
            self.upsert(
                "guardian_links",
                GuardianLink,
                row,
                values,
                {"relationship": row[3], "contact_role": row[4]},
            )
        rostered_children = {row[0] for row in self.ex.children.values()}
        remaining = {}
        for key, row in self.ex.links.items():
            guardian, child = key
            if child not in rostered_children:
                remaining[guardian] = guardian
                continue
            missing = self.s.modes["links"] == "bulk" and key not in wanted
            if missing or guardian in self.ended_users or child in self.ended_children:
                self.end(GuardianLink, row[0], "guardian_links", user=None)
                self.plan.changed_guardians.add(guardian)
            else:
                remaining[guardian] = guardian
        remaining.update({key[0]: refs[0] for key, refs in wanted.items()})
        self.plan_guardian_roles(remaining)

    def plan_guardian_roles(self, guardians: dict) -> None:
        """A guardian holds the guardian role in the district while they have a link in it."""
        rostered_users = {row[2] for row in self.ex.people.values()}
        for key, guardian in guardians.items():
            if (key, Role.GUARDIAN, None, None) not in self.ex.memberships:
                self.plan.create[Membership].append(
                    Membership(
                        **self.d,
                        role=Role.GUARDIAN,
                        granted_by=self.actor_user,
                        **self.ref("user", guardian),
                    )
                )
                self.plan.changed_users.add(key)
        for (user, role, _school, _classroom), membership_id in self.ex.memberships.items():
            if role == Role.GUARDIAN and user in rostered_users and user not in guardians:
                self.end(Membership, membership_id, None, user=user)


def build_plan(
    snapshot: Snapshot, existing: Existing, district: District, report: Report, *, actor_user
) -> Plan:
    """Diff `snapshot` against `existing`; counts go into `report`, problems too (no writes)."""
    return Planner(snapshot, existing, Plan(district), report, actor_user).run()
