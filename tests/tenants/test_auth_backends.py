"""The signed-in person comes from the versioned cache and is never stale (tenants.auth_backends).

A deactivation, a password change, a new name or language and a new role all show on the person's
very next request, whichever code path saved the row.
"""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import cache
from django.test import Client

from engage import versioned_cache
from tenants.actions import do_add_membership, do_revoke_membership, do_set_preferred_language
from tenants.auth_backends import AuthenticationBackend, get_cached_user
from tenants.cache_keys import user_dependency
from tenants.models import Membership, Role, User
from tenants.scope import list_scopes_for_user
from tests.counts import SESSION_QUERIES
from tests.world import PASSWORD, SYSTEM

OUR_BACKEND = "tenants.auth_backends.AuthenticationBackend"
ALLAUTH_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def test_the_cached_user_is_the_row_and_costs_no_query_once_cached(world, assert_num_queries):
    with assert_num_queries(2):  # the user, then their memberships (their scopes)
        cached = get_cached_user(world.tom.id)
    assert _fields(cached) == _fields(User.objects.get(id=world.tom.id))
    with assert_num_queries(0):
        again = get_cached_user(str(world.tom.id))  # the session holds the id as a string
    assert again is not cached and _fields(again) == _fields(cached)
    assert AuthenticationBackend().get_user(world.tom.id).email == "tom@example.org"


def test_a_signed_in_request_reads_the_person_and_their_scopes_from_the_cache(
    world, client, login, assert_num_queries
):
    login(world.tom, role=Role.TEACHER)
    cache.clear()
    with assert_num_queries(3):  # the session, the user and their memberships
        assert client.get("/healthz").status_code == 200
    with assert_num_queries(SESSION_QUERIES):
        assert client.get("/healthz").status_code == 200


def test_deactivation_signs_the_person_out_on_their_next_request(world, client, login):
    login(world.ana)
    assert client.get("/family/").status_code == 200
    world.ana.is_active = False
    world.ana.save(update_fields=["is_active"])  # as the admin does
    response = client.get("/family/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/family/")


def test_a_password_change_signs_out_every_other_session(world, client, login):
    login(world.tom, role=Role.TEACHER)
    other = Client()
    other.post("/accounts/login/", {"login": "tom@example.org", "password": PASSWORD})
    assert client.get("/teach/").status_code == 200
    assert other.get("/teach/").status_code == 200

    new_password = "a brand new passphrase"
    response = other.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302

    assert other.get("/teach/").status_code == 200  # the session that changed it stays
    response = client.get("/teach/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/teach/")


def test_a_password_set_outside_allauth_signs_the_person_out(world, client, login):
    """`manage.py changepassword` and the admin save the row like this."""
    login(world.tom, role=Role.TEACHER)
    assert client.get("/teach/").status_code == 200
    user = User.objects.get(id=world.tom.id)
    user.set_password("another passphrase entirely")
    user.save()
    assert client.get("/teach/").status_code == 302


def test_a_deleted_person_is_signed_out(world, client, assert_num_queries):
    user = User.objects.create_user(email="brief@example.org", password=PASSWORD)
    client.force_login(user)
    assert client.get("/healthz").status_code == 200
    assert get_cached_user(user.id) is not None
    user.delete()
    assert get_cached_user(user.id) is None
    assert client.get("/").status_code == 302  # the landing page sends anonymous people to sign in


def test_a_new_name_and_language_show_on_the_next_page(world, client, login):
    login(world.ana)
    assert "Hola, Ana" in client.get("/family/").text
    world.ana.first_name = "Anita"
    world.ana.save(update_fields=["first_name"])
    assert "Hola, Anita" in client.get("/family/").text
    do_set_preferred_language(world.ana, language="en", actor=SYSTEM)
    page = client.get("/family/").text
    assert '<html lang="en">' in page and "Hello, Anita" in page


def test_a_new_role_and_a_revoked_one_show_on_the_next_request(world, client, login):
    login(world.ben)
    assert 'id="context-switch"' not in client.get("/family/").text
    do_add_membership(
        world.ben, role=Role.TEACHER, district=world.lakeside, classroom=world.room2, actor=SYSTEM
    )
    page = client.get("/family/").text
    assert 'id="context-switch"' in page and "Lakeside Elementary" in page

    membership = Membership.objects.get(user=world.ben, role=Role.TEACHER)
    principal = next(s for s in list_scopes_for_user(world.priya) if s.role == Role.SCHOOL_ADMIN)
    do_revoke_membership(principal, membership, actor=SYSTEM)
    assert 'id="context-switch"' not in client.get("/family/").text


def test_every_save_of_a_user_bumps_their_dependency_now_and_after_commit(
    world, django_capture_on_commit_callbacks
):
    name = user_dependency(world.tom.id)
    first = versioned_cache.current_versions([name])[name]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        world.tom.save(update_fields=["last_login"])
        at_save = versioned_cache.current_versions([name])[name]
    after_commit = versioned_cache.current_versions([name])[name]
    assert len({first, at_save, after_commit}) == 3
    assert len(callbacks) == 1


def test_every_sign_in_records_this_backend(world, client):
    client.post("/accounts/login/", {"login": "tom@example.org", "password": PASSWORD})
    assert client.session[BACKEND_SESSION_KEY] == OUR_BACKEND
    assert settings.AUTHENTICATION_BACKENDS == [OUR_BACKEND, ALLAUTH_BACKEND]


def test_sessions_signed_in_through_allauths_own_backend_stay_valid(world, client):
    client.force_login(world.tom, backend=ALLAUTH_BACKEND)
    session = client.session
    session["engage_mfa_ok"] = world.tom.id
    session.save()
    assert client.get("/teach/").status_code == 200
