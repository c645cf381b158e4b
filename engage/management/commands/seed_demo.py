"""Seed the Riverbend Unified demo district and print who can sign in.

What: one district, two schools, a current school year, five classrooms, staff in every role,
and guardians with twelve children (one family across both schools, one Spanish-speaking, one
reachable by phone only). Every write goes through the product's own actions, so the demo holds
exactly what real use would, audit events included.

Safe to re-run: the whole seed is one transaction and the district's slug marks it as done, so a
second run writes nothing and prints the sign-ins again. School and district admins get a TOTP
authenticator with a fixed, printed secret, because Engage makes admins use two-factor sign-in.
"""

import datetime
import unicodedata
from dataclasses import dataclass

from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from privacy.audit import Actor
from tenants import roles
from tenants.actions import (
    do_add_membership,
    do_create_classroom,
    do_create_district,
    do_create_school,
    do_create_school_year,
    do_create_user,
)
from tenants.models import Classroom, District, Role, School, User

DISTRICT_NAME = "Riverbend Unified"
DISTRICT_SLUG = "riverbend"
DISTRICT_TIMEZONE = "America/Chicago"
# Demo credentials: printed on purpose, and only ever seeded by this command.
DEMO_PASSWORD = "riverbend-demo-2026"
DEMO_TOTP_SECRET = "RIVERBENDDEMOTOTPSECRETKEY234567"  # base32, shared by the demo admins
EMAIL_DOMAIN = "riverbend.example"

# (school slug, school name, [(classroom name, grade level), ...])
SCHOOLS = [
    ("elementary", "Riverbend Elementary", [("Room 1", "01"), ("Room 2", "02"), ("Room 3", "03")]),
    ("middle", "Riverbend Middle", [("Room 6A", "06"), ("Room 7B", "07")]),
]


@dataclass(frozen=True)
class DemoPerson:
    first_name: str
    last_name: str
    role: str
    title: str
    school: str = ""  # school slug, for school-level roles
    classroom: str = ""  # "<school slug>/<classroom name>", for teachers
    phone: str = ""  # phone-only people have no email and no password
    language: str = "en"

    @property
    def email(self) -> str:
        if self.phone:
            return ""
        local = unicodedata.normalize("NFKD", f"{self.first_name}.{self.last_name}".lower())
        return local.encode("ascii", "ignore").decode() + "@" + EMAIL_DOMAIN

    @property
    def sign_in(self) -> str:
        return self.email or self.phone

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


PEOPLE = [
    DemoPerson("Diane", "Okafor", Role.DISTRICT_ADMIN, "Superintendent"),
    DemoPerson("Paul", "Nguyen", Role.SCHOOL_ADMIN, "Principal", school="elementary"),
    DemoPerson("Omar", "Haddad", Role.STAFF, "Office manager", school="elementary"),
    DemoPerson("Beatrice", "Lund", Role.VIEWER, "Board member"),
    DemoPerson("Tara", "Brooks", Role.TEACHER, "Elementary, Room 1", classroom="elementary/Room 1"),
    DemoPerson("Theo", "Grant", Role.TEACHER, "Elementary, Room 2", classroom="elementary/Room 2"),
    DemoPerson("Hannah", "Kim", Role.TEACHER, "Elementary, Room 3", classroom="elementary/Room 3"),
    DemoPerson("Marcus", "Bell", Role.TEACHER, "Middle, Room 6A", classroom="middle/Room 6A"),
    DemoPerson("Nina", "Castillo", Role.TEACHER, "Middle, Room 7B", classroom="middle/Room 7B"),
    DemoPerson("Maria", "Alvarez", Role.GUARDIAN, "Parent, both schools"),
    DemoPerson("Lucía", "Hernández", Role.GUARDIAN, "Parent, reads Spanish", language="es"),
    DemoPerson("James", "Carter", Role.GUARDIAN, "Parent"),
    DemoPerson("Priya", "Shah", Role.GUARDIAN, "Parent"),
    DemoPerson("Kevin", "Walsh", Role.GUARDIAN, "Parent"),
    DemoPerson("Grace", "Lee", Role.GUARDIAN, "Parent"),
    DemoPerson("Sam", "Rivera", Role.GUARDIAN, "Parent, phone only", phone="+13125550142"),
]

# (first name, last name, "<school slug>/<classroom name>", guardian's email or phone)
CHILDREN = [
    ("Lucas", "Alvarez", "elementary/Room 2", "maria.alvarez"),
    ("Sofia", "Alvarez", "middle/Room 7B", "maria.alvarez"),
    ("Mateo", "Hernández", "elementary/Room 1", "lucia.hernandez"),
    ("Valentina", "Hernández", "middle/Room 6A", "lucia.hernandez"),
    ("Ava", "Carter", "elementary/Room 1", "james.carter"),
    ("Zara", "Carter", "elementary/Room 3", "james.carter"),
    ("Arjun", "Shah", "elementary/Room 3", "priya.shah"),
    ("Maya", "Shah", "elementary/Room 1", "priya.shah"),
    ("Liam", "Walsh", "middle/Room 6A", "kevin.walsh"),
    ("Ethan", "Lee", "elementary/Room 2", "grace.lee"),
    ("Chloe", "Lee", "elementary/Room 3", "grace.lee"),
    ("Noah", "Rivera", "middle/Room 7B", "+13125550142"),
]


