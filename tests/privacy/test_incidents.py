"""The incident register (PROMISES S2): operators record a breach and the districts it affects;
each district is told within 48 hours of confirmation and the authority within 72; the notice
states what the contract requires; a district sees only the incidents it was told of."""

import datetime
import json

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.urls import reverse

from notifications.models import Delivery, Kind, Message
from notifications.tasks import fan_out_message
from privacy import incidents
from privacy.audit import Actor
from privacy.models import AuditEvent, Incident, IncidentDistrict
from tenants.actions import ActionError
from tenants.middleware import MFA_OK_SESSION_KEY
from tenants.models import User
from tests.counts import SESSION_QUERIES

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
DISCOVERED = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CONFIRMED = datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
HOUR, MINUTE = datetime.timedelta(hours=1), datetime.timedelta(minutes=1)

NOTICE_FORM = {
    "title": "Export bucket left public",
    "description": "A storage bucket holding nightly exports was readable by anyone with its "
    "address for three days.",
    "discovered_at": "2026-12-01T08:00",
    "confirmed_at": "2026-12-01T14:00",
    "breach_date_kind": "range",
    "breach_started_on": "2026-11-27",
    "breach_ended_on": "2026-11-29",
    "information_types": ["identity", "contact"],
    "other_information": "Class names",
    "status": "contained",
}


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def olga(db):
    """A platform operator (Engage staff): no membership in any district."""
    return User.objects.create_user(email="olga@engage.example", first_name="Olga", is_staff=True)


def sign_in_operator(client, user):
    """Signed in with two-factor done for this session (tested in test_operator_pages_...)."""
    client.force_login(user)
    session = client.session
    session[MFA_OK_SESSION_KEY] = user.id
    session.save()
    return client


@pytest.fixture
def operator(client, olga):
    return sign_in_operator(client, olga)


def record(world, *, districts=None, **changes):
    details = incidents.IncidentDetails(
        title="Export bucket left public",
        description="A storage bucket was readable by anyone.",
        discovered_at=DISCOVERED,
        confirmed_at=CONFIRMED,
        breach_date_kind="exact",
        breach_started_on=datetime.date(2026, 11, 27),
        breach_ended_on=None,
        information_types=["contact"],
        other_information="",
        is_delayed_for_law_enforcement=False,
        law_enforcement_details="",
    )
    details = incidents.IncidentDetails(**{**vars(details), **changes})
    with at(CONFIRMED + HOUR):
        return incidents.do_record_incident(
            details,
            districts=districts or [world.lakeside, world.hillcrest],
            actor=Actor.system(),
        )


def affected(incident, district):
    return IncidentDistrict.objects.select_related("incident", "district").get(
        incident=incident, district=district
    )


EXPECTED_TEXT = """\
Reporting district and contact
Lakeside Unified
Pat Price
privacy@lakeside.example

Types of personal information involved
- Names and other identity details
- Contact details (email addresses, phone numbers)
- Class names

Date, estimated date or date range of the breach
Between Nov. 27, 2026 and Nov. 29, 2026

What happened
A storage bucket holding nightly exports was readable by anyone with its address for three days.

Delayed for law enforcement
No: this notice was not delayed for a law enforcement investigation.

Discovered Dec. 1, 2026, 2 a.m.; confirmed Dec. 1, 2026, 8 a.m. (times in America/Chicago).
Engage incident {id}"""


