"""The end of a district's contract (PROMISES R8), and its disposal.

What. An operator records the end (`manage.py terminate_district SLUG [--on DATE]` or the
Django admin's action), or the backstop does (R9, backstop.py). `do_terminate_district` writes
the dates on the District row from the district's policy (access ends termination_access_days
after the end; disposal is due termination_disposal_days after that) and sets two clocks:
"contract_end" (at the end: stop sending) and "disposal" (when access ends). From the end the
district is read-only (readonly.py) and sends nothing: messages and deliveries due after the end
are cancelled when the end is recorded and again when it comes, and do_queue_message creates
none (readonly.is_sending_stopped).

Disposal (`dispose_of_district`) deletes everything of the district with the deletion engine,
files and the accounts no other district holds included. Its progress, then its certificate, is
kept in a platform-level RetentionRun (job "district_disposal", district NULL): a row that names
the district by foreign key would go with it.

Why the notice goes straight to the email provider, after the data is gone: the district's admins
are deleted with it; a queued message is a row of the district, deleted before it is sent (and
refused anyway: the district sends nothing); and the notice carries the certificate, which
exists only once everything is gone. So the addresses (the district's contact_email, else its
privacy admins') are captured on the platform record when disposal starts; once the data is gone
the email is sent, `notified_at` recorded and the addresses dropped from the record; only then
does the District row itself go. A provider error raises: the timer retries later while the
empty district row waits. A crash between the send and its record may send it twice: better than
never.

Safe to re-run: the engine resumes from the record; the notice is sent unless recorded; the last
step deletes what is left. The "districts" job must stay the last of a district's jobs in
privacy.jobs.JOBS: after it the district may be gone.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engage.versioned_cache import bump
from notifications.models import Channel, Delivery, Message
from privacy.audit import Actor, record_audit_event
from privacy.districts.deletion import (
    DeletionRun,
    Ledger,
    Target,
    certificate_body,
    district_admin_roles,
    iso,
)
from privacy.districts.readonly import has_contract_ended, is_access_over, local_datetime
from privacy.journal import DISTRICT_DISPOSED, record_on_commit
from privacy.models import LifecycleTimer, RetentionRun
from privacy.queries import get_policy
from privacy.timers import cancel_timers, set_timer
from tenants.actions import ActionError
from tenants.cache_keys import district_dependency
from tenants.models import District, Membership

logger = logging.getLogger(__name__)
CONTRACT_END = "tenants.district:contract_end"
DISPOSAL = "tenants.district:disposal"
DISPOSAL_JOB = "district_disposal"
REASON_CONTRACT, REASON_INACTIVE = "contract", "inactive"


@transaction.atomic
def do_terminate_district(
    district: District,
    *,
    ended_at: datetime.datetime,
    actor: Actor,
    reason: str = REASON_CONTRACT,
    now: datetime.datetime | None = None,
) -> District:
    """Record the end of the district's contract (now or on a later or earlier date)."""
    now = now or timezone.now()
    district = District.objects.select_for_update().get(id=district.id)
    if district.contract_ended_at is not None:
        raise ActionError(
            f"The contract of {district.slug} already ended on {district.contract_ended_at:%Y-%m-%d}."
        )
    policy = get_policy(district.id)
    district.contract_ended_at = ended_at
    district.access_ends_at = policy.after("termination_access_days", ended_at)
    district.disposal_due_at = policy.after("termination_disposal_days", district.access_ends_at)
    district.termination_reason = reason
    district.save(
        update_fields=[
            "contract_ended_at",
            "access_ends_at",
            "disposal_due_at",
            "termination_reason",
        ]
    )
    set_contract_clocks(district)
    stopped = stop_sending(district, now=now)
    record_audit_event(
        actor=actor,
        action="district.contract_ended",
        target=district,
        metadata={
            "reason": reason,
            "ended": iso(ended_at),
            "access_ends": iso(district.access_ends_at),
            "disposal_due": iso(district.disposal_due_at),
            **stopped,
        },
    )
    bump(district_dependency(district.id))  # cached scopes carry the district's row
    return district


def set_contract_clocks(district: District) -> None:
    """The district's two clocks: stop sending at the end, dispose when access ends."""
    for subject_type, due_at in (
        (CONTRACT_END, district.contract_ended_at),
        (DISPOSAL, district.access_ends_at),
    ):
        set_timer(
            kind=LifecycleTimer.Kind.REQUEST_DUE,
            subject=(subject_type, district.id),
            due_at=due_at,
            district_id=district.id,
        )


