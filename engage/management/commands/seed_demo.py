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

from engage.demo.families import report_demo_deliveries, seed_class_families
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.actions.joining import do_create_join_code
from guardians.models import JoinCode
from privacy.actions import do_record_consents
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
from tenants.scope import list_scopes_for_user

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
    # Guardians who joined already agreed to the privacy policy; the others show the journeys.
    has_joined: bool = True

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
    DemoPerson(
        "Rosa",
        "Diaz",
        Role.GUARDIAN,
        "Parent, not joined yet: invite her",
        phone="+13125550177",
        has_joined=False,
    ),
    DemoPerson(
        "Ahmed",
        "Karim",
        Role.GUARDIAN,
        "Parent, not joined yet: registers himself",
        phone="+13125550166",
        has_joined=False,
    ),
]

# (first name, last name, "<school slug>/<classroom name>", guardian's email or phone, birth date)
CHILDREN = [
    ("Lucas", "Alvarez", "elementary/Room 2", "maria.alvarez", "2019-05-02"),
    ("Sofia", "Alvarez", "middle/Room 7B", "maria.alvarez", "2014-01-19"),
    ("Mateo", "Hernández", "elementary/Room 1", "lucia.hernandez", "2020-03-08"),
    ("Valentina", "Hernández", "middle/Room 6A", "lucia.hernandez", "2015-07-23"),
    ("Ava", "Carter", "elementary/Room 1", "james.carter", "2020-06-11"),
    ("Zara", "Carter", "elementary/Room 3", "james.carter", "2018-10-30"),
    ("Arjun", "Shah", "elementary/Room 3", "priya.shah", "2018-02-14"),
    ("Maya", "Shah", "elementary/Room 1", "priya.shah", "2020-09-01"),
    ("Liam", "Walsh", "middle/Room 6A", "kevin.walsh", "2015-04-04"),
    ("Ethan", "Lee", "elementary/Room 2", "grace.lee", "2019-12-12"),
    ("Chloe", "Lee", "elementary/Room 3", "grace.lee", "2018-08-27"),
    ("Noah", "Rivera", "middle/Room 7B", "+13125550142", "2014-11-05"),
    ("Elena", "Diaz", "elementary/Room 1", "+13125550177", "2020-02-17"),
    ("Yusuf", "Karim", "elementary/Room 2", "+13125550166", "2019-09-02"),
]
# The self-registration journey: what Ahmed Karim types (checked against the roster).
SELF_REGISTRATION = ("Ahmed", "Karim", "Yusuf", "Karim", "2019-09-02", "(312) 555-0166")
JOIN_CODE_CLASSROOM = "elementary/Room 3"


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
            district = seed_demo_district(Actor.system())
            report_demo_deliveries(district)
            self.stdout.write(self.style.SUCCESS(f"Seeded {DISTRICT_NAME}."))
        self.stdout.write(format_sign_ins())


@transaction.atomic
def seed_demo_district(actor: Actor) -> District:
    """Write the whole demo district through the product's actions (all or nothing)."""
    district = do_create_district(
        name=DISTRICT_NAME, slug=DISTRICT_SLUG, timezone_name=DISTRICT_TIMEZONE, actor=actor
    )
    # The demo district keeps children's birth dates, so parents can self-register (C8).
    district.is_roster_birth_date_imported = True
    district.save(update_fields=["is_roster_birth_date_imported"])
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
    for person in PEOPLE:
        if roles.is_family_role(person.role) and person.has_joined:
            do_record_consents(
                people[person.sign_in],
                district,
                is_policy_accepted=True,
                choices={},
                source="demo",
                actor=actor,
            )
    teacher = next(p for p in PEOPLE if p.classroom == JOIN_CODE_CLASSROOM)
    scope = next(s for s in list_scopes_for_user(people[teacher.sign_in]))
    do_create_join_code(scope, classrooms[JOIN_CODE_CLASSROOM], actor=actor)
    _seed_activities(district, classrooms, people, actor)
    seed_class_families(
        district,
        schools,
        classrooms,
        people[f"diane.okafor@{EMAIL_DOMAIN}"],
        EMAIL_DOMAIN,
        actor,
    )
    return district


