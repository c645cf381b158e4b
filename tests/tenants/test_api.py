"""The API shell: same scope and capability layer as the HTML views."""

from rest_framework.authtoken.models import Token

from tenants.models import Role


def test_me_returns_the_active_context(world, client, login):
    login(world.priya)
    data = client.get("/api/v1/me/").json()
    assert data["email"] == "priya@example.org"
    assert data["scope"]["role"] == "school_admin"
    assert data["scope"]["school_id"] == world.a1.id
    assert "staff:manage" in data["scope"]["capabilities"]


def test_anonymous_gets_401_or_403(world, client):
    response = client.get("/api/v1/classrooms/")
    assert response.status_code in (401, 403)


def test_classrooms_are_scoped_and_paginated(world, client, login):
    login(world.priya)
    data = client.get("/api/v1/classrooms/").json()
    assert data["count"] == 2
    assert [(c["name"], c["children_count"]) for c in data["results"]] == [
        ("Room 1", 2),
        ("Room 2", 1),
    ]


def test_classroom_of_another_tenant_is_404(world, client, login):
    login(world.hope)
    assert client.get(f"/api/v1/classrooms/{world.room1.id}/").status_code == 404
    login(world.priya)
    assert client.get(f"/api/v1/classrooms/{world.room1.id}/").json()["name"] == "Room 1"


def test_guardian_children_api(world, client, login):
    login(world.ana)
    data = client.get("/api/v1/family/children/").json()
    assert [(c["display_name"], c["school"], c["classrooms"]) for c in data["results"]] == [
        ("Leo Alvarez", "Lakeside Middle", ["Room 7"]),
        ("Mia Alvarez", "Lakeside Elementary", ["Room 1"]),
    ]
    assert client.get(f"/api/v1/family/children/{world.noah.id}/").status_code == 404


def test_capability_is_enforced_per_method(world, client, login):
    login(world.ana)
    assert client.get("/api/v1/classrooms/").status_code == 403
    assert client.post("/api/v1/me/").status_code == 405


def test_token_auth_with_context_header(world, client):
    token = Token.objects.create(user=world.tess)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    data = client.get("/api/v1/me/", **auth).json()
    assert data["scope"]["role"] == Role.TEACHER
    guardian_key = f"guardian:{world.lakeside.id}:0"
    data = client.get("/api/v1/me/", HTTP_X_ENGAGE_CONTEXT=guardian_key, **auth).json()
    assert data["scope"]["role"] == Role.GUARDIAN
    # The family data needs the policy agreed to (privacy.Consent), as on the pages.
    from privacy.actions import do_record_consents
    from privacy.audit import Actor

    do_record_consents(
        world.tess,
        world.lakeside,
        is_policy_accepted=True,
        choices={},
        source="join",
        actor=Actor.system(),
    )
    children = client.get("/api/v1/family/children/", HTTP_X_ENGAGE_CONTEXT=guardian_key, **auth)
    assert [c["display_name"] for c in children.json()["results"]] == ["Ivy Taylor"]


def test_contexts_lists_every_role(world, client, login):
    login(world.tess)
    keys = [c["key"] for c in client.get("/api/v1/contexts/").json()]
    assert keys == [
        f"teacher:{world.hillcrest.id}:{world.b2.id}",
        f"guardian:{world.lakeside.id}:0",
    ]


def test_schema_and_docs_are_served(world, client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    body = schema.content.decode()
    assert "/api/v1/classrooms/{classroom_id}/" in body
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn." not in docs.content


def test_admin_token_needs_two_factor_set_up(world, client):
    from allauth.mfa.models import Authenticator

    token = Token.objects.create(user=world.priya)
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    assert client.get("/api/v1/classrooms/", **auth).status_code == 403
    Authenticator.objects.create(user=world.priya, type=Authenticator.Type.TOTP, data={})
    assert client.get("/api/v1/classrooms/", **auth).json()["count"] == 2
