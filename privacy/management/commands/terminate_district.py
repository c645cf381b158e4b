"""The end of a district's contract, for operators (PROMISES R8; privacy.districts.contract).

    manage.py terminate_district SLUG [--on YYYY-MM-DD]   record the end (today by default)
    manage.py terminate_district SLUG --cancel            undo it before disposal starts
    manage.py terminate_district SLUG --status            where it stands (or its certificate)

--on is a date in the district's time zone (the end is at its start); it may be past or ahead.
From the end the district is read-only and sends nothing; its people read and export until access
ends; then the daily "districts" job disposes of everything and emails the district's contact.
Exit status: 0 done, 2 bad arguments or a refused change.
"""

import datetime
import json
import zoneinfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from privacy.audit import Actor
from privacy.districts.contract import (
    do_cancel_termination,
    do_terminate_district,
    get_disposal_record,
    list_disposal_certificates,
)
from tenants.actions import ActionError
from tenants.models import District


class Command(BaseCommand):
    help = "Record (or cancel) the end of a district's contract, or show where it stands."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--on", metavar="YYYY-MM-DD", type=datetime.date.fromisoformat)
        parser.add_argument("--cancel", action="store_true")
        parser.add_argument("--status", action="store_true")

    def handle(self, *args, slug, on, cancel, status, **options):
        district = District.objects.filter(slug=slug).first()
        if status:
            return self._status(slug, district)
        if district is None:
            raise CommandError(f"No district with the slug {slug!r}.")
        try:
            if cancel:
                do_cancel_termination(district, actor=Actor.system())
                self.stdout.write(self.style.SUCCESS(f"The end of {slug}'s contract is cancelled."))
                return
            ended_at = timezone.now() if on is None else _start_of_day(on, district.timezone)
            district = do_terminate_district(district, ended_at=ended_at, actor=Actor.system())
        except ActionError as error:
            raise CommandError(str(error)) from error
        self._status(slug, district)

    def _status(self, slug: str, district: District | None) -> None:
        if district is None:
            certificate = list_disposal_certificates(slug).first()
            if certificate is None:
                raise CommandError(f"No district with the slug {slug!r}, and no certificate.")
            self.stdout.write(json.dumps(certificate.counts, indent=2))
            return
        if district.contract_ended_at is None:
            self.stdout.write(f"{slug}: under contract.")
            return
        record = get_disposal_record(district.id)
        for label, value in (
            ("contract ended", district.contract_ended_at),
            ("read and export until", district.access_ends_at),
            ("disposal due by", district.disposal_due_at),
        ):
            self.stdout.write(f"{slug}: {label} {value:%Y-%m-%d %H:%M %Z}")
        self.stdout.write(
            f"{slug}: reason {district.termination_reason}; disposal "
            + ("under way" if record else "not started")
        )


def _start_of_day(day: datetime.date, timezone_name: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zoneinfo.ZoneInfo(timezone_name))