def _seed_activities(district, classrooms, people, actor) -> None:
    """Room 1's teacher has a quiz and an at-home task out, and an earlier quiz some families
    already did (so the leaderboard has a shape); the principal set a reading for the school;
    the district keeps a library template."""
    from activities.actions.authoring import (
        QuestionSpec,
        TargetSpec,
        do_create_activity,
        do_publish_activity,
    )
    from activities.actions.submissions import do_submit
    from activities.models import Activity, Question
    from activities.queries.family import access_child_activity

    room1 = classrooms["elementary/Room 1"]
    tara = people[f"tara.brooks@{EMAIL_DOMAIN}"]
    tara_scope = next(s for s in list_scopes_for_user(tara))
    tara_actor = Actor(user=tara)
    due = timezone.now() + datetime.timedelta(days=7)

    def quiz(title, prompt_choices, **extra):
        return do_create_activity(
            tara_scope,
            kind=Activity.Kind.QUIZ,
            title=title,
            targets=[TargetSpec(classroom=room1)],
            questions=[
                QuestionSpec(prompt=prompt, choices=choices, correct_choice=right)
                for prompt, choices, right in prompt_choices
            ],
            actor=tara_actor,
            **extra,
        )

    earlier = quiz(
        "Colours of autumn",
        [("What colour are most autumn leaves?", ("Blue", "Orange", "Purple"), 1)],
    )
    do_publish_activity(earlier, actor=tara_actor)
    for guardian, child_first in (("lucia.hernandez", "Mateo"), ("james.carter", "Ava")):
        user = people[f"{guardian}@{EMAIL_DOMAIN}"]
        scope = next(s for s in list_scopes_for_user(user) if s.is_family)
        child = next(e.child for e in room1.enrollments.all() if e.child.first_name == child_first)
        child, activity = access_child_activity(scope, child.id, earlier.id)
        question = activity.questions.get()
        do_submit(scope, child, activity, answers={str(question.id): 1}, actor=Actor(user=user))
    counting = do_create_activity(
        tara_scope,
        kind=Activity.Kind.QUIZ,
        title="Counting on the stairs",
        instructions="Count together out loud, then answer the two questions.",
        translations={
            "es": {
                "title": "Contar los escalones",
                "instructions": "Cuenten juntos en voz alta y luego respondan las dos preguntas.",
            }
        },
        targets=[TargetSpec(classroom=room1)],
        questions=[
            QuestionSpec(prompt="How many stairs did you count?", kind=Question.Kind.SHORT),
            QuestionSpec(prompt="What comes after 7?", choices=("6", "8", "9"), correct_choice=1),
        ],
        due_at=due,
        actor=tara_actor,
    )
    do_publish_activity(counting, actor=tara_actor)
    shapes = do_create_activity(
        tara_scope,
        kind=Activity.Kind.TASK,
        title="Find three shapes at home",
        instructions="Look for a circle, a square and a triangle at home. Send a photo of one.",
        translations={
            "es": {
                "title": "Encuentren tres figuras en casa",
                "instructions": "Busquen un círculo, un cuadrado y un triángulo en casa. "
                "Envíen una foto de uno.",
            }
        },
        targets=[TargetSpec(classroom=room1)],
        response=Activity.Response.PHOTO,
        due_at=due + datetime.timedelta(days=3),
        actor=tara_actor,
    )
    do_publish_activity(shapes, actor=tara_actor)
    paul = people[f"paul.nguyen@{EMAIL_DOMAIN}"]
    paul_scope = next(s for s in list_scopes_for_user(paul))
    reading = do_create_activity(
        paul_scope,
        kind=Activity.Kind.READING,
        title="Reading together tonight",
        body_html="<p>Read a book together for ten minutes. <strong>Take turns</strong>: one "
        "page each.</p>",
        targets=[TargetSpec(school=paul_scope.school)],
        actor=Actor(user=paul),
    )
    do_publish_activity(reading, actor=Actor(user=paul))
    diane = people[f"diane.okafor@{EMAIL_DOMAIN}"]
    do_create_activity(
        next(s for s in list_scopes_for_user(diane)),
        kind=Activity.Kind.TASK,
        title="Family walk: count the trees",
        instructions="Go for a short walk and count the trees you see. Write the number.",
        response=Activity.Response.TEXT,
        is_template=True,
        actor=Actor(user=diane),
    )


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
    for number, (first, last, classroom_key, guardian, birth) in enumerate(CHILDREN, start=1):
        classroom = classrooms[classroom_key]
        child = do_create_child(
            classroom.school,
            first_name=first,
            last_name=last,
            grade_level=classroom.grade_level,
            pupil_number=f"RB-{number:04d}",
            birth_date=datetime.date.fromisoformat(birth),
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
    first, last, child_first, child_last, birth, phone = SELF_REGISTRATION
    join_code = (
        JoinCode.objects.filter(  # scope-exempt: the demo's own seeded code, for the printout
            district__slug=DISTRICT_SLUG
        )
        .values_list("code", flat=True)
        .first()
        or "-"
    )
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
phone-only guardians sign in by code only.

Joining journeys (open them on a phone, or a 360 px wide window):
- Invite: sign in as Tara Brooks, open Invitations, then Room 1, and invite the families not
  yet invited. Rosa Diaz's text lands in the outbox ({base}{reverse("notifications:outbox")}?to=%2B13125550177);
  open its link, ask for a code (outbox again), agree to the policy, skip or fill the profile.
  (Between 8 pm and 7 am Riverbend time the invitation waits for the morning: quiet hours.)
- Self-registration: open {base}{reverse("join:register", args=[DISTRICT_SLUG])} and enter
  {first} {last}, child {child_first} {child_last}, born {birth}, mobile {phone}; the code is
  in the outbox.
- Join code: families the roster missed use Room 3's code {join_code}
  ({base}{reverse("join:code", args=[join_code])}); Hannah Kim approves them under Invitations.
"""
