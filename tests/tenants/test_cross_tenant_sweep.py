"""The cross-tenant sweep: every route that takes an object id, as outsiders of that object.

Walks the URL resolver. For each route with an id, requests it (every method the view declares)
as a user of another district and a user of another school (and, for family routes, another
family): the answer is 404, or 403 where only the capability is missing, and nothing is written.
A new id-taking route fails this test until it says which object its id names.

The privacy console's objects come from tests/privacy/test_console_sweep.py (CONSOLE_ID_OBJECTS,
CONSOLE_ROUTE_OBJECTS); that module imports this one, so it is read when first needed.
"""

import datetime

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from guardians.models import GuardianLink
from notifications.actions import do_send_announcement
from notifications.tasks import fan_out_message
from privacy.actions import do_ensure_policy_version
from privacy.audit import Actor
from tenants.checks import iter_url_patterns, view_declaration
from tenants.middleware import MFA_OK_SESSION_KEY
from tenants.models import Membership, Role, User
from tenants.scope import list_scopes_for_user

# Which object of the world each id kwarg names, and who legitimately reaches it.
ID_OBJECTS = {
    "classroom_id": lambda w: (w.room1, [("priya", Role.SCHOOL_ADMIN), ("tom", Role.TEACHER)]),
    "child_id": lambda w: (w.mia, [("ana", Role.GUARDIAN)]),
    "membership_id": lambda w: (
        Membership.objects.get(user=w.tom, role=Role.TEACHER),
        [("priya", Role.SCHOOL_ADMIN)],
    ),
    "message_id": lambda w: (_message_to_ana(w), [("priya", Role.SCHOOL_ADMIN)]),
    "guardian_id": lambda w: (w.ben, [("priya", Role.SCHOOL_ADMIN), ("tom", Role.TEACHER)]),
    "link_id": lambda w: (
        GuardianLink.objects.get(guardian=w.ben, child=w.noah),
        [("priya", Role.SCHOOL_ADMIN)],
    ),
    "run_id": lambda w: (_import_run(w), [("dana", Role.DISTRICT_ADMIN)]),
    "school_id": lambda w: (w.a1, [("dana", Role.DISTRICT_ADMIN)]),
    # A published Room 1 quiz by Tom (it reaches Mia, so Ana reaches it from her child's pages).
    "activity_id": lambda w: (
        _room1_quiz(w),
        [("tom", Role.TEACHER), ("priya", Role.SCHOOL_ADMIN)],
    ),
    # Ana's submission for Mia to the Room 1 quiz: Tom reviews it, Priya too (and shares it).
    "submission_id": lambda w: (
        _mia_submission(w),
        [("tom", Role.TEACHER), ("priya", Role.SCHOOL_ADMIN)],
    ),
    "join_code_id": lambda w: (
        _join_code(w),
        [("tom", Role.TEACHER), ("priya", Role.SCHOOL_ADMIN)],
    ),
    "join_request_id": lambda w: (
        _join_request(w),
        [("tom", Role.TEACHER), ("priya", Role.SCHOOL_ADMIN)],
    ),
    # A district library template by Dana: every author of the district reads and copies it.
    "template_id": lambda w: (
        _library_template(w),
        [
            ("tom", Role.TEACHER),
            ("priya", Role.SCHOOL_ADMIN),
            ("tina", Role.TEACHER),
            ("mo", Role.TEACHER),
            ("quinn", Role.SCHOOL_ADMIN),
            ("dana", Role.DISTRICT_ADMIN),
        ],
    ),
    # Ana's processed photo of Mia for the Room 1 quiz (files on the test's own media root).
    "photo_id": lambda w: (_mia_photo(w), [("ana", Role.GUARDIAN)]),
    # Lakeside's policy in force, and an incident Lakeside was told of: district admins' pages.
    "version_id": lambda w: (do_ensure_policy_version(w.lakeside), [("dana", Role.DISTRICT_ADMIN)]),
    "incident_id": lambda w: (_lakeside_incident(w), [("dana", Role.DISTRICT_ADMIN)]),
    "district_id": lambda w: (w.lakeside, [("dana", Role.DISTRICT_ADMIN)]),
}
# Routes whose id names another object than the kwarg's default.
ROUTE_OBJECTS = {
    # A published Room 1 picture by Tom, with its picture attached (the quiz has no file).
    **{
        f"files:{name}": {
            "activity_id": lambda w: (
                _room1_picture(w),
                [("tom", Role.TEACHER), ("priya", Role.SCHOOL_ADMIN)],
            )
        }
        for name in ("activity_attachment", "family_activity_attachment")
    },
    # A district's own deletion requests (privacy.views.districts), district admins only: an
    # open one for Lakeside Elementary to withdraw, and a carried-out one with its certificate.
    "privacy:district_withdraw": {
        "privacy_request_id": lambda w: (_open_school_deletion(w), [("dana", Role.DISTRICT_ADMIN)])
    },
    "privacy:district_certificate": {
        "privacy_request_id": lambda w: (_done_school_deletion(w), [("dana", Role.DISTRICT_ADMIN)])
    },
}
# Kwargs that are not ids, and the value the sweep gives them.
OTHER_KWARGS = {"variant": "thumbnail", "table": "places"}
# The incident register's pages are the platform operators' (privacy.views.incidents
# .operator_view): Engage staff with two-factor, holding no membership, acting in no tenant; every
# tenant user is an outsider there. Those views are public to engage.E003 and guard themselves, so
# they declare no methods the sweep can read: these are the methods each serves.
OPERATOR = ("operator", None)
OPERATOR_ROUTES = {
    "privacy:incident_detail": ["GET"],
    "privacy:incident_edit": ["GET", "POST"],
    "privacy:incident_authority": ["POST"],
    "privacy:incident_notice": ["GET"],
    "privacy:incident_notice_text": ["GET"],
    "privacy:incident_send_notice": ["POST"],
    "privacy:incident_record_notice": ["POST"],
    "privacy:incident_contact": ["POST"],
}
# Routes whose rightful visitor differs from the kwarg's default insiders.
ROUTE_INSIDERS = {
    # Dashboards: a school's is read by the district's admins and viewers and the school's own
    # admins and staff (teachers see their classrooms'); a classroom's family list by its
    # teachers and admins.
    **{
        f"dashboards:{name}": [
            ("dana", Role.DISTRICT_ADMIN),
            ("vera", Role.VIEWER),
            ("priya", Role.SCHOOL_ADMIN),
            ("sam", Role.STAFF),
        ]
        for name in ("school", "school_export")
    },
    "dashboards:classroom": [
        ("dana", Role.DISTRICT_ADMIN),
        ("priya", Role.SCHOOL_ADMIN),
        ("tom", Role.TEACHER),
    ],
    "notifications:inbox_message": [("ana", Role.GUARDIAN)],
    "family_activities:activity": [("ana", Role.GUARDIAN)],
    "api_family_activities:activity": [("ana", Role.GUARDIAN)],
    # People management: a child's page is read by its school's staff, written by its admins.
    "manage:child_detail": [("priya", Role.SCHOOL_ADMIN), ("tom", Role.TEACHER)],
    **{
        f"manage:{name}": [("priya", Role.SCHOOL_ADMIN)]
        for name in ("child_edit", "child_move", "child_remove", "link_add")
    },
    # Private files: staff review photos; a district admin once they opened the school.
    "files:review_photo": [("tom", Role.TEACHER), ("priya", Role.SCHOOL_ADMIN)],
    "files:district_photo": [("dana", Role.DISTRICT_ADMIN)],
    "api_review:photo": [("tom", Role.TEACHER), ("priya", Role.SCHOOL_ADMIN)],
    "files:family_activity_attachment": [("ana", Role.GUARDIAN)],
    # Deleting a child or a guardian's account (restorable) takes privacy:admin.
    **{
        f"manage:{name}": [("priya", Role.SCHOOL_ADMIN), ("dana", Role.DISTRICT_ADMIN)]
        for name in ("child_delete", "guardian_delete")
    },
    **{route: [OPERATOR] for route in OPERATOR_ROUTES},
}
# What an insider does first to reach the route (as the product asks them to).
INSIDER_STEPS = {
    "files:district_photo": lambda w, client: client.post(
        reverse("review:open_school"), {"school": w.a1.id, "reason": "Sweep"}
    ),
}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Photos and attachments the sweep makes are written to the test's own media root."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