@transaction.atomic
def do_cancel_termination(district: District, *, actor: Actor) -> District:
    """Undo a termination recorded by mistake (or a backstop a district answered), as long as
    disposal has not started. Messages cancelled meanwhile stay cancelled."""
    district = District.objects.select_for_update().get(id=district.id)
    if district.contract_ended_at is None:
        raise ActionError(f"The contract of {district.slug} has not ended.")
    if get_disposal_record(district.id) is not None:
        raise ActionError(f"The disposal of {district.slug} has started; it cannot be undone.")
    for subject_type in (CONTRACT_END, DISPOSAL):
        cancel_timers(subject=(subject_type, district.id))
    district.contract_ended_at = district.access_ends_at = district.disposal_due_at = None
    district.termination_reason = ""
    district.save(
        update_fields=[
            "contract_ended_at",
            "access_ends_at",
            "disposal_due_at",
            "termination_reason",
        ]
    )
    record_audit_event(actor=actor, action="district.termination_cancelled", target=district)
    bump(district_dependency(district.id))
    return district


def stop_sending(district: District, *, now: datetime.datetime) -> dict[str, int]:
    """Cancel what would go out at or after the contract's end: all of it once the end came."""
    end = district.contract_ended_at
    messages = Message.objects.filter(district_id=district.id)
    deliveries = Delivery.objects.filter(
        district_id=district.id, status__in=[Delivery.Status.PENDING, Delivery.Status.HELD]
    )
    if now >= end:
        messages = messages.filter(status__in=[Message.Status.SCHEDULED, Message.Status.QUEUED])
    else:
        messages = messages.filter(status=Message.Status.SCHEDULED, scheduled_for__gte=end)
        deliveries = deliveries.filter(not_before__gte=end)
    return {
        "messages_cancelled": messages.update(status=Message.Status.CANCELLED),
        "deliveries_cancelled": deliveries.update(status=Delivery.Status.CANCELLED, updated_at=now),
    }


# --- the clocks' handlers (dispatched by jobs.DUE_HANDLERS) ---------------------------------------


def run_contract_end(timer: LifecycleTimer, now: datetime.datetime) -> str:
    district = District.objects.filter(id=timer.subject_id).first()
    if district is None or not has_contract_ended(district, now):
        return "skipped"
    with transaction.atomic():
        stop_sending(district, now=now)
    return "stopped"


def run_disposal(timer: LifecycleTimer, now: datetime.datetime) -> str:
    district = District.objects.filter(id=timer.subject_id).first()
    if district is None:
        return "gone"
    if not is_access_over(district, now):
        return "skipped"  # the termination was cancelled
    dispose_of_district(district, now=now)
    return "disposed"


# --- disposal -----------------------------------------------------------------------------------


def get_disposal_record(district_id: int) -> RetentionRun | None:
    """The platform-level record of the district's disposal under way (None before it starts)."""
    return RetentionRun.objects.filter(
        job=DISPOSAL_JOB,
        district__isnull=True,
        outcome=RetentionRun.Outcome.RUNNING,
        counts__district__id=district_id,
    ).first()


def list_disposal_certificates(slug: str | None = None):
    """Finished disposals, newest first: the certificates kept after the districts went."""
    records = RetentionRun.objects.filter(
        job=DISPOSAL_JOB, district__isnull=True, outcome=RetentionRun.Outcome.SUCCEEDED
    ).order_by("-finished_at", "-id")
    return records.filter(counts__district__slug=slug) if slug else records


def dispose_of_district(district: District, *, now: datetime.datetime, job: str = "districts"):
    """Delete everything of a district whose access ended, notify, remove the row (module)."""
    record = get_disposal_record(district.id) or _start_record(district, now=now)
    ledger = Ledger(RetentionRun, record.id, "counts")
    DeletionRun(Target.disposal(district.id), ledger).run()
    if not ledger.data.get("notified_at"):
        _send_notice(district, ledger, record.id)
    _remove_district(district, ledger, record.id, job=job)


def _start_record(district: District, *, now: datetime.datetime) -> RetentionRun:
    addresses = [district.contact_email] if district.contact_email else _admin_addresses(district)
    return RetentionRun.objects.create(
        job=DISPOSAL_JOB,
        district=None,
        counts={
            "district": {"id": district.id, "name": district.name, "slug": district.slug},
            "reason": district.termination_reason,
            "contract_ended_at": iso(district.contract_ended_at),
            "access_ended_at": iso(district.access_ends_at),
            "disposal_due_at": iso(district.disposal_due_at),
            "notify_to": addresses,
            "progress": {"started_at": iso(now)},
        },
        started_at=now,
    )


