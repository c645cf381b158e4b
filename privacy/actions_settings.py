"""Writes of the privacy console: a district's or a school's policy windows (validated and
audited), an answer to a privacy request, an erasure carried out now, and the record of an
audit-log export.

Changing a window never moves clocks already running (timers, due dates of open requests,
restore deadlines): each clock took its due date from the policy in force when it started, and
new clocks use the new value. That keeps a promise made to a family (the date they were told)
from moving under them.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.audit import Actor, record_audit_event
from privacy.erasure import do_erase_family
from privacy.models import PrivacyRequest, PrivacySettings
from privacy.policy import WINDOWS_BY_NAME, validate_values
from privacy.queries import get_policy
from privacy.requests import do_complete_request
from tenants.actions import ActionError
from tenants.models import District, School


def stored_values(values: dict[str, int | None], *, is_school: bool) -> dict[str, int]:
    """What is kept in PrivacySettings.values: for a district, the windows that differ from the
    platform's default (a changed default then reaches it); for a school, the windows it set
    (None or missing: it follows the district)."""
    if is_school:
        return {name: value for name, value in values.items() if value is not None}
    return {
        name: value
        for name, value in values.items()
        if value is not None
        and (name not in WINDOWS_BY_NAME or value != WINDOWS_BY_NAME[name].default)
    }


@transaction.atomic
def do_update_policy_settings(
    district: District,
    *,
    school: School | None = None,
    values: dict[str, int | None],
    actor: Actor,
) -> PrivacySettings | None:
    """Set the district's windows (school None) or the school's tightening of them.

    Raises PolicyError ({window: reason}) for a value outside the platform's bounds or, for a
    school, looser than its district's. Returns the settings row, or None when nothing changed
    (nothing written, nothing audited). Audited as `privacy_settings.updated` with the stored
    values before and after.
    """
    if school is not None and school.district_id != district.id:
        raise ActionError(_("That school belongs to another district."))
    new = stored_values(values, is_school=school is not None)
    parent = get_policy(district.id).values if school is not None else None
    validate_values(new, parent=parent)
    row = _locked_settings(district, school)
    old = dict(row.values) if row else {}
    if old == new:
        return None
    if row is None:
        row, _created = PrivacySettings.objects.get_or_create(
            district_id=district.id, school_id=school.id if school else None
        )
    row.values = new
    row.updated_by = actor.user
    row.updated_at = timezone.now()
    row.save(update_fields=["values", "updated_by", "updated_at"])
    record_audit_event(
        actor=actor,
        action="privacy_settings.updated",
        target=row,
        metadata={"old": old, "new": new},
    )
    return row


def _locked_settings(district: District, school: School | None) -> PrivacySettings | None:
    """The settings row of the district (or school), locked, or None while there is none."""
    return (
        PrivacySettings.objects.select_for_update()
        .filter(district_id=district.id, school_id=school.id if school else None)
        .first()
    )


# Kinds a school answers in words; an erasure is done by carrying it out (privacy.erasure),
# a school's or district's deletion by the deletion process, never by a click here.
ANSWERABLE_AS_DONE = frozenset(
    {
        PrivacyRequest.Kind.ACCESS,
        PrivacyRequest.Kind.CORRECTION,
        PrivacyRequest.Kind.RESTRICTION,
        PrivacyRequest.Kind.CLOSURE,
    }
)


@transaction.atomic
def do_answer_request(
    request: PrivacyRequest, *, status: str, response: str, actor: Actor
) -> PrivacyRequest:
    """The school closes a request as done (saying what it did) or declined (saying why).

    The row is locked first, so two admins answering at once cannot both close it: the second
    gets ActionError ("already closed"). Erasure is carried out by privacy.erasure, never
    marked done here; a deletion request is only declined here."""
    request = PrivacyRequest.objects.select_for_update().get(id=request.id)
    if status == PrivacyRequest.Status.DONE and request.kind not in ANSWERABLE_AS_DONE:
        raise ActionError(_("This kind of request is carried out, not marked as done."))
    if request.kind == PrivacyRequest.Kind.CORRECTION and not response.strip():
        raise ActionError(_("Tell the family what was changed, or why not."))
    return do_complete_request(request, status=status, response=response, actor=actor)


@transaction.atomic
def do_erase_now(request: PrivacyRequest, *, school: School | None, actor: Actor) -> dict:
    """Carry out a request to be forgotten from the console, now rather than at the next run.

    A family's request is district-wide (no school), and a school admin sees it through the
    family's links to the school's children, which the erasure deletes: the request is first
    put on the school that carries it out, so that school keeps its answer and certificate."""
    if school is not None:
        PrivacyRequest.objects.filter(id=request.id, school__isnull=True).update(school=school)
    return do_erase_family(request, actor=actor)


@transaction.atomic
def do_record_audit_export(
    district: District, *, school: School | None, filters: dict, actor: Actor
) -> None:
    """Reading the security log out of Engage is itself recorded (S3), in the log it read."""
    record_audit_event(
        actor=actor,
        action="audit_log.exported",
        target=district,
        school_id=school.id if school else None,
        metadata=filters,
    )