def _room1_quiz(world):
    from activities.models import Activity
    from tests.activities.helpers import quiz_for

    return Activity.objects.filter(title="Counting to ten").first() or quiz_for(world)


def _library_template(world):
    from activities.actions.authoring import do_create_activity
    from activities.models import Activity
    from tests.activities.helpers import scope_of

    return Activity.objects.filter(is_template=True, title="Sweep template").first() or (
        do_create_activity(
            scope_of(world.dana),
            kind=Activity.Kind.TASK,
            title="Sweep template",
            response=Activity.Response.PHOTO,
            is_template=True,
            actor=Actor(user=world.dana),
        )
    )


def _mia_photo(world):
    from activities import media
    from activities.actions.submissions import do_submit
    from activities.models import SubmissionPhoto
    from activities.queries.family import access_child_activity
    from tests.activities.helpers import family_scope, jpeg_upload

    existing = SubmissionPhoto.objects.filter(submission__child=world.mia).first()
    if existing:
        return existing
    scope = family_scope(world.ana)
    child, activity = access_child_activity(scope, world.mia.id, _room1_quiz(world).id)
    submission = do_submit(
        scope,
        child,
        activity,
        answers={str(q.id): 1 if q.kind == "choice" else "7" for q in activity.questions.all()},
        photos=[jpeg_upload()],
        actor=Actor(user=world.ana),
    )
    photo = submission.photos.get()
    media.process_photo(photo.id)  # the test transaction never commits: run the task by hand
    return SubmissionPhoto.objects.get(id=photo.id)


