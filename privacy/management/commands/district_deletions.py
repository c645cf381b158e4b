"""School and district deletion requests, for operators (PROMISES R7; privacy.districts.requests).

    manage.py district_deletions list [--district SLUG]   open requests with their due dates
    manage.py district_deletions run REQUEST_ID           carry one out now (not at the next run)

`run` claims the request's clock as the daily job would, so the two never run it at once; a run
that stops half-way is resumed by the next `run` or daily job. Exit status: 0 done, 1 failed,
2 bad arguments.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from privacy.districts.requests import DELETION_KINDS, do_carry_out_now
from privacy.models import PrivacyRequest
from tenants.actions import ActionError


class Command(BaseCommand):
    help = "List or carry out school and district deletion requests."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list")
        listing.add_argument("--district", metavar="SLUG")
        run = sub.add_parser("run")
        run.add_argument("request_id", type=int)

    def handle(self, *args, action, **options):
        if action == "list":
            return self._list(options["district"])
        request = PrivacyRequest.objects.filter(
            id=options["request_id"], kind__in=DELETION_KINDS
        ).first()
        if request is None:
            raise CommandError(f"No deletion request {options['request_id']}.")
        try:
            outcome = do_carry_out_now(request)
        except ActionError as error:
            raise CommandError(str(error)) from error
        request.refresh_from_db()
        self.stdout.write(f"request {request.id}: {outcome}")
        self.stdout.write(json.dumps(request.certificate.get("counts", {}), indent=2))

    def _list(self, slug: str | None) -> None:
        requests = PrivacyRequest.objects.filter(
            kind__in=DELETION_KINDS, status=PrivacyRequest.Status.OPEN
        ).select_related("district", "school")
        if slug:
            requests = requests.filter(district__slug=slug)
        for request in requests.order_by("due_at", "id"):
            what = request.school.name if request.school else "all data"
            self.stdout.write(
                f"{request.id}  {request.district.slug}  {what}  due {request.due_at:%Y-%m-%d}"
            )
