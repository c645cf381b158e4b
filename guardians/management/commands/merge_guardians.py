"""manage.py merge_guardians --keep ID --merge ID: one person who had two guardian accounts."""

from django.core.management.base import BaseCommand, CommandError

from guardians.actions.households import do_merge_guardians
from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.models import User


class Command(BaseCommand):
    help = "Merge the guardian account --merge into --keep (both histories stay readable)."

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, required=True, help="user id that stays")
        parser.add_argument("--merge", type=int, required=True, help="user id merged and closed")

    def handle(self, *args, **options):
        users = User.objects.in_bulk([options["keep"], options["merge"]])
        missing = [i for i in (options["keep"], options["merge"]) if i not in users]
        if missing:
            raise CommandError(f"no user with id {missing[0]}")
        try:
            kept = do_merge_guardians(
                users[options["keep"]], users[options["merge"]], actor=Actor.system()
            )
        except ActionError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Merged user {options['merge']} into user {kept.id}.")
