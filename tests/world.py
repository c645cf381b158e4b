"""The named test world: two districts, two schools each, named people.

Lakeside (district A): Lakeside Elementary (a1) and Lakeside Middle (a2).
Hillcrest (district B): Hillcrest Primary (b1) and Hillcrest Academy (b2).

People (all built through actions, as the product builds them):
- dana: Lakeside district admin;  priya: principal (school admin) of a1;  sam: staff at a1
- tom: teacher of Room 1 (a1);  tina: teacher of Room 2 (a1);  mo: teacher of Room 7 (a2)
- vera: viewer (governor) of Lakeside;  quinn: principal of a2
- ana: guardian of Mia (Room 1, a1) and Leo (Room 7, a2): children in both schools
- ben: guardian of Noah (Room 1, a1): same classroom as Mia
- cal: Mia's other parent, marked "no access" (custody restriction)
- hank: Hillcrest district admin;  hope: principal of b1;  hugo: teacher of Room H1 (b1)
- dee: guardian of Zoe (Room H1, b1)
- tess: teacher of Room 2... no: tess teaches Room H2 at b2 and is a guardian of Ivy at a1
  (one person, two roles in two districts)
"""

import datetime
from dataclasses import dataclass, field

from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.models import Child, GuardianLink
from privacy.audit import Actor
from tenants.actions import (
    do_add_membership,
    do_create_classroom,
    do_create_district,
    do_create_school,
    do_create_school_year,
    do_create_user,
)
from tenants.models import Classroom, District, Role, School, User

SYSTEM = Actor.system()
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    districts: dict[str, District] = field(default_factory=dict)
    schools: dict[str, School] = field(default_factory=dict)
    classrooms: dict[str, Classroom] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)

    def __getattr__(self, name):
        for table in ("people", "children", "classrooms", "schools", "districts"):
            values = self.__dict__.get(table, {})
            if name in values:
                return values[name]
        raise AttributeError(name)


def _person(world, key, first, last, **extra):
    user = do_create_user(
        email=f"{key}@example.org",
        first_name=first,
        last_name=last,
        password=PASSWORD,
        actor=SYSTEM,
        **extra,
    )
    world.people[key] = user
    return user


def _district(world, key, name, slug, tz):
    district = do_create_district(name=name, slug=slug, timezone_name=tz, actor=SYSTEM)
    world.districts[key] = district
    do_create_school_year(
        district,
        name="2026-2027",
        start_date=datetime.date(2026, 8, 15),
        end_date=datetime.date(2027, 6, 15),
        is_current=True,
        actor=SYSTEM,
    )
    return district


def _classroom(world, key, school, name, grade):
    from tenants.models import SchoolYear

    year = SchoolYear.objects.get(district_id=school.district_id, is_current=True)
    world.classrooms[key] = do_create_classroom(
        school, school_year=year, name=name, grade_level=grade, actor=SYSTEM
    )
    return world.classrooms[key]


def _child(world, key, classroom, first, last, grade):
    child = do_create_child(
        classroom.school,
        first_name=first,
        last_name=last,
        grade_level=grade,
        pupil_number=f"P-{key.upper()}",
        actor=SYSTEM,
    )
    do_enroll_child(child, classroom, actor=SYSTEM)
    world.children[key] = child
    return child


def build_world() -> World:
    w = World()
    lake = _district(w, "lakeside", "Lakeside Unified", "lakeside", "America/Chicago")
    hill = _district(w, "hillcrest", "Hillcrest Schools", "hillcrest", "Europe/London")
    w.schools["a1"] = do_create_school(
        lake, name="Lakeside Elementary", slug="elementary", actor=SYSTEM
    )
    w.schools["a2"] = do_create_school(lake, name="Lakeside Middle", slug="middle", actor=SYSTEM)
    w.schools["b1"] = do_create_school(hill, name="Hillcrest Primary", slug="primary", actor=SYSTEM)
    w.schools["b2"] = do_create_school(hill, name="Hillcrest Academy", slug="academy", actor=SYSTEM)
    room1 = _classroom(w, "room1", w.schools["a1"], "Room 1", "03")
    room2 = _classroom(w, "room2", w.schools["a1"], "Room 2", "04")
    room7 = _classroom(w, "room7", w.schools["a2"], "Room 7", "07")
    roomh1 = _classroom(w, "roomh1", w.schools["b1"], "Room H1", "02")
    roomh2 = _classroom(w, "roomh2", w.schools["b2"], "Room H2", "08")

    def grant(key, role, district, school=None, classroom=None):
        do_add_membership(
            w.people[key],
            role=role,
            district=district,
            school=school,
            classroom=classroom,
            actor=SYSTEM,
        )

    for key, first, last in [
        ("dana", "Dana", "Diaz"),
        ("priya", "Priya", "Patel"),
        ("sam", "Sam", "Stone"),
        ("tom", "Tom", "Turner"),
        ("tina", "Tina", "Tran"),
        ("mo", "Mo", "Murphy"),
        ("vera", "Vera", "Vance"),
        ("quinn", "Quinn", "Quade"),
        ("ana", "Ana", "Alvarez"),
        ("ben", "Ben", "Brooks"),
        ("cal", "Cal", "Alvarez"),
        ("hank", "Hank", "Hill"),
        ("hope", "Hope", "Hughes"),
        ("hugo", "Hugo", "Hart"),
        ("dee", "Dee", "Dawson"),
        ("tess", "Tess", "Taylor"),
    ]:
        _person(w, key, first, last)
    w.people["ana"].preferred_language = "es"
    w.people["ana"].save(update_fields=["preferred_language"])

    grant("dana", Role.DISTRICT_ADMIN, lake)
    grant("priya", Role.SCHOOL_ADMIN, lake, w.schools["a1"])
    grant("quinn", Role.SCHOOL_ADMIN, lake, w.schools["a2"])
    grant("sam", Role.STAFF, lake, w.schools["a1"])
    grant("tom", Role.TEACHER, lake, classroom=room1)
    grant("tina", Role.TEACHER, lake, classroom=room2)
    grant("mo", Role.TEACHER, lake, classroom=room7)
    grant("vera", Role.VIEWER, lake)
    grant("hank", Role.DISTRICT_ADMIN, hill)
    grant("hope", Role.SCHOOL_ADMIN, hill, w.schools["b1"])
    grant("hugo", Role.TEACHER, hill, classroom=roomh1)
    grant("tess", Role.TEACHER, hill, classroom=roomh2)

    mia = _child(w, "mia", room1, "Mia", "Alvarez", "03")
    leo = _child(w, "leo", room7, "Leo", "Alvarez", "07")
    noah = _child(w, "noah", room1, "Noah", "Brooks", "03")
    ivy = _child(w, "ivy", room2, "Ivy", "Taylor", "04")
    zoe = _child(w, "zoe", roomh1, "Zoe", "Dawson", "02")
    link = do_link_guardian
    link(mia, w.people["ana"], relationship=GuardianLink.Relationship.MOTHER, actor=SYSTEM)
    link(leo, w.people["ana"], relationship=GuardianLink.Relationship.MOTHER, actor=SYSTEM)
    link(noah, w.people["ben"], relationship=GuardianLink.Relationship.FATHER, actor=SYSTEM)
    link(
        mia,
        w.people["cal"],
        relationship=GuardianLink.Relationship.FATHER,
        has_access=False,
        actor=SYSTEM,
    )
    link(ivy, w.people["tess"], relationship=GuardianLink.Relationship.MOTHER, actor=SYSTEM)
    link(zoe, w.people["dee"], relationship=GuardianLink.Relationship.MOTHER, actor=SYSTEM)
    return w