def _room1_picture(world):
    from activities.actions.authoring import TargetSpec, do_create_activity, do_publish_activity
    from activities.models import Activity
    from tests.activities.helpers import jpeg_upload, scope_of

    existing = Activity.objects.filter(title="Sweep picture").first()
    if existing:
        return existing
    picture = do_create_activity(
        scope_of(world.tom),
        kind=Activity.Kind.PICTURE,
        title="Sweep picture",
        targets=[TargetSpec(classroom=world.room1)],
        attachment=jpeg_upload(),
        actor=Actor(user=world.tom),
    )
    return do_publish_activity(picture, actor=Actor(user=world.tom))


def _import_run(world):
    from tenants.models import RosterImportRun

    return RosterImportRun.objects.filter(district=world.lakeside).first() or (
        RosterImportRun.objects.create(
            district=world.lakeside,
            started_by=world.dana,
            source_format="engage",
            file_sha256="0" * 64,
        )
    )


def _join_code(world):
    from guardians.actions.joining import do_create_join_code
    from guardians.models import JoinCode

    existing = JoinCode.objects.filter(classroom=world.room1).first()
    if existing:
        return existing
    scope = next(s for s in list_scopes_for_user(world.tom))
    return do_create_join_code(scope, world.room1, actor=Actor(user=world.tom))


def _join_request(world):
    from guardians.actions.joining import do_request_to_join
    from guardians.models import JoinRequest

    existing = JoinRequest.objects.first()
    if existing:
        return existing
    return do_request_to_join(
        _join_code(world),
        requester=world.dee,
        child_first_name="Ola",
        child_last_name="Dawson",
        child_birth_date=None,
        relationship="parent",
        actor=Actor.system(),
    )


def _mia_submission(world):
    from activities.actions.submissions import do_submit
    from activities.models import Submission
    from activities.queries.family import access_child_activity
    from tests.activities.helpers import family_scope

    existing = Submission.objects.filter(child=world.mia).first()
    if existing:
        return existing
    scope = family_scope(world.ana)
    child, activity = access_child_activity(scope, world.mia.id, _room1_quiz(world).id)
    return do_submit(
        scope,
        child,
        activity,
        answers={str(q.id): 1 if q.kind == "choice" else "7" for q in activity.questions.all()},
        actor=Actor(user=world.ana),
    )


def _message_to_ana(world):
    from notifications.models import Message

    existing = Message.objects.filter(author=world.priya).first()
    if existing:
        return existing
    scope = next(s for s in list_scopes_for_user(world.priya))
    message = do_send_announcement(
        scope,
        audience={"type": "guardians", "ids": [world.ana.id]},
        content={"en": {"subject": "Trip", "body": "Bring a coat."}},
        channels=["sms", "email"],
        actor=Actor(user=world.priya),
    )
    fan_out_message(message.id)  # the test transaction never commits: run the task by hand
    return message


