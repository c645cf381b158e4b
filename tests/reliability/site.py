"""Prepare a fault site's database (run in a child process by servers.prepare_site):

    python -m tests.reliability.site <guardians>

migrates the database of DATABASE_URL, seeds the tiny bench district and prints, as the last
line, JSON: one {"cookie", "csrf", "child_id"} per signed-in guardian.
"""

import json
import sys


def main(guardians: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from engage.bench.http import create_session_cookie
    from engage.bench.seed import get_or_seed_bench_data, guardian_email
    from guardians.models import GuardianLink
    from tenants.models import Role, User

    call_command("migrate", interactive=False, verbosity=0)
    data = get_or_seed_bench_data("tiny", write=lambda line: None)
    prepared = []
    for family in range(guardians):
        guardian = User.objects.get(email=guardian_email(family, 1))
        link = GuardianLink.objects.filter(guardian=guardian, district=data.district).first()
        cookie, _ = create_session_cookie(guardian, role=Role.GUARDIAN)
        csrf = cookie.rpartition(f"{settings.CSRF_COOKIE_NAME}=")[2]
        prepared.append({"cookie": cookie, "csrf": csrf, "child_id": link.child_id})
    print(json.dumps(prepared))


if __name__ == "__main__":
    main(int(sys.argv[1]))
