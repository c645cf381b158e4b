from tenants.models import Role
from tenants.scope import list_scopes_for_user


def test_scopes_of_a_person_with_roles_in_two_districts(world):
    scopes = list_scopes_for_user(world.tess)
    assert [(s.role, s.district.slug, s.school.slug if s.school else None) for s in scopes] == [
        (Role.TEACHER, "hillcrest", "academy"),
        (Role.GUARDIAN, "lakeside", None),
    ]
    teacher = scopes[0]
    assert teacher.classroom_ids == frozenset({world.roomh2.id})
    assert teacher.has("activity:write") and not teacher.has("family:view")
    assert scopes[1].has("family:view") and not scopes[1].has("activity:write")


def test_teacher_scope_covers_only_their_classrooms(world):
    (scope,) = list_scopes_for_user(world.tom)
    assert scope.covers_classroom(world.room1)
    assert not scope.covers_classroom(world.room2)
    assert not scope.covers_classroom(world.roomh1)


def test_school_admin_scope_covers_their_school_only(world):
    (scope,) = list_scopes_for_user(world.priya)
    assert scope.covers_classroom(world.room1) and scope.covers_classroom(world.room2)
    assert not scope.covers_classroom(world.room7)
    assert not scope.covers_classroom(world.roomh1)


def test_district_admin_scope_covers_district(world):
    (scope,) = list_scopes_for_user(world.dana)
    assert scope.is_district_wide
    assert scope.covers_classroom(world.room7)
    assert not scope.covers_classroom(world.roomh1)