def _lakeside_incident(world):
    """An incident that affected Lakeside alone, its notice recorded as sent (a district sees an
    incident only once it was told)."""
    from privacy import incidents
    from privacy.models import Incident, IncidentDistrict

    existing = Incident.objects.filter(title="Sweep incident").first()
    if existing:
        return existing
    now = timezone.now()
    incident = incidents.do_record_incident(
        incidents.IncidentDetails(
            title="Sweep incident",
            description="A storage bucket was readable by anyone.",
            discovered_at=now - datetime.timedelta(hours=3),
            confirmed_at=now - datetime.timedelta(hours=2),
            breach_date_kind=Incident.BreachDate.EXACT,
            breach_started_on=now.date() - datetime.timedelta(days=2),
            breach_ended_on=None,
            information_types=["contact"],
            other_information="",
            is_delayed_for_law_enforcement=False,
            law_enforcement_details="",
        ),
        districts=[world.lakeside],
        actor=Actor.system(),
    )
    incidents.do_record_district_notice(
        IncidentDistrict.objects.get(incident=incident, district=world.lakeside),
        actor=Actor.system(),
    )
    return incident


def _open_school_deletion(world):
    """Dana's request to delete Lakeside Elementary's data, not started (it can be withdrawn)."""
    from privacy.districts.requests import do_request_deletion
    from privacy.models import PrivacyRequest
    from tests.activities.helpers import scope_of

    existing = PrivacyRequest.objects.filter(
        kind=PrivacyRequest.Kind.SCHOOL_DELETION, school=world.a1, status="open"
    ).first()
    return existing or do_request_deletion(
        scope_of(world.dana, Role.DISTRICT_ADMIN), school=world.a1, actor=Actor(user=world.dana)
    )


def _done_school_deletion(world):
    """Dana's request to delete a school of its own (an empty annex, so the world's schools stay
    whole for the rest of the sweep), carried out: it has its certificate."""
    from privacy.districts.requests import do_carry_out_now, do_request_deletion
    from privacy.models import PrivacyRequest
    from tenants.actions import do_create_school
    from tests.activities.helpers import scope_of

    existing = PrivacyRequest.objects.filter(
        kind=PrivacyRequest.Kind.SCHOOL_DELETION, status="done"
    ).first()
    if existing:
        return existing
    annex = do_create_school(
        world.lakeside, name="Sweep Annex", slug="sweep-annex", actor=Actor(user=world.dana)
    )
    request = do_request_deletion(
        scope_of(world.dana, Role.DISTRICT_ADMIN), school=annex, actor=Actor(user=world.dana)
    )
    do_carry_out_now(request)
    return PrivacyRequest.objects.get(id=request.id)


def _sign_in_operator(client):
    """A platform operator, signed in with two-factor done (tests/privacy/test_incidents.py
    tests the two-factor step itself)."""
    operator = User.objects.filter(email="sweep-operator@engage.example").first()
    operator = operator or User.objects.create_user(
        email="sweep-operator@engage.example", first_name="Olga", is_staff=True
    )
    client.force_login(operator)
    session = client.session
    session[MFA_OK_SESSION_KEY] = operator.id
    session.save()


# Outsiders: (person, role) of another district, another school, another family, no access.
OUTSIDERS = [
    ("hank", Role.DISTRICT_ADMIN),  # other district, district admin
    ("hope", Role.SCHOOL_ADMIN),  # other district, school admin
    ("hugo", Role.TEACHER),  # other district, teacher
    ("dee", Role.GUARDIAN),  # other district, guardian
    ("quinn", Role.SCHOOL_ADMIN),  # same district, other school
    ("mo", Role.TEACHER),  # same district, other school
    ("tina", Role.TEACHER),  # same school, other classroom
    ("ben", Role.GUARDIAN),  # same classroom, other family
    ("cal", Role.GUARDIAN),  # Mia's father with "no access"
]


def id_routes():
    ours = {*settings.ENGAGE_APPS, "engage"}
    return [
        (name, pattern)
        for _route, pattern, name in iter_url_patterns()
        if _int_kwargs(pattern) and pattern.callback.__module__.split(".")[0] in ours
    ]


def _int_kwargs(pattern) -> list[str]:
    """The kwargs of a route that are object ids (signed tokens are tested on their own)."""
    return [name for name, conv in pattern.pattern.converters.items() if conv.regex == "[0-9]+"]


def _console_sweep():
    """The privacy console's objects (tests/privacy/test_console_sweep.py imports this module,
    so it is imported here when first needed rather than at the top)."""
    from tests.privacy import test_console_sweep

    return test_console_sweep


def id_factories(route: str) -> dict:
    """Each id kwarg's object factory for `route`: the defaults, the console's, then the route's
    own."""
    console = _console_sweep()
    return {
        **ID_OBJECTS,
        **console.CONSOLE_ID_OBJECTS,
        **console.CONSOLE_ROUTE_OBJECTS.get(route, {}),
        **ROUTE_OBJECTS.get(route, {}),
    }


