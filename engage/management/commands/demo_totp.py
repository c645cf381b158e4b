"""Print the current two-factor code of a demo admin, so the demo needs no authenticator app.

Reads a stored TOTP secret, so it refuses to run unless settings.DEBUG is on (local demo only).
"""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo admin (local development only, DEBUG=True)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="the admin's email address")

    def handle(self, *args, email: str, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp only runs in local development (DEBUG=True).")
        # Local demo only (DEBUG): a lookup by the person's own sign-in, not tenant data.
        authenticator = (
            Authenticator.objects.filter(
                user__email__iexact=email.strip(), type=Authenticator.Type.TOTP
            )
            .select_related("user")
            .first()
        )
        if authenticator is None:
            raise CommandError(f"No two-factor authenticator is set up for {email}.")
        secret = decrypt(authenticator.data["secret"])
        now = int(time.time())
        period = mfa_settings.TOTP_PERIOD
        code = format_hotp_value(hotp_value(secret, now // period))
        self.stdout.write(code)
        self.stderr.write(f"valid for {period - now % period} more seconds")