def _admin_addresses(district: District) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(
                district_id=district.id,
                is_active=True,
                role__in=district_admin_roles(),
                user__email__isnull=False,
            ).values_list("user__email", flat=True)
        )
    )


def _send_notice(district: District, ledger: Ledger, record_id: int) -> None:
    """The notice with the certificate, straight through the email provider (module)."""
    from notifications.providers import get_email_provider
    from notifications.providers.base import OutgoingMessage

    addresses = ledger.data.get("notify_to") or []
    if not addresses:
        logger.warning("privacy.disposal.nobody_to_notify", extra={"record_id": record_id})
    subject, body = disposal_notice(district, ledger.data, record_id)
    provider = get_email_provider()
    for index, address in enumerate(addresses):
        provider.send(
            OutgoingMessage(
                reference=f"disposal-{record_id}-{index}",
                channel=Channel.EMAIL,
                to=address,
                subject=subject,
                body=body,
            )
        )
    ledger.data["notified_at"] = iso(timezone.now())
    ledger.data["notified"] = len(addresses)
    ledger.data.pop("notify_to", None)
    with transaction.atomic():
        ledger.checkpoint()


def disposal_notice(district: District, data: dict, record_id: int) -> tuple[str, str]:
    """(subject, body) of the notice, in the district's language: the certificate in words."""
    from django.apps import apps

    from privacy.classification import Category

    body = certificate_body(data["progress"])
    with translation.override(district.default_language):
        values = {
            "district": district.name,
            "ended": local_datetime(district, district.contract_ended_at),
            "access": local_datetime(district, district.access_ends_at),
            "now": local_datetime(district, timezone.now()),
        }
        lines = [
            _(
                "The contract of %(district)s with Engage ended on %(ended)s; access ended on "
                "%(access)s. As agreed, all of the district's data has now been deleted (%(now)s), "
                "including its files and the accounts of people who belonged to no other "
                "district."
            )
            % values,
            "",
            _("Deletion certificate %(reference)s") % {"reference": f"D-{record_id}"},
            _("Records deleted, by kind:"),
        ]
        for label, count in body["counts"].items():
            try:
                name = str(apps.get_model(label)._meta.verbose_name_plural)
            except (LookupError, ValueError):
                name = label
            lines.append(f"  {name}: {count}")
        lines.append(_("Personal data deleted, by category (records):"))
        lines.extend(
            f"  {Category(category).label}: {count}"
            for category, count in body["category_counts"].items()
        )
        lines += [
            _("Files deleted: %(n)s") % {"n": body["files"]},
            _(
                "Accounts deleted: %(deleted)s; kept because they belong to another district: "
                "%(kept)s"
            )
            % {"deleted": body["accounts_deleted"], "kept": body["accounts_kept"]},
            "",
            _(
                "This certificate holds counts only, no content. Engage keeps it; the district's own "
                "record is removed last."
            ),
        ]
        subject = _("Engage: the data of %(district)s has been deleted") % values
    return subject, "\n".join(lines)


@transaction.atomic
def _remove_district(district: District, ledger: Ledger, record_id: int, *, job: str) -> None:
    """Last step: the district's run records, clocks and row; the certificate is final."""
    # The run recording this very job outlives the district, as a platform row.
    RetentionRun.objects.filter(
        district_id=district.id, outcome=RetentionRun.Outcome.RUNNING
    ).update(district=None)
    for rows in (
        RetentionRun.objects.filter(district_id=district.id),
        LifecycleTimer.objects.filter(district_id=district.id),
        District.objects.filter(id=district.id),
    ):
        ledger.add(rows.delete()[1])
    now = timezone.now()
    certificate = {
        key: value for key, value in ledger.data.items() if key not in ("progress", "notify_to")
    }
    certificate |= {
        "started_at": ledger.progress.get("started_at"),
        "completed_at": iso(now),
        "job": job,
        **certificate_body(ledger.progress),
    }
    RetentionRun.objects.filter(id=record_id).update(
        counts=certificate, outcome=RetentionRun.Outcome.SUCCEEDED, finished_at=now
    )
    record = RetentionRun.objects.get(id=record_id)
    record_audit_event(
        actor=Actor.system(),
        action="district.disposed",
        target=record,
        metadata={"district": district.slug, "rows": sum(certificate["counts"].values())},
    )
    logger.info("privacy.district.disposed", extra={"district_id": district.id})
    record_on_commit(DISTRICT_DISPOSED, district_id=district.id)  # privacy.journal
    bump(district_dependency(district.id))