def test_S2_incident_notice_states_what_the_contract_requires(world, operator, client, login, olga):
    world.lakeside.contact_email = "privacy@lakeside.example"
    world.lakeside.save(update_fields=["contact_email"])
    with at(CONFIRMED + HOUR):
        response = operator.post(
            reverse("privacy:incident_new"),
            {**NOTICE_FORM, "districts": [world.lakeside.id, world.hillcrest.id]},
        )
    incident = Incident.objects.get()
    assert response.url == reverse("privacy:incident_detail", args=[incident.id])
    lake = affected(incident, world.lakeside)
    assert (lake.contact_email, lake.notice_sent_at) == ("privacy@lakeside.example", None)
    assert affected(incident, world.hillcrest).contact_email == ""  # Hillcrest set none
    operator.post(
        reverse("privacy:incident_contact", args=[incident.id, world.lakeside.id]),
        {"contact_name": "Pat Price", "contact_email": "privacy@lakeside.example"},
    )

    text = operator.get(
        reverse("privacy:incident_notice_text", args=[incident.id, lake.district_id])
    )
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert text.content.decode() == (
        "Notice of a data security incident affecting Lakeside Unified\n\n"
        + EXPECTED_TEXT.format(id=incident.id)
        + "\n"
    )
    page = operator.get(reverse("privacy:incident_notice", args=[incident.id, lake.district_id]))
    html = page.content.decode()
    for part in (
        "Reporting district and contact",
        "Lakeside Unified<br>Pat Price",
        "privacy@lakeside.example",
        "<li>Names and other identity details</li>",
        "<li>Contact details (email addresses, phone numbers)</li>",
        "<li>Class names</li>",
        "Between Nov. 27, 2026 and Nov. 29, 2026",
        "readable by anyone with its address for three days.",
        "No: this notice was not delayed for a law enforcement investigation.",
    ):
        assert part in html, part

    # The district cannot see it before it is told...
    login(world.dana)
    url = reverse("privacy:district_incident", args=[incident.id])
    assert client.get(url).status_code == 404
    # ...then "Send notice" queues it by email to the district's admins and records it.
    sign_in_operator(client, olga)
    with at(CONFIRMED + 2 * HOUR):
        operator.post(reverse("privacy:incident_send_notice", args=[incident.id, lake.district_id]))
    lake.refresh_from_db()
    assert (lake.notice_sent_at, lake.notice_sent_by.email, lake.notice_channel) == (
        CONFIRMED + 2 * HOUR,
        "olga@engage.example",
        "engage",
    )
    message = Message.objects.get(source_type="incident_notice")
    assert (message.district_id, message.kind, message.audience, message.channels) == (
        world.lakeside.id,
        Kind.PRIVACY_NOTICE,
        {"type": "people", "ids": [world.dana.id]},
        ["email"],
    )
    assert message.is_required
    assert message.content["en"]["subject"] == (
        "Notice of a data security incident affecting Lakeside Unified"
    )
    assert message.content["en"]["body"] == (
        EXPECTED_TEXT.format(id=incident.id)
        + f"\n\nRead this notice in Engage: http://127.0.0.1:8000/privacy/district/incidents/{incident.id}/"
    )
    fan_out_message(message.id)
    assert list(Delivery.objects.filter(message=message).values_list("address", flat=True)) == [
        "dana@example.org"
    ]
    assert (
        AuditEvent.objects.filter(
            action="incident.notice_sent", district_id=world.lakeside.id
        ).count()
        == 1
    )

    login(world.dana)
    assert "Pat Price" in client.get(url).content.decode()
    listing = client.get(reverse("privacy:district_incidents")).content.decode()
    assert f"Read the notice of incident {incident.id}" in listing


def test_the_notice_says_when_it_was_delayed_for_law_enforcement_and_when_the_date_is_unknown(
    world,
):
    incident = record(
        world,
        breach_date_kind="unknown",
        breach_started_on=None,
        is_delayed_for_law_enforcement=True,
        law_enforcement_details="The police asked us to wait until 3 December.",
    )
    text = incidents.render_notice_text(affected(incident, world.lakeside))
    assert "Date, estimated date or date range of the breach\nNot yet known; we will tell you" in (
        text
    )
    assert (
        "Delayed for law enforcement\nYes: this notice was delayed at the request of a law "
        "enforcement investigation.\nThe police asked us to wait until 3 December.\n"
    ) in text


