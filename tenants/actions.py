"""Writes to tenants, people and roles. Each action is atomic and audits what it changes.

Tenant columns (district, school) are always copied from the parent object passed in, never taken
from request data. Actions that check permission take the scope; the others are for trusted
callers (seeding, imports, operators' commands).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage import versioned_cache
from privacy.audit import Actor, record_audit_event
from tenants import roles
from tenants.cache_keys import classroom_dependency, memberships_dependency
from tenants.models import (
    Classroom,
    District,
    Group,
    GroupMember,
    Membership,
    Role,
    School,
    SchoolYear,
    User,
)
from tenants.phones import InvalidPhoneNumber, normalise_phone
from tenants.queries import find_user_by_email
from tenants.scope import Scope


class ActionError(Exception):
    """A request that cannot be carried out; the message is safe to show to the person."""


@transaction.atomic
def do_create_district(
    *,
    name: str,
    slug: str,
    timezone_name: str = "America/New_York",
    default_language: str = "en",
    actor: Actor,
) -> District:
    """Create a district (the tenant root)."""
    district = District.objects.create(
        name=name, slug=slug, timezone=timezone_name, default_language=default_language
    )
    record_audit_event(actor=actor, action="district.created", target=district)
    return district


@transaction.atomic
def do_create_school(
    district: District, *, name: str, slug: str, timezone_name: str = "", actor: Actor
) -> School:
    """Create a school in `district`."""
    school = School.objects.create(district=district, name=name, slug=slug, timezone=timezone_name)
    record_audit_event(actor=actor, action="school.created", target=school)
    return school


@transaction.atomic
def do_create_school_year(
    district: District, *, name: str, start_date, end_date, is_current: bool = False, actor: Actor
) -> SchoolYear:
    """Create a school year; making it current retires the district's previous current year."""
    if is_current:
        SchoolYear.objects.filter(district=district, is_current=True).update(is_current=False)
    year = SchoolYear.objects.create(
        district=district,
        name=name,
        start_date=start_date,
        end_date=end_date,
        is_current=is_current,
    )
    record_audit_event(actor=actor, action="school_year.created", target=year)
    return year


@transaction.atomic
def do_create_classroom(
    school: School, *, school_year: SchoolYear, name: str, grade_level: str = "", actor: Actor
) -> Classroom:
    """Create a classroom of `school` for `school_year` (both of one district)."""
    if school_year.district_id != school.district_id:
        raise ActionError(_("The school year belongs to another district."))
    classroom = Classroom.objects.create(
        district_id=school.district_id,
        school=school,
        school_year=school_year,
        name=name,
        grade_level=grade_level,
    )
    record_audit_event(actor=actor, action="classroom.created", target=classroom)
    return classroom


@transaction.atomic
def do_create_user(
    *,
    email: str | None = None,
    phone: str | None = None,
    first_name: str = "",
    last_name: str = "",
    preferred_language: str = "en",
    password: str | None = None,
    actor: Actor,
) -> User:
    """Create a person who can sign in (by password, or by one-time code when none is given)."""
    if not email and not phone:
        raise ActionError(_("A person needs an email address or a mobile number."))
    if phone:
        try:
            phone = normalise_phone(phone)
        except InvalidPhoneNumber as error:
            raise ActionError(_("That mobile number is not valid.")) from error
    user = User.objects.create_user(
        email=email or None,
        password=password,
        phone=phone or None,
        first_name=first_name,
        last_name=last_name,
        preferred_language=preferred_language,
    )
    record_audit_event(actor=actor, action="user.created", target=user, district_id=None)
    return user


@transaction.atomic
def do_add_membership(
    user: User,
    *,
    role: str,
    district: District,
    school: School | None = None,
    classroom: Classroom | None = None,
    actor: Actor,
) -> Membership:
    """Give `user` a role in `district` (at `school` / `classroom` where the role applies).

    Idempotent: an identical active membership is returned as it is.
    """
    if classroom is not None:
        school = classroom.school
    _check_role_placement(role, district, school, classroom)
    membership, created = Membership.objects.get_or_create(
        user=user,
        role=role,
        district=district,
        school=school,
        classroom=classroom,
        is_active=True,
        defaults={"granted_by": actor.user},
    )
    if created:
        _bump_membership(membership)
        record_audit_event(
            actor=actor,
            action="membership.granted",
            target=membership,
            school_id=school.id if school else None,
            metadata={"role": role, "user_id": user.id},
        )
    return membership


def _bump_membership(membership: Membership) -> None:
    """Cached scopes of the person, and pages naming a classroom's teachers, are now stale."""
    names = [memberships_dependency(membership.user_id)]
    if membership.classroom_id:
        names.append(classroom_dependency(membership.classroom_id))
    versioned_cache.bump(*names)


def _check_role_placement(role, district, school, classroom) -> None:
    level = roles.ROLE_LEVEL[role]
    if school is not None and school.district_id != district.id:
        raise ActionError(_("That school belongs to another district."))
    if level == "classroom" and classroom is None:
        raise ActionError(_("Choose the classroom this teacher teaches."))
    if level == "school" and school is None:
        raise ActionError(_("Choose the school this role applies to."))
    if level == "district" and school is not None:
        raise ActionError(_("This role applies to the whole district."))


