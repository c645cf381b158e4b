"""The incident register (PROMISES S2): platform operators record a personal-data breach, the
districts it affects and their contacts; two clocks run from its confirmation (every affected
district told within 48 hours, SMT; the authority within 72, LWP), and each district gets a
notice that states what S2 requires.

Notifies: `do_send_district_notice` queues one required email (PRIVACY_NOTICE) to the district's
admins after commit and records who sent it and when; sending again queues a new message but
keeps the first time sent, which is what the 48-hour clock is measured by. Every write is
audited in its own transaction. A district sees an incident only once its notice is recorded as
sent, so a notice delayed for law enforcement stays with the operators until then.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacy.audit import Actor, record_audit_event
from privacy.classification import Category
from privacy.models import Incident, IncidentDistrict
from tenants.actions import ActionError
from tenants.models import District
from tenants.scope import Scope

DISTRICT_NOTICE_WITHIN = datetime.timedelta(hours=48)  # SMT
AUTHORITY_NOTICE_WITHIN = datetime.timedelta(hours=72)  # LWP

# The kinds of personal information a notice names: the classification's categories, in words
# a district can pass on to families.
INFORMATION_TYPES = {
    Category.IDENTITY: gettext_lazy("Names and other identity details"),
    Category.CONTACT: gettext_lazy("Contact details (email addresses, phone numbers)"),
    Category.STUDENT_RECORD: gettext_lazy("Student records (school, class, pupil number)"),
    Category.SENSITIVE: gettext_lazy("Sensitive information"),
    Category.CONTENT: gettext_lazy("What families shared (photos, answers, comments)"),
    Category.USAGE: gettext_lazy("Usage and activity records"),
    Category.PREFERENCE: gettext_lazy("Preferences and consents"),
    Category.CREDENTIAL: gettext_lazy("Sign-in credentials"),
    Category.SECURITY: gettext_lazy("Security and audit records"),
}

BreachDate = Incident.BreachDate


# --- Clocks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """A deadline counted from the incident's confirmation, and when it was met (if it was)."""

    due_at: datetime.datetime
    done_at: datetime.datetime | None
    now: datetime.datetime

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.now > self.due_at

    @property
    def is_late(self) -> bool:
        """Met, but after the deadline."""
        return self.done_at is not None and self.done_at > self.due_at

    @property
    def remaining(self) -> datetime.timedelta:
        """Time left (negative once overdue); meaningless once done."""
        return self.due_at - self.now

    @property
    def remaining_text(self) -> str:
        if self.is_done:
            return ""
        hours, minutes = divmod(int(abs(self.remaining).total_seconds()) // 60, 60)
        values = {"hours": hours, "minutes": minutes}
        if self.is_overdue:
            return _("%(hours)d h %(minutes)02d min overdue") % values
        return _("%(hours)d h %(minutes)02d min left") % values


def district_clock(affected: IncidentDistrict, now: datetime.datetime | None = None) -> Clock:
    """The 48-hour clock of one affected district (SMT)."""
    return Clock(
        due_at=affected.incident.confirmed_at + DISTRICT_NOTICE_WITHIN,
        done_at=affected.notice_sent_at,
        now=now or timezone.now(),
    )


def authority_clock(incident: Incident, now: datetime.datetime | None = None) -> Clock:
    """The 72-hour clock of the authority's notice (LWP)."""
    return Clock(
        due_at=incident.confirmed_at + AUTHORITY_NOTICE_WITHIN,
        done_at=incident.authority_notified_at,
        now=now or timezone.now(),
    )


# --- Reads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    incident: Incident
    affected: list[IncidentDistrict]
    authority: Clock
    district_clocks: list[Clock]

    @property
    def districts_told(self) -> int:
        return sum(clock.is_done for clock in self.district_clocks)

    @property
    def districts_overdue(self) -> int:
        return sum(clock.is_overdue for clock in self.district_clocks)

    @property
    def next_district_due(self) -> Clock | None:
        """The affected districts share one deadline: their clock while any is untold."""
        waiting = [clock for clock in self.district_clocks if not clock.is_done]
        return waiting[0] if waiting else None


def list_register(now: datetime.datetime | None = None) -> list[RegisterRow]:
    """Every incident, newest confirmed first, with its clocks (two queries). Operators only:
    the register spans districts, so this read is deliberately not scoped."""
    now = now or timezone.now()
    incidents = Incident.objects.prefetch_related(
        _affected_prefetch(),
    ).order_by("-confirmed_at", "-id")
    rows = []
    for incident in incidents:
        affected = list(incident.affected.all())
        rows.append(
            RegisterRow(
                incident=incident,
                affected=affected,
                authority=authority_clock(incident, now),
                district_clocks=[district_clock(a, now) for a in affected],
            )
        )
    return rows


def _affected_prefetch() -> Prefetch:
    return Prefetch(
        "affected",
        queryset=IncidentDistrict.objects.select_related("district", "notice_sent_by").order_by(
            "district__name", "id"
        ),
    )


def access_incident(incident_id: int) -> Incident:
    """An incident of the register, with its affected districts (operators only)."""
    incident = (
        Incident.objects.filter(id=incident_id)
        .select_related("created_by", "authority_notified_by")
        .prefetch_related(_affected_prefetch())
        .first()
    )
    if incident is None:
        raise Http404
    return incident


def access_affected_district(incident: Incident, district_id: int) -> IncidentDistrict:
    """The incident's row for one district it affects; any other district is a 404."""
    for affected in incident.affected.all():
        if affected.district_id == district_id:
            return affected
    raise Http404


def list_incidents_for_scope(scope: Scope) -> list[IncidentDistrict]:
    """The incidents that affected the scope's district and that it was told of (one query)."""
    return list(
        IncidentDistrict.objects.filter(district_id=scope.district.id, notice_sent_at__isnull=False)
        .select_related("incident", "district")
        .order_by("-incident__confirmed_at", "-id")
    )


def access_district_incident(scope: Scope, incident_id: int) -> IncidentDistrict:
    """One incident the scope's district was told of; another district's, or one it was not
    told of yet, is a 404."""
    affected = (
        IncidentDistrict.objects.filter(
            district_id=scope.district.id, incident_id=incident_id, notice_sent_at__isnull=False
        )
        .select_related("incident", "district")
        .first()
    )
    if affected is None:
        raise Http404
    return affected


@dataclass(frozen=True)
class OverdueClock:
    incident: Incident
    clock: Clock
    district: District | None  # None: the authority's clock

    def as_json(self) -> dict:
        return {
            "incident": self.incident.id,
            "title": self.incident.title,
            "clock": "district" if self.district else "authority",
            "district": self.district.slug if self.district else None,
            "due_at": self.clock.due_at.isoformat(),
            "overdue_hours": round(-self.clock.remaining.total_seconds() / 3600, 1),
            "delayed_for_law_enforcement": self.incident.is_delayed_for_law_enforcement,
        }


def list_overdue_clocks(now: datetime.datetime | None = None) -> list[OverdueClock]:
    """Every clock past its deadline and not met, oldest deadline first."""
    overdue = []
    for row in list_register(now):
        if row.authority.is_overdue:
            overdue.append(OverdueClock(row.incident, row.authority, None))
        for affected, clock in zip(row.affected, row.district_clocks, strict=True):
            if clock.is_overdue:
                overdue.append(OverdueClock(row.incident, clock, affected.district))
    return sorted(overdue, key=lambda o: (o.clock.due_at, o.incident.id))


# --- The notice ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What S2 requires a notice to state, for one affected district, in the active language."""

    incident_id: int
    district_name: str
    contact_name: str
    contact_email: str
    information_types: list[str]
    breach_date: str
    description: str
    is_delayed_for_law_enforcement: bool
    law_enforcement_details: str
    discovered_at: datetime.datetime
    confirmed_at: datetime.datetime
    time_zone: str


def get_notice_types(incident: Incident) -> list[str]:
    """The types of personal information involved, in words (the active language)."""
    types = [
        str(INFORMATION_TYPES[c]) for c in incident.information_types if c in INFORMATION_TYPES
    ]
    if incident.other_information:
        types.append(incident.other_information)
    return types


def get_notice(affected: IncidentDistrict) -> Notice:
    """The notice for one affected district (no query once its incident and district are
    loaded)."""
    incident = affected.incident
    return Notice(
        incident_id=incident.id,
        district_name=affected.district.name,
        contact_name=affected.contact_name,
        contact_email=affected.contact_email,
        information_types=get_notice_types(incident),
        breach_date=describe_breach_date(incident),
        description=incident.description,
        is_delayed_for_law_enforcement=incident.is_delayed_for_law_enforcement,
        law_enforcement_details=incident.law_enforcement_details,
        discovered_at=incident.discovered_at,
        confirmed_at=incident.confirmed_at,
        time_zone=affected.district.timezone,
    )


def describe_breach_date(incident: Incident) -> str:
    """The date, the estimated date or the date range of the breach, in words."""
    start = formats.date_format(incident.breach_started_on) if incident.breach_started_on else ""
    end = formats.date_format(incident.breach_ended_on) if incident.breach_ended_on else ""
    if incident.breach_date_kind == BreachDate.EXACT:
        return _("On %(date)s") % {"date": start}
    if incident.breach_date_kind == BreachDate.ESTIMATED:
        return _("On or about %(date)s (estimated)") % {"date": start}
    if incident.breach_date_kind == BreachDate.RANGE:
        return _("Between %(start)s and %(end)s") % {"start": start, "end": end}
    return _("Not yet known; we will tell you as soon as it is.")


def render_notice_text(affected: IncidentDistrict) -> str:
    """The notice as plain text (the email body and the text download), in the active language
    and the district's time zone."""
    with timezone.override(affected.district.timezone):
        return render_to_string(
            "privacy/incidents/notice.txt", {"notice": get_notice(affected)}
        ).strip()


def notice_subject(affected: IncidentDistrict) -> str:
    return _("Notice of a data security incident affecting %(district)s") % {
        "district": affected.district.name
    }


# --- Writes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentDetails:
    """What an operator records about a breach (the form's cleaned data)."""

    title: str
    description: str
    discovered_at: datetime.datetime
    confirmed_at: datetime.datetime
    breach_date_kind: str
    breach_started_on: datetime.date | None
    breach_ended_on: datetime.date | None
    information_types: list[str]
    other_information: str
    is_delayed_for_law_enforcement: bool
    law_enforcement_details: str
    status: str = Incident.Status.INVESTIGATING


def check_details(details: IncidentDetails) -> None:
    """Refuse details a notice could not be built from, with a message for the operator."""
    now = timezone.now()
    if details.confirmed_at < details.discovered_at:
        raise ActionError(_("A breach is confirmed after it is discovered, not before."))
    if details.confirmed_at > now or details.discovered_at > now:
        raise ActionError(_("Discovery and confirmation cannot be in the future."))
    kind, start, end = details.breach_date_kind, details.breach_started_on, details.breach_ended_on
    if kind in (BreachDate.EXACT, BreachDate.ESTIMATED, BreachDate.RANGE) and start is None:
        raise ActionError(_("Give the date of the breach (or choose “Not yet known”)."))
    if kind == BreachDate.RANGE and (end is None or end < start):
        raise ActionError(_("A date range needs an end on or after its start."))
    unknown = set(details.information_types) - set(INFORMATION_TYPES)
    if unknown:
        raise ActionError(_("Unknown type of personal information: %s") % ", ".join(unknown))
    if not details.information_types and not details.other_information.strip():
        raise ActionError(_("Say which types of personal information were involved."))
    if details.is_delayed_for_law_enforcement and not details.law_enforcement_details.strip():
        raise ActionError(_("Say why law enforcement asked for the notice to be delayed."))


def _apply(incident: Incident, details: IncidentDetails) -> None:
    for name, value in vars(details).items():
        setattr(incident, name, value.strip() if isinstance(value, str) else value)
    if details.breach_date_kind != BreachDate.RANGE:
        incident.breach_ended_on = None
    if details.breach_date_kind == BreachDate.UNKNOWN:
        incident.breach_started_on = None
    if not details.is_delayed_for_law_enforcement:
        incident.law_enforcement_details = ""


@transaction.atomic
def do_record_incident(
    details: IncidentDetails, *, districts: list[District], actor: Actor
) -> Incident:
    """Record a breach and the districts it affects; each district's contact starts as its
    contact email. Audited as a platform event (no district: none has been told yet)."""
    check_details(details)
    if not districts:
        raise ActionError(_("Choose the districts the breach affects."))
    incident = Incident(created_by=actor.user)
    _apply(incident, details)
    incident.save()
    _add_districts(incident, districts)
    record_audit_event(
        actor=actor,
        action="incident.recorded",
        target=incident,
        metadata={"districts": sorted(d.id for d in districts), "status": incident.status},
    )
    return incident


@transaction.atomic
def do_update_incident(
    incident: Incident, details: IncidentDetails, *, districts: list[District], actor: Actor
) -> Incident:
    """Correct an incident's details and affected districts. A district already told keeps
    its place in the register (its notice cannot be unsent)."""
    check_details(details)
    if not districts:
        raise ActionError(_("Choose the districts the breach affects."))
    wanted = {d.id for d in districts}
    current = {a.district_id: a for a in IncidentDistrict.objects.filter(incident=incident)}
    removed = [a for district_id, a in current.items() if district_id not in wanted]
    if any(a.notice_sent_at for a in removed):
        raise ActionError(_("A district that was already told stays among the affected ones."))
    IncidentDistrict.objects.filter(id__in=[a.id for a in removed]).delete()
    _add_districts(incident, [d for d in districts if d.id not in current])
    _apply(incident, details)
    incident.updated_at = timezone.now()
    incident.save()
    record_audit_event(
        actor=actor,
        action="incident.updated",
        target=incident,
        metadata={"districts": sorted(wanted), "status": incident.status},
    )
    return incident


def _add_districts(incident: Incident, districts: list[District]) -> None:
    IncidentDistrict.objects.bulk_create(
        IncidentDistrict(incident=incident, district=d, contact_email=d.contact_email)
        for d in districts
    )


@transaction.atomic
def do_set_incident_contact(
    affected: IncidentDistrict, *, contact_name: str, contact_email: str, actor: Actor
) -> IncidentDistrict:
    """Change whom the notice names as the district's contact."""
    affected.contact_name = contact_name.strip()
    affected.contact_email = contact_email.strip()
    affected.save(update_fields=["contact_name", "contact_email"])
    record_audit_event(
        actor=actor,
        action="incident.contact_changed",
        target=affected.incident,
        district_id=affected.district_id,
    )
    return affected


def _record_district_notice(
    affected: IncidentDistrict, *, sent_at: datetime.datetime, channel: str, actor: Actor
) -> None:
    if affected.notice_sent_at is None:  # the clock is met by the first notice
        affected.notice_sent_at = sent_at
        affected.notice_sent_by = actor.user
        affected.notice_channel = channel
        affected.save(update_fields=["notice_sent_at", "notice_sent_by", "notice_channel"])
    record_audit_event(
        actor=actor,
        action="incident.notice_sent",
        target=affected.incident,
        district_id=affected.district_id,
        metadata={"channel": channel, "sent_at": sent_at.isoformat()},
    )


@transaction.atomic
def do_send_district_notice(affected: IncidentDistrict, *, actor: Actor):
    """Email the notice to the district's admins through the notifications engine (a required
    PRIVACY_NOTICE, in each language, queued after commit) and record it as sent."""
    from privacy.notices import do_queue_admin_notice, list_district_admin_ids

    district = affected.district
    if not list_district_admin_ids(district.id):
        raise ActionError(
            _("This district has no admin to email: print the notice and record how it was sent.")
        )
    url = settings.PUBLIC_BASE_URL + reverse(
        "privacy:district_incident", args=[affected.incident_id]
    )
    content = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            link = _("Read this notice in Engage: %(url)s") % {"url": url}
            content[language] = {
                "subject": notice_subject(affected),
                "body": f"{render_notice_text(affected)}\n\n{link}",
            }
    message = do_queue_admin_notice(
        district,
        content=content,
        source=("incident_notice", affected.id),
        author=actor.user,
        actor=actor,
    )
    _record_district_notice(
        affected, sent_at=timezone.now(), channel=IncidentDistrict.Channel.ENGAGE, actor=actor
    )
    return message


@transaction.atomic
def do_record_district_notice(
    affected: IncidentDistrict, *, sent_at: datetime.datetime | None = None, actor: Actor
) -> IncidentDistrict:
    """Record a notice the operator gave another way (printed, by phone, from their mailbox)."""
    sent_at = sent_at or timezone.now()
    if sent_at > timezone.now():
        raise ActionError(_("A notice cannot be recorded as sent in the future."))
    _record_district_notice(
        affected, sent_at=sent_at, channel=IncidentDistrict.Channel.OTHER, actor=actor
    )
    return affected


@transaction.atomic
def do_record_authority_notice(
    incident: Incident,
    *,
    reference: str,
    sent_at: datetime.datetime | None = None,
    actor: Actor,
) -> Incident:
    """Record that the supervisory authority was told (the 72-hour clock), and its reference."""
    sent_at = sent_at or timezone.now()
    if sent_at > timezone.now():
        raise ActionError(_("A notice cannot be recorded as sent in the future."))
    if not reference.strip():
        raise ActionError(_("Say which authority was told (and its case number, if any)."))
    incident.authority_notified_at = sent_at
    incident.authority_notified_by = actor.user
    incident.authority_reference = reference.strip()
    incident.updated_at = timezone.now()
    incident.save(
        update_fields=[
            "authority_notified_at",
            "authority_notified_by",
            "authority_reference",
            "updated_at",
        ]
    )
    record_audit_event(
        actor=actor,
        action="incident.authority_notified",
        target=incident,
        metadata={"sent_at": sent_at.isoformat()},
    )
    return incident