def test_S2_48_and_72_hour_clocks(world, operator):
    incident = record(world)
    lake, hill = affected(incident, world.lakeside), affected(incident, world.hillcrest)

    before = CONFIRMED + 47 * HOUR + 59 * MINUTE
    clock = incidents.district_clock(lake, before)
    assert (clock.due_at, clock.is_overdue, clock.remaining_text) == (
        CONFIRMED + 48 * HOUR,
        False,
        "0 h 01 min left",
    )
    after = CONFIRMED + 48 * HOUR + MINUTE
    clock = incidents.district_clock(lake, after)
    assert (clock.is_overdue, clock.remaining_text) == (True, "0 h 01 min overdue")
    authority = incidents.authority_clock(incident, CONFIRMED + 71 * HOUR + 59 * MINUTE)
    assert (authority.due_at, authority.is_overdue) == (CONFIRMED + 72 * HOUR, False)
    authority = incidents.authority_clock(incident, CONFIRMED + 72 * HOUR + MINUTE)
    assert (authority.is_overdue, authority.remaining_text) == (True, "0 h 01 min overdue")

    # The command lists what is past due and fails, so a monitor can alert.
    with at(before):
        call_command("incidents", "overdue")  # exit 0: nothing overdue
    with at(after), pytest.raises(SystemExit) as exit_status:
        call_command("incidents", "overdue", "--json", stdout=(out := _Buffer()))
    assert exit_status.value.code == 1
    overdue = json.loads(out.text)["overdue"]
    assert [(o["clock"], o["district"], o["overdue_hours"]) for o in overdue] == [
        ("district", "hillcrest", 0.0),
        ("district", "lakeside", 0.0),
    ]

    # The register shows it; telling Lakeside late is recorded as late.
    with at(after):
        page = operator.get(reverse("privacy:incident_register")).content.decode()
        assert "0 of 2 told" in page and "0 h 01 min overdue" in page and "23 h 59 min left" in page
        operator.post(
            reverse("privacy:incident_record_notice", args=[incident.id, world.lakeside.id]),
            {"sent_at": ""},
        )
    lake.refresh_from_db()
    clock = incidents.district_clock(lake, after)
    assert (clock.is_done, clock.is_late, clock.is_overdue) == (True, True, False)
    assert lake.notice_channel == "other"
    with at(after):
        assert [o.district.slug for o in incidents.list_overdue_clocks()] == ["hillcrest"]
        incidents.do_record_district_notice(hill, actor=Actor.system())
        incidents.do_record_authority_notice(
            incident, reference="State AG, case 2026-114", actor=Actor.system()
        )
        assert incidents.list_overdue_clocks() == []
        call_command("incidents", "overdue")


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"confirmed_at": DISCOVERED - HOUR}, "A breach is confirmed after it is discovered"),
        ({"breach_date_kind": "range"}, "A date range needs an end on or after its start."),
        ({"breach_started_on": None}, "Give the date of the breach"),
        ({"information_types": []}, "Say which types of personal information were involved."),
        ({"information_types": ["none"]}, "Unknown type of personal information: none"),
        (
            {"is_delayed_for_law_enforcement": True},
            "Say why law enforcement asked for the notice to be delayed.",
        ),
    ],
)
def test_incomplete_details_are_refused(world, changes, error):
    with pytest.raises(ActionError) as refused:
        record(world, **changes)
    assert str(refused.value).startswith(error)
    assert not Incident.objects.exists()


def test_a_district_already_told_stays_affected(world):
    incident = record(world)
    with at(CONFIRMED + 2 * HOUR):
        incidents.do_record_district_notice(
            affected(incident, world.hillcrest), actor=Actor.system()
        )
        details = incidents.IncidentDetails(
            **{
                name: getattr(incident, name)
                for name in incidents.IncidentDetails.__dataclass_fields__
            }
        )
        with pytest.raises(ActionError):
            incidents.do_update_incident(
                incident, details, districts=[world.lakeside], actor=Actor.system()
            )
        incidents.do_update_incident(
            incident, details, districts=[world.hillcrest], actor=Actor.system()
        )
    assert list(incident.affected.values_list("district__slug", flat=True)) == ["hillcrest"]


def test_sending_needs_an_admin_to_send_to(world, operator):
    from tenants.models import Membership

    incident = record(world)
    Membership.objects.filter(district=world.hillcrest, role="district_admin").update(
        is_active=False
    )
    page = operator.post(
        reverse("privacy:incident_send_notice", args=[incident.id, world.hillcrest.id]),
        follow=True,
    )
    assert "This district has no admin to email" in page.content.decode()
    assert affected(incident, world.hillcrest).notice_sent_at is None
    assert not Message.objects.exists()


# --- Who may see what ---------------------------------------------------------------------------