@transaction.atomic
def do_grant_role(
    scope: Scope,
    user: User,
    *,
    role: str,
    school: School | None = None,
    classroom: Classroom | None = None,
    actor: Actor,
) -> Membership:
    """A school or district admin grants a staff role within their own scope."""
    if role not in roles.grantable_roles(scope.role):
        raise ActionError(_("You cannot grant that role."))
    if classroom is not None and not scope.covers_classroom(classroom):
        raise ActionError(_("That classroom is outside your school."))
    if scope.school is not None:
        if school is not None and school.id != scope.school.id:
            raise ActionError(_("That school is outside your scope."))
        school = school or scope.school
    return do_add_membership(
        user, role=role, district=scope.district, school=school, classroom=classroom, actor=actor
    )


@transaction.atomic
def do_add_staff_member(
    scope: Scope,
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str,
    school: School | None = None,
    classroom: Classroom | None = None,
    actor: Actor,
) -> tuple[Membership, bool]:
    """An admin adds a person to their staff in one go: the account that has `email` gets the
    role (its names are left as they are), or a new account is made with the names given.

    Returns (membership, whether the account was created). Raises ActionError as
    `do_grant_role` does, and for a new person without a name; nothing is written then.
    """
    user = find_user_by_email(email)
    created = user is None
    if created:
        if not first_name.strip() or not last_name.strip():
            raise ActionError(_("Nobody with that email address has an Engage account yet."))
        user = do_create_user(
            email=email.strip(),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            preferred_language=scope.district.default_language,
            actor=actor,
        )
    membership = do_grant_role(
        scope, user, role=role, school=school, classroom=classroom, actor=actor
    )
    return membership, created


@transaction.atomic
def do_update_staff_name(
    scope: Scope, membership: Membership, *, first_name: str, last_name: str, actor: Actor
) -> User:
    """Correct the name of the person holding `membership` (from `access_membership(scope, ...)`),
    a role the admin may grant. Families' pages naming them as a teacher are refreshed."""
    if membership.role not in roles.grantable_roles(scope.role):
        raise ActionError(_("You cannot change that person's details."))
    user = membership.user
    values = {"first_name": first_name.strip(), "last_name": last_name.strip()}
    changed = sorted(name for name, value in values.items() if getattr(user, name) != value)
    if not changed:
        return user
    for name in changed:
        setattr(user, name, values[name])
    user.save(update_fields=changed)
    taught = Membership.objects.filter(
        user_id=user.id, role=Role.TEACHER, is_active=True, classroom_id__isnull=False
    ).values_list("classroom_id", flat=True)
    versioned_cache.bump(*(classroom_dependency(c) for c in taught))
    record_audit_event(
        actor=actor,
        action="user.updated",
        target=user,
        district_id=scope.district.id,
        school_id=scope.school.id if scope.school else None,
        metadata={"fields": changed, "membership_id": membership.id},
    )
    return user


@transaction.atomic
def do_revoke_membership(scope: Scope, membership: Membership, *, actor: Actor) -> None:
    """Revoke a staff role; `membership` must come from `access_membership(scope, ...)`."""
    if membership.role not in roles.grantable_roles(scope.role):
        raise ActionError(_("You cannot revoke that role."))
    if membership.user_id == scope.user.id and membership.role == scope.role:
        raise ActionError(_("You cannot revoke your own role."))
    membership.is_active = False
    membership.revoked_at = timezone.now()
    membership.save(update_fields=["is_active", "revoked_at"])
    _bump_membership(membership)
    record_audit_event(
        actor=actor,
        action="membership.revoked",
        target=membership,
        metadata={"role": membership.role, "user_id": membership.user_id},
    )


@transaction.atomic
def do_create_group(
    district: District,
    *,
    name: str,
    school: School | None = None,
    kind: str = Group.Kind.FAMILIES,
    actor: Actor,
) -> Group:
    """Create a group of families or staff at district or school level."""
    if school is not None and school.district_id != district.id:
        raise ActionError(_("That school belongs to another district."))
    group = Group.objects.create(district=district, school=school, name=name, kind=kind)
    record_audit_event(actor=actor, action="group.created", target=group)
    return group


@transaction.atomic
def do_add_group_member(group: Group, user: User, *, actor: Actor) -> GroupMember:
    """Add a person to a group (idempotent)."""
    member, created = GroupMember.objects.get_or_create(
        group=group, user=user, defaults={"district_id": group.district_id}
    )
    if created:
        record_audit_event(
            actor=actor,
            action="group.member_added",
            target=member,
            school_id=group.school_id,
            metadata={"user_id": user.id},
        )
    return member


@transaction.atomic
def do_set_preferred_language(user: User, *, language: str, actor: Actor) -> User:
    """Change the language a person reads Engage and its messages in."""
    if language not in dict(User._meta.get_field("preferred_language").choices):
        raise ActionError(_("Unknown language."))
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    return user
