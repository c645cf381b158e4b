"""Two-factor for school and district admins, across the whole site and every way in.

tests/tenants/test_two_factor.py walks the setup itself; this sweep holds an admin without an
authenticator to the setup page on every route Engage serves (pages, API, files, every method),
and checks that no sign-in path (password, a one-time code by email) skips the second factor of
an admin who has one.
"""

import pytest

from notifications.models import OutboxEntry
from tenants.checks import is_our_view, iter_url_patterns
from tenants.middleware import TWO_FACTOR_SETUP_PREFIXES
from tests.tenants import test_cross_tenant_sweep as sweep
from tests.tenants.test_auth import CONFIRM_CODE_URL, REQUEST_CODE_URL, outbox_mail, sent_code
from tests.tenants.test_two_factor import (
    ACTIVATE_URL,
    AUTHENTICATE_URL,
    TOTP_STEP,
    activate_totp,
    frozen,
    sign_in_with_password,
)

__all__ = ["frozen", "outbox_mail"]


def every_route(world) -> list[tuple[str, str]]:
    """(method, URL) of every route of ours, ids filled with the world's objects."""
    found = []
    for _route, pattern, name in iter_url_patterns():
        if name is None or not is_our_view(pattern.callback):
            continue
        url = sweep.route_url(world, name, pattern)
        found += [(method, url) for method in sweep.route_methods(name, pattern)]
    return found


@pytest.mark.parametrize("key", ["priya", "dana"])
def test_admin_without_totp_reaches_nothing_but_the_setup(client, world, key):
    sign_in_with_password(client, key)
    routes = every_route(world)
    answers = {
        (method, url): getattr(client, method.lower())(url)
        for method, url in routes
        if not url.startswith(TWO_FACTOR_SETUP_PREFIXES)
    }
    assert len(answers) >= 150  # every method of every route but sign-in, setup and health
    not_sent = {
        route: answer.status_code
        for route, answer in answers.items()
        if (answer.status_code, answer.get("Location")) != (302, ACTIVATE_URL)
    }
    # Provider webhooks and the unsubscribe link are for machines and mail clients, signed or
    # tokened, and sign no one in: they answer as they would to anyone.
    assert not_sent == {}


def test_a_sign_in_code_does_not_skip_an_admins_second_factor(client, world, frozen, outbox_mail):
    sign_in_with_password(client, "priya")
    activate_totp(client)
    client.post("/accounts/logout/")
    frozen.shift(TOTP_STEP)

    client.post(REQUEST_CODE_URL, {"email": world.priya.email})
    (mail,) = OutboxEntry.objects.filter(to=world.priya.email)
    response = client.post(CONFIRM_CODE_URL, {"code": sent_code(mail)})

    assert (response.status_code, response["Location"]) == (302, AUTHENTICATE_URL)
    assert "_auth_user_id" not in client.session
    assert client.get("/school/")["Location"] == "/accounts/login/?next=/school/"
