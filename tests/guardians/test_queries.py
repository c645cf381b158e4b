"""Who sees which child, as query-level tests (PROMISES V3, V6)."""

import pytest
from django.http import Http404

from guardians.queries import access_child_for_guardian, get_family_home, list_children_for_guardian
from tenants.models import Role
from tenants.scope import list_scopes_for_user


def family_scope(user):
    return next(s for s in list_scopes_for_user(user) if s.role == Role.GUARDIAN)


def test_guardian_sees_own_children_across_schools(world):
    names = [c.display_name for c in list_children_for_guardian(family_scope(world.ana))]
    assert names == ["Leo Alvarez", "Mia Alvarez"]


def test_no_access_guardian_sees_nothing_of_the_child(world):
    assert list(list_children_for_guardian(family_scope(world.cal))) == []
    with pytest.raises(Http404):
        access_child_for_guardian(family_scope(world.cal), world.mia.id)


def test_another_family_in_the_same_classroom_cannot_reach_the_child(world):
    with pytest.raises(Http404):
        access_child_for_guardian(family_scope(world.ben), world.mia.id)


def test_family_home_cards(world):
    home = get_family_home(family_scope(world.ana))
    assert [
        (
            card.child.first_name,
            card.child.school.name,
            [c.name for c in card.classrooms],
            [t.first_name for t in card.teachers],
        )
        for card in home.children
    ] == [
        ("Leo", "Lakeside Middle", ["Room 7"], ["Mo"]),
        ("Mia", "Lakeside Elementary", ["Room 1"], ["Tom"]),
    ]


def test_family_home_page(world, client, login):
    login(world.ana)
    response = client.get("/family/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Mia Alvarez" in content and "Leo Alvarez" in content
    assert "Noah" not in content