def test_operator_pages_are_for_platform_operators_with_two_factor(world, client, olga, login):
    url = reverse("privacy:incident_register")
    assert client.get(url).status_code == 302  # anonymous: to sign in
    login(world.dana)  # a district admin is not a platform operator
    assert client.get(url).status_code == 403
    client.force_login(olga)  # an operator without two-factor sets it up first
    assert client.get(url).url == reverse("mfa_activate_totp")
    Authenticator.objects.create(user=olga, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get(url).status_code == 200


def test_operator_pages_refuse_an_unknown_incident_or_district(world, operator):
    incident = record(world, districts=[world.lakeside])
    assert operator.get(reverse("privacy:incident_detail", args=[incident.id + 1])).status_code == (
        404
    )
    events = AuditEvent.objects.count()
    url = reverse("privacy:incident_send_notice", args=[incident.id, world.hillcrest.id])
    assert operator.post(url).status_code == 404
    assert (AuditEvent.objects.count(), Message.objects.count()) == (events, 0)


def test_register_page_query_count(world, operator, assert_num_queries):
    record(world)
    record(world, title="Second")
    url = reverse("privacy:incident_register")
    with at(CONFIRMED + 2 * HOUR):
        operator.get(url)
        with assert_num_queries(2 + SESSION_QUERIES):
            page = operator.get(url)
    assert page.content.decode().count("0 of 2 told") == 2


@pytest.mark.parametrize(
    ("person", "expected"),
    [(None, 302), ("ben", 403), ("tom", 403), ("priya", 404), ("hank", 200), ("dana", 200)],
)
def test_district_incident_list_is_for_district_admins(world, client, login, person, expected):
    if person:
        login(world.people[person])
    assert client.get(reverse("privacy:district_incidents")).status_code == expected


def test_a_district_sees_only_what_it_was_told(world, client, login, assert_num_queries):
    both = record(world)
    lakeside_only = record(world, districts=[world.lakeside], title="Lakeside only")
    with at(CONFIRMED + 2 * HOUR):
        for incident in (both, lakeside_only):
            incidents.do_record_district_notice(
                affected(incident, world.lakeside), actor=Actor.system()
            )
    login(world.hank)
    events = AuditEvent.objects.count()
    for incident in (both, lakeside_only):  # Hillcrest was not told of either
        url = reverse("privacy:district_incident", args=[incident.id])
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.count() == events
    assert (
        "No incident has affected your district."
        in client.get(reverse("privacy:district_incidents")).content.decode()
    )

    login(world.dana)
    url = reverse("privacy:district_incidents")
    client.get(url)
    with assert_num_queries(1 + SESSION_QUERIES):
        page = client.get(url).content.decode()
    assert f"incident {both.id}" in page and f"incident {lakeside_only.id}" in page
    assert client.get(reverse("privacy:district_incident", args=[both.id])).status_code == 200


def test_operator_follows_and_corrects_an_incident(world, operator):
    incident = record(world)
    detail = reverse("privacy:incident_detail", args=[incident.id])
    with at(CONFIRMED + 3 * HOUR):
        incidents.do_record_district_notice(
            affected(incident, world.hillcrest), actor=Actor.system()
        )
        page = operator.get(detail).content.decode()
        assert "Sent Dec. 1, 2026, 5 p.m." in page  # Hillcrest, in UTC on operator pages
        assert "45 h 00 min left" in page  # Lakeside
        assert "69 h 00 min left" in page  # the authority
        edit = reverse("privacy:incident_edit", args=[incident.id])
        form = operator.get(edit).context["form"]
        assert form.initial["districts"] == [world.hillcrest.id, world.lakeside.id]
        response = operator.post(
            edit,
            {
                **NOTICE_FORM,
                "title": "Corrected",
                "districts": [world.lakeside.id, world.hillcrest.id],
            },
        )
        assert response.url == detail
        operator.post(
            reverse("privacy:incident_authority", args=[incident.id]),
            {"reference": "State AG, case 2026-114", "sent_at": ""},
        )
    incident.refresh_from_db()
    assert (incident.title, incident.breach_date_kind, incident.authority_reference) == (
        "Corrected",
        "range",
        "State AG, case 2026-114",
    )
    assert incident.authority_notified_at == CONFIRMED + 3 * HOUR
    assert list(
        AuditEvent.objects.filter(target_type="privacy.incident")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "incident.recorded",
        "incident.notice_sent",
        "incident.updated",
        "incident.authority_notified",
    ]


# Everyone but a platform operator and Lakeside's district admin, acting in each of their roles.
OUTSIDERS = [
    ("hank", "district_admin"),
    ("hope", "school_admin"),
    ("hugo", "teacher"),
    ("dee", "guardian"),
    ("priya", "school_admin"),
    ("quinn", "school_admin"),
    ("tom", "teacher"),
    ("sam", "staff"),
    ("vera", "viewer"),
    ("ana", "guardian"),
    ("cal", "guardian"),
]


def incident_routes():
    from tenants.checks import iter_url_patterns

    return [
        (name, pattern)
        for _route, pattern, name in iter_url_patterns()
        if name
        and (name.startswith("privacy:incident_") or name == "privacy:district_incident")
        and pattern.pattern.converters
    ]


def _rows():
    from django.apps import apps
    from django.conf import settings

    return {
        model._meta.label: model.objects.count()
        for label in settings.ENGAGE_APPS
        for model in apps.get_app_config(label).get_models()
    }


@pytest.mark.parametrize(("outsider", "role"), OUTSIDERS)
def test_outsiders_get_403_or_404_from_every_incident_route_and_nothing_is_written(
    world, client, login, outsider, role
):
    incident = record(world, districts=[world.lakeside])
    with at(CONFIRMED + 2 * HOUR):
        incidents.do_record_district_notice(
            affected(incident, world.lakeside), actor=Actor.system()
        )
    routes = incident_routes()
    assert len(routes) == 9
    login(world.people[outsider], role=role)
    for name, pattern in routes:
        kwargs = {"incident_id": incident.id}
        if "district_id" in pattern.pattern.converters:
            kwargs["district_id"] = world.lakeside.id
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post"):
            before = _rows()
            status = getattr(client, method)(url).status_code
            assert status in (403, 404, 405), (outsider, method, url, status)
            assert _rows() == before, (outsider, method, url)