def route_objects(world, route: str, pattern) -> tuple[dict, list]:
    """The route's id kwargs filled with the world's objects, and its rightful visitors: the
    route's own (ROUTE_INSIDERS), else those of its last id (the object the page is about)."""
    names = _int_kwargs(pattern)
    factories = id_factories(route)
    found = {name: factories[name](world) for name in names}
    kwargs = {name: obj.id for name, (obj, _insiders) in found.items()}
    kwargs.update({n: v for n, v in OTHER_KWARGS.items() if n in pattern.pattern.converters})
    return kwargs, ROUTE_INSIDERS.get(route, found[names[-1]][1])


def route_url(world, route: str, pattern, text_kwargs: dict | None = None) -> str:
    """The route's URL: ids name the world's objects (route_objects), other kwargs take
    `text_kwargs`' value or one that names nothing."""
    kwargs = {name: (text_kwargs or {}).get(name, "unknown") for name in pattern.pattern.converters}
    if _int_kwargs(pattern):
        kwargs.update(route_objects(world, route, pattern)[0])
    return reverse(route, kwargs=kwargs)


def declared_methods(callback) -> list[str]:
    declared = view_declaration(callback)
    if isinstance(declared, dict):
        return sorted(m for m in declared if m in {"GET", "POST", "PUT", "PATCH", "DELETE"})
    view_class = getattr(callback, "cls", None)
    if view_class is not None:
        return sorted(
            m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)
        )
    return ["GET"]


def route_methods(route: str, pattern) -> list[str]:
    return OPERATOR_ROUTES.get(route) or declared_methods(pattern.callback)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for label in [*settings.ENGAGE_APPS, "sessions"]
        for model in apps.get_app_config(label).get_models()
    }


def test_sweep_covers_every_id_route():
    routes = id_routes()
    assert len(routes) >= 5
    unknown = {
        (route, name)
        for route, pattern in routes
        for name in _int_kwargs(pattern)
        if name not in id_factories(route)
    }
    assert unknown == set(), "add these id kwargs to ID_OBJECTS"
    # A view that guards itself declares no methods: the sweep must be told which it serves.
    self_guarded = {route for route, p in routes if view_declaration(p.callback) == "public"}
    assert self_guarded == set(OPERATOR_ROUTES), "say which methods these serve (OPERATOR_ROUTES)"


def test_sweep_reaches_the_api_and_every_file_serving_route():
    """The API's id routes and every private file (photos, attachments: /files/ and the API's
    own) are among the swept routes."""
    swept = {route for route, _pattern in id_routes()}
    named = [(name, pattern) for _route, pattern, name in iter_url_patterns() if name]
    files = {n for n, p in named if n.startswith("files:") or "photo_id" in p.pattern.converters}
    api = {n for n, p in named if n.startswith("api_") and _int_kwargs(p)}
    assert len(files) == 7 and len(api) >= 20
    assert files | api <= swept


@pytest.mark.parametrize("outsider,role", OUTSIDERS)
def test_outsiders_get_404_and_nothing_is_written(world, client, login, outsider, role):
    login(world.people[outsider], role=role)
    for route, pattern in id_routes():
        kwargs, insiders = route_objects(world, route, pattern)
        if (outsider, role) in insiders:
            continue
        url = reverse(route, kwargs=kwargs)
        for method in route_methods(route, pattern):
            before = row_counts()
            response = getattr(client, method.lower())(url)
            assert response.status_code in (403, 404), (
                outsider,
                method,
                url,
                response.status_code,
            )
            assert row_counts() == before, (outsider, method, url)


def test_insiders_reach_every_id_route(world, client, login):
    """The sweep is not vacuous: the rightful person gets the page."""
    for route, pattern in id_routes():
        if "GET" not in route_methods(route, pattern):
            continue
        kwargs, insiders = route_objects(world, route, pattern)
        person, role = insiders[0]
        if (person, role) == OPERATOR:
            _sign_in_operator(client)
        else:
            login(world.people[person], role=role)
        if route in INSIDER_STEPS:
            INSIDER_STEPS[route](world, client)
        url = reverse(route, kwargs=kwargs)
        assert client.get(url).status_code == 200, url


def test_no_access_guardian_link_exists_in_the_world(world):
    assert GuardianLink.objects.get(guardian=world.cal, child=world.mia).has_access is False
