"""Single sign-on per district, end to end against a local OpenID Connect provider.

The browser is played by the Django test client (Engage's side) and `requests` (the provider's
side): POST to the provider login URL, follow its redirect to the fake's /authorize, then GET
the callback it redirects back to. allauth talks to the fake's /token and /userinfo over HTTP on
127.0.0.1, as it would to a real provider.
"""

from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp

from privacy.models import AuditEvent
from tenants.auth import NOT_SET_UP_MESSAGE, NOT_VERIFIED_MESSAGE
from tenants.models import DistrictSignInProvider
from tenants.sso import (
    do_add_district_sign_in_provider,
    list_sign_in_options,
    list_sign_in_providers_for_district_slug,
)
from tests.fakes.oidc import FakeOIDCProvider
from tests.world import PASSWORD, SYSTEM

PROVIDER_ID = "lakeside-id"
LOGIN_URL = f"/accounts/oidc/{PROVIDER_ID}/login/"
CALLBACK_PATH = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"
TOM = {"sub": "lk-0001", "email": "tom@example.org", "email_verified": True, "name": "Tom Turner"}


@pytest.fixture
def idp(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # never send the local fake through a proxy
    provider = FakeOIDCProvider(client_id="engage-lakeside", client_secret="lakeside-secret")
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def lakeside_app(idp, world):
    """Lakeside's own identity provider, offered on Lakeside's sign-in page."""
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=PROVIDER_ID,
        name="Lakeside ID",
        client_id=idp.client_id,
        secret=idp.client_secret,
        settings={"server_url": idp.base_url, "oauth_pkce_enabled": True},
    )
    do_add_district_sign_in_provider(world.lakeside, social_app=app, actor=SYSTEM)
    return app


def sign_in_through_idp(client, idp, identity: dict, process: str = "login"):
    """Run the authorization-code flow; returns Engage's answer to the provider's callback."""
    idp.identity = identity
    response = client.post(LOGIN_URL, {"process": process})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{idp.base_url}/authorize?")
    approved = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert approved.status_code == 302
    callback = urlsplit(approved.headers["Location"])
    assert (
        f"{callback.scheme}://{callback.netloc}{callback.path}"
        == f"http://testserver{CALLBACK_PATH}"
    )
    return client.get(f"{callback.path}?{callback.query}")


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def assert_refused(client, response, message) -> None:
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert signed_in_user_id(client) is None
    page = client.get("/accounts/login/")
    assert str(message) in page.content.decode()
    assert SocialAccount.objects.count() == 0


def test_rostered_person_signs_in_with_their_district_provider(client, world, idp, lakeside_app):
    response = sign_in_through_idp(client, idp, TOM)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == world.tom.id
    assert client.get("/")["Location"] == "/teach/"
    account = SocialAccount.objects.get()
    assert (account.provider, account.uid) == (PROVIDER_ID, "lk-0001")
    assert account.user_id == world.tom.id
    event = AuditEvent.objects.get(action="user.sso_connected")
    assert (event.actor_id, event.target_id, event.district_id) == (
        world.tom.id,
        str(world.tom.id),
        None,
    )
    assert event.metadata == {"provider": PROVIDER_ID}
    assert idp.requests == [
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/authorize"),
        ("GET", "/.well-known/openid-configuration"),
        ("POST", "/token"),
        ("GET", "/userinfo"),
    ]


def test_a_connected_identity_signs_in_again_without_connecting_twice(
    client, world, idp, lakeside_app
):
    sign_in_through_idp(client, idp, TOM)
    client.post("/accounts/logout/")
    assert signed_in_user_id(client) is None

    response = sign_in_through_idp(client, idp, {**TOM, "email": "t.turner@example.org"})

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == world.tom.id
    assert SocialAccount.objects.count() == 1
    assert AuditEvent.objects.filter(action="user.sso_connected").count() == 1


def test_unknown_email_is_refused_and_nobody_is_created(
    client, world, idp, lakeside_app, django_user_model
):
    people = django_user_model.objects.count()

    response = sign_in_through_idp(client, idp, {**TOM, "email": "stranger@example.org"})

    assert_refused(client, response, NOT_SET_UP_MESSAGE)
    assert django_user_model.objects.count() == people


def test_email_the_provider_did_not_verify_is_refused(client, world, idp, lakeside_app):
    response = sign_in_through_idp(client, idp, {**TOM, "email_verified": False})

    assert_refused(client, response, NOT_VERIFIED_MESSAGE)


def test_person_of_another_district_is_refused(client, world, idp, lakeside_app):
    hugo = {"sub": "lk-0099", "email": "hugo@example.org", "email_verified": True}

    response = sign_in_through_idp(client, idp, hugo)

    assert_refused(client, response, NOT_SET_UP_MESSAGE)


def test_inactive_person_is_refused(client, world, idp, lakeside_app, django_user_model):
    django_user_model.objects.filter(id=world.tom.id).update(is_active=False)

    response = sign_in_through_idp(client, idp, TOM)

    assert_refused(client, response, NOT_SET_UP_MESSAGE)