def current_school_year(today: datetime.date) -> tuple[str, datetime.date, datetime.date]:
    """The August-to-June school year that `today` falls in (summer counts as the next one)."""
    start_year = today.year if today.month >= 7 else today.year - 1
    return (
        f"{start_year}-{start_year + 1}",
        datetime.date(start_year, 8, 15),
        datetime.date(start_year + 1, 6, 15),
    )


class Command(BaseCommand):
    help = "Seed the Riverbend Unified demo district (idempotent) and print the demo sign-ins."

    def handle(self, *args, **options):
        # Seeding: a lookup by the demo's own slug, not tenant data read on anyone's behalf.
        if District.objects.filter(slug=DISTRICT_SLUG).exists():
            self.stdout.write(f"{DISTRICT_NAME} is already seeded; nothing was written.")
        else:
            seed_demo_district(Actor.system())
            self.stdout.write(self.style.SUCCESS(f"Seeded {DISTRICT_NAME}."))
        self.stdout.write(format_sign_ins())


@transaction.atomic
def seed_demo_district(actor: Actor) -> District:
    """Write the whole demo district through the product's actions (all or nothing)."""
    district = do_create_district(
        name=DISTRICT_NAME, slug=DISTRICT_SLUG, timezone_name=DISTRICT_TIMEZONE, actor=actor
    )
    name, start, end = current_school_year(timezone.localdate())
    year = do_create_school_year(
        district, name=name, start_date=start, end_date=end, is_current=True, actor=actor
    )
    schools: dict[str, School] = {}
    classrooms: dict[str, Classroom] = {}
    for slug, school_name, rooms in SCHOOLS:
        school = do_create_school(district, name=school_name, slug=slug, actor=actor)
        schools[slug] = school
        for room_name, grade in rooms:
            classrooms[f"{slug}/{room_name}"] = do_create_classroom(
                school, school_year=year, name=room_name, grade_level=grade, actor=actor
            )
    people = {
        person.sign_in: _seed_person(person, district, schools, classrooms, actor)
        for person in PEOPLE
    }
    _seed_children(classrooms, people, actor)
    return district


def _seed_person(person, district, schools, classrooms, actor) -> User:
    user = do_create_user(
        email=person.email or None,
        phone=person.phone or None,
        first_name=person.first_name,
        last_name=person.last_name,
        preferred_language=person.language,
        password=None if person.phone else DEMO_PASSWORD,
        actor=actor,
    )
    if not roles.is_family_role(person.role):  # guardians get theirs from linking a child
        do_add_membership(
            user,
            role=person.role,
            district=district,
            school=schools.get(person.school),
            classroom=classrooms.get(person.classroom),
            actor=actor,
        )
    if roles.requires_two_factor(person.role):
        TOTP.activate(user, DEMO_TOTP_SECRET)
    return user


def _seed_children(classrooms, people, actor) -> None:
    for number, (first, last, classroom_key, guardian) in enumerate(CHILDREN, start=1):
        classroom = classrooms[classroom_key]
        child = do_create_child(
            classroom.school,
            first_name=first,
            last_name=last,
            grade_level=classroom.grade_level,
            pupil_number=f"RB-{number:04d}",
            actor=actor,
        )
        do_enroll_child(child, classroom, actor=actor)
        sign_in = guardian if guardian.startswith("+") else f"{guardian}@{EMAIL_DOMAIN}"
        do_link_guardian(child, people[sign_in], actor=actor)


def format_sign_ins() -> str:
    """The demo sign-ins as a plain-text table, with the two-factor and one-time-code notes."""
    base = settings.PUBLIC_BASE_URL
    header = ("Role", "Name", "Sign in with", "Password", "Home")
    rows = [
        (
            f"{Role(person.role).label} ({person.title})",
            person.full_name,
            person.sign_in,
            "(one-time code)" if person.phone else DEMO_PASSWORD,
            base + reverse(roles.home_url_name(person.role)),
        )
        for person in PEOPLE
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    rule = tuple("-" * width for width in widths)
    table = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, rule, *rows]
    )
    admins = "\n".join(f"  {p.sign_in}" for p in PEOPLE if roles.requires_two_factor(p.role))
    return f"""
Demo sign-ins for {DISTRICT_NAME} (sign in at {base}{reverse("account_login")})

{table}

Two-factor: after their password, these admins are asked for an authenticator code:
{admins}
Their TOTP secret is {DEMO_TOTP_SECRET} (add it to an authenticator app), or print the
current code with:  .venv/bin/python manage.py demo_totp EMAIL

One-time codes: every guardian can also sign in without a password (the one-time code form on
the sign-in page, or {base}{reverse("account_request_login_code")}). With no SendGrid or Twilio
configured, the email or SMS lands in the local outbox: {base}{reverse("notifications:outbox")}
Guardians with an email address also have the demo password, to keep the demo quick; the
phone-only guardian signs in by code only.
"""