@pytest.mark.parametrize(
    ("email_domain", "is_accepted"),
    [("", True), ("example.org", True), ("EXAMPLE.org", True), ("lakeside.org", False)],
)
def test_email_domain_of_a_district_provider_limits_who_may_use_it(
    client, world, idp, lakeside_app, email_domain, is_accepted
):
    DistrictSignInProvider.objects.filter(social_app=lakeside_app).update(email_domain=email_domain)

    response = sign_in_through_idp(client, idp, TOM)

    assert response["Location"] == ("/" if is_accepted else "/accounts/login/")
    assert signed_in_user_id(client) == (world.tom.id if is_accepted else None)


def test_turning_a_provider_off_refuses_identities_already_connected(
    client, world, idp, lakeside_app
):
    sign_in_through_idp(client, idp, TOM)
    client.post("/accounts/logout/")
    DistrictSignInProvider.objects.filter(social_app=lakeside_app).update(is_enabled=False)

    response = sign_in_through_idp(client, idp, TOM)

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert signed_in_user_id(client) is None
    assert str(NOT_SET_UP_MESSAGE) in client.get("/accounts/login/").content.decode()


def test_admin_signing_in_with_sso_must_still_set_up_two_factor(client, world, idp, lakeside_app):
    dana = {"sub": "lk-0002", "email": "dana@example.org", "email_verified": True}

    response = sign_in_through_idp(client, idp, dana)

    assert (response.status_code, response["Location"]) == (302, "/")
    assert signed_in_user_id(client) == world.dana.id
    assert client.get("/")["Location"] == "/accounts/2fa/totp/activate/"


def test_signed_in_person_may_connect_a_provider_their_district_offers(
    client, world, idp, lakeside_app
):
    client.post("/accounts/login/", {"login": "tom@example.org", "password": PASSWORD})
    other_email = {**TOM, "email": "tom.turner@lakeside.example"}

    response = sign_in_through_idp(client, idp, other_email, process="connect")

    assert (response.status_code, response["Location"]) == (302, "/accounts/3rdparty/")
    account = SocialAccount.objects.get()
    assert (account.provider, account.uid) == (PROVIDER_ID, "lk-0001")
    assert account.user_id == world.tom.id


def test_connecting_a_provider_another_district_offers_is_refused(client, world, idp, lakeside_app):
    client.post("/accounts/login/", {"login": "hugo@example.org", "password": PASSWORD})
    hugo = {"sub": "lk-0099", "email": "hugo@example.org", "email_verified": True}

    response = sign_in_through_idp(client, idp, hugo, process="connect")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")
    assert SocialAccount.objects.count() == 0


# --- Which buttons the sign-in page shows -------------------------------------------------


@pytest.fixture
def google_for_hillcrest(world):
    app = SocialApp.objects.create(
        provider="google", name="Google", client_id="google-client", secret="google-secret"
    )
    do_add_district_sign_in_provider(world.hillcrest, social_app=app, actor=SYSTEM)
    return app


def sso_buttons(client, query: str) -> list[tuple[str, str]]:
    """(form action, button text) of each single sign-on form on the sign-in page."""
    html = client.get(f"/accounts/login/{query}").content.decode()
    section = html.partition('<h2 id="sso-heading">')[2].partition("</section>")[0]
    actions = [part.partition('"')[0] for part in section.split('action="')[1:]]
    labels = [part.partition("</button>")[0] for part in section.split('type="submit">')[1:]]
    return list(zip(actions, labels, strict=True))


def test_a_district_provider_is_listed_only_on_that_district_sign_in_page(
    client, world, lakeside_app, google_for_hillcrest
):
    assert sso_buttons(client, "?district=lakeside") == [
        ("/accounts/oidc/lakeside-id/login/", "Continue with Lakeside ID")
    ]
    assert sso_buttons(client, "?district=hillcrest") == [
        ("/accounts/google/login/", "Continue with Google")
    ]
    assert sso_buttons(client, "") == []
    assert sso_buttons(client, "?district=nowhere") == []


def test_disabled_provider_and_inactive_district_are_not_listed(
    client, world, lakeside_app, google_for_hillcrest
):
    DistrictSignInProvider.objects.filter(social_app=lakeside_app).update(is_enabled=False)
    world.hillcrest.is_active = False
    world.hillcrest.save(update_fields=["is_active"])

    assert sso_buttons(client, "?district=lakeside") == []
    assert sso_buttons(client, "?district=hillcrest") == []


def test_listing_a_district_providers_is_one_query(
    rf, world, lakeside_app, google_for_hillcrest, assert_num_queries
):
    second = SocialApp.objects.create(provider="google", name="Another Google", client_id="g2")
    do_add_district_sign_in_provider(world.lakeside, social_app=second, actor=SYSTEM)

    with assert_num_queries(1):
        options = list_sign_in_options(rf.get("/accounts/login/"), "lakeside")

    assert [(o.name, o.login_url) for o in options] == [
        ("Another Google", "/accounts/google/login/"),
        ("Lakeside ID", "/accounts/oidc/lakeside-id/login/"),
    ]
    assert list_sign_in_providers_for_district_slug("").count() == 0


def test_adding_a_provider_twice_keeps_one_row_and_one_audit_event(world, lakeside_app):
    again = do_add_district_sign_in_provider(
        world.lakeside, social_app=lakeside_app, email_domain="x.org", actor=SYSTEM
    )

    assert DistrictSignInProvider.objects.filter(district=world.lakeside).count() == 1
    assert again.email_domain == ""
    assert AuditEvent.objects.filter(action="district.sign_in_provider_added").count() == 1
