"""Staff manage children, guardians and their links one by one. Each write is atomic and audited.

Objects arrive from the `access_*` queries of `guardians.queries.manage` (so they are in the
actor's scope); tenant columns are copied from the child, its classroom or the scope, never from
request data. Nothing is deleted: a removed child is deactivated with `removed_at` set and keeps
their guardian links (PROMISES R4), an ended link keeps its row with `is_active=False`.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engage import versioned_cache
from guardians.actions.family import (
    bump_families_of,
    do_create_child,
    do_enroll_child,
    do_link_guardian,
    do_set_guardian_access,
)
from guardians.models import Child, Enrollment, GuardianLink
from guardians.queries.manage import (
    find_people_by_contact,
    has_links_outside_scope,
    has_roles_beyond_family,
    is_in_district,
)
from privacy.audit import Actor, record_audit_event
from privacy.fields import with_keyed_hashes
from tenants.actions import ActionError, do_create_user
from tenants.cache_keys import family_dependency, memberships_dependency
from tenants.models import Classroom, Membership, Role, User
from tenants.phones import InvalidPhoneNumber, normalise_phone
from tenants.scope import Scope

CHILD_FIELDS = ("first_name", "last_name", "preferred_name", "grade_level", "pupil_number")
# Encrypted at rest (privacy.fields); only school and district admins see or set them.
ENCRYPTED_CHILD_FIELDS = ("birth_date", "is_disadvantaged")


class FieldError(ActionError):
    """A refused value of one field (`field`: "email", "phone", "pupil_number"), so a form can
    show the message next to it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- children --------------------------------------------------------------------------------


@transaction.atomic
def do_add_child(
    classroom: Classroom,
    *,
    first_name: str,
    last_name: str,
    preferred_name: str = "",
    grade_level: str = "",
    pupil_number: str = "",
    birth_date=None,
    is_disadvantaged: bool | None = None,
    actor: Actor,
) -> Child:
    """Add a child to `classroom`'s school (district and school copied from it) and enroll them.

    Raises ActionError for a classroom of a past year or a pupil number the school already uses.
    """
    _check_current(classroom)
    _check_pupil_number(classroom.school_id, pupil_number)
    child = do_create_child(
        classroom.school,
        first_name=first_name,
        last_name=last_name,
        preferred_name=preferred_name,
        grade_level=grade_level,
        pupil_number=pupil_number,
        birth_date=birth_date,
        is_disadvantaged=is_disadvantaged,
        actor=actor,
    )
    do_enroll_child(child, classroom, actor=actor)
    return child


@transaction.atomic
def do_update_child(child: Child, *, actor: Actor, **values) -> Child:
    """Change a child's names, grade, pupil number, birth date or disadvantage status (keywords
    of CHILD_FIELDS and ENCRYPTED_CHILD_FIELDS). Audits the names of the fields that changed,
    never their values."""
    allowed = {*CHILD_FIELDS, *ENCRYPTED_CHILD_FIELDS}
    if set(values) - allowed:
        raise TypeError(f"unknown child fields: {sorted(set(values) - allowed)}")
    changed = [name for name, value in values.items() if getattr(child, name) != value]
    if not changed:
        return child
    if "pupil_number" in changed:
        _check_pupil_number(child.school_id, values["pupil_number"], exclude_id=child.id)
    for name in changed:
        setattr(child, name, values[name])
    child.save(update_fields=with_keyed_hashes(Child, changed))
    bump_families_of(child)
    record_audit_event(
        actor=actor, action="child.updated", target=child, metadata={"fields": sorted(changed)}
    )
    return child


@transaction.atomic
def do_move_child(child: Child, classroom: Classroom, *, actor: Actor) -> Enrollment:
    """Move a child into another classroom of their school this year: their other enrollments of
    the current year end, the new one starts (`do_enroll_child`)."""
    _check_current(classroom)
    if classroom.school_id != child.school_id:
        raise ActionError(_("That classroom is in another school."))
    current = Enrollment.objects.filter(
        child_id=child.id, is_active=True, classroom__school_year__is_current=True
    )
    ended = sorted(current.exclude(classroom_id=classroom.id).values_list("id", flat=True))
    if not ended and current.filter(classroom_id=classroom.id).exists():
        raise ActionError(_("The child is already in that classroom."))
    Enrollment.objects.filter(id__in=ended).update(is_active=False)
    enrollment = do_enroll_child(child, classroom, actor=actor)
    bump_families_of(child)
    record_audit_event(
        actor=actor,
        action="child.moved",
        target=child,
        metadata={"classroom_id": classroom.id, "ended_enrollment_ids": ended},
    )
    return enrollment


@transaction.atomic
def do_remove_child(child: Child, *, actor: Actor) -> Child:
    """Take a child off the school's roster, as a roster import does for a leaver: the child is
    deactivated with `removed_at` and their enrollments end. Their guardian links stay, so the
    family keeps reading the child's past work until they remove the child from their account
    too (PROMISES R4: the privacy engine deletes a child removed by both); school messages stop
    reaching the family through this child. Rows are kept."""
    if not child.is_active:
        raise ActionError(_("This child has already been removed."))
    child.is_active = False
    child.removed_at = timezone.now()
    child.save(update_fields=["is_active", "removed_at"])
    enrollments = Enrollment.objects.filter(child_id=child.id, is_active=True)
    enrollment_ids = sorted(enrollments.values_list("id", flat=True))
    enrollments.update(is_active=False)
    bump_families_of(child)  # their home shows the child as no longer at the school
    record_audit_event(
        actor=actor,
        action="child.removed",
        target=child,
        metadata={"ended_enrollment_ids": enrollment_ids},
    )
    return child


def _check_current(classroom: Classroom) -> None:
    if not classroom.is_active or not classroom.school_year.is_current:
        raise ActionError(_("Choose a classroom of the current school year."))


def _check_pupil_number(school_id: int, pupil_number: str, exclude_id: int | None = None) -> None:
    if not pupil_number:
        return
    taken = Child.objects.filter(
        school_id=school_id, is_active=True, pupil_number__iexact=pupil_number
    ).exclude(id=exclude_id)
    if taken.exists():
        raise FieldError("pupil_number", _("Another child at this school has that pupil number."))


# --- guardians and links ---------------------------------------------------------------------


@transaction.atomic
def do_link_guardian_by_contact(
    child: Child,
    *,
    email: str = "",
    phone: str = "",
    first_name: str = "",
    last_name: str = "",
    preferred_language: str = "en",
    relationship: str = GuardianLink.Relationship.PARENT,
    contact_role: str = GuardianLink.ContactRole.PRIMARY,
    has_access: bool = True,
    actor: Actor,
) -> tuple[GuardianLink, bool]:
    """Link the person who owns `email` / `phone` to `child`, or a new person with them.

    Returns (link, whether the person was created). An existing person is linked as they are
    (their details are not changed); they must belong to the child's district (see
    `is_in_district`). Raises ActionError (FieldError for a contact) when the contacts name
    two people, the person is outside the district or already linked, or a new person has no
    name; nothing is written then.
    """
    email = (email or "").strip()
    phone = _normalised_phone(phone)
    if not email and not phone:
        raise FieldError("email", _("Give the guardian's email address or mobile number."))
    people = find_people_by_contact(email=email, phone=phone)
    if len(people) > 1:
        raise ActionError(
            _("That email address and that mobile number belong to two different people.")
        )
    if people:
        guardian, created = people[0], False
        if not is_in_district(guardian, child.district_id):
            raise FieldError(
                "email" if email else "phone",
                _("That contact belongs to an Engage account in another district."),
            )
        if GuardianLink.objects.filter(
            guardian_id=guardian.id, child_id=child.id, is_active=True
        ).exists():
            raise ActionError(_("That person is already linked to this child."))
    else:
        if not first_name.strip() or not last_name.strip():
            raise ActionError(_("Give the first and last name of a guardian new to Engage."))
        guardian, created = (
            do_create_user(
                email=email or None,
                phone=phone or None,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                preferred_language=preferred_language,
                actor=actor,
            ),
            True,
        )
    link = do_link_guardian(
        child,
        guardian,
        relationship=relationship,
        contact_role=contact_role,
        has_access=has_access,
        actor=actor,
    )
    return link, created


@transaction.atomic
def do_update_guardian_link(
    link: GuardianLink, *, relationship: str, contact_role: str, has_access: bool, actor: Actor
) -> GuardianLink:
    """Change a link's relationship and contact role (audited as `guardian.link_updated`) and its
    custody "no access" flag (through `do_set_guardian_access`)."""
    changed = {}
    if link.relationship != relationship:
        changed["relationship"] = relationship
    if link.contact_role != contact_role:
        changed["contact_role"] = contact_role
    if changed:
        for name, value in changed.items():
            setattr(link, name, value)
        link.save(update_fields=sorted(changed))
        versioned_cache.bump(family_dependency(link.guardian_id))
        record_audit_event(
            actor=actor,
            action="guardian.link_updated",
            target=link,
            school_id=link.child.school_id,
            metadata=changed,
        )
    if link.has_access != has_access:
        do_set_guardian_access(link, has_access=has_access, actor=actor)
    return link


@transaction.atomic
def do_end_guardian_link(link: GuardianLink, *, actor: Actor) -> GuardianLink:
    """End a guardian's link to a child (the row stays). A guardian left with no child in the
    district loses the guardian role there; their account stays."""
    if not link.is_active:
        raise ActionError(_("This link has already ended."))
    link.is_active = False
    link.save(update_fields=["is_active"])
    versioned_cache.bump(family_dependency(link.guardian_id))
    record_audit_event(
        actor=actor,
        action="guardian.unlinked",
        target=link,
        school_id=link.child.school_id,
        metadata={"child_id": link.child_id, "guardian_id": link.guardian_id},
    )
    _end_guardian_role_if_unlinked(link.guardian_id, link.district_id, actor=actor)
    return link


@transaction.atomic
def do_remove_guardian_from_scope(scope: Scope, guardian: User, *, actor: Actor) -> list[int]:
    """End every link of `guardian` (from `access_guardian(scope, ...)`) to the children in scope,
    that is, remove them from the scope's school(s). Returns the ended link ids."""
    links = list(guardian.scope_links)
    if not links:
        raise ActionError(_("This guardian has no child here."))
    record_audit_event(
        actor=actor,
        action="guardian.removed",
        target=guardian,
        district_id=scope.district.id,
        school_id=scope.school.id if scope.school else None,
        metadata={"guardian_link_ids": sorted(link.id for link in links)},
    )
    for link in links:
        do_end_guardian_link(link, actor=actor)
    return sorted(link.id for link in links)


@transaction.atomic
def do_update_guardian(
    scope: Scope,
    guardian: User,
    *,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    preferred_language: str = "en",
    actor: Actor,
) -> User:
    """Staff correct a guardian's name, contacts and language.

    A contact the guardian verified is theirs: changing it raises FieldError, as it does for a
    person who also holds a staff role or a role in another district (changing their sign-in here
    would hand over their account), and for a contact that belongs to someone else.
    """
    values = {
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "email": (email or "").strip() or None,
        "phone": _normalised_phone(phone) or None,
        "preferred_language": preferred_language,
    }
    if (values["email"] or "").lower() == (guardian.email or "").lower():
        values["email"] = guardian.email
    changed = [name for name, value in values.items() if getattr(guardian, name) != value]
    _check_contact_changes(scope, guardian, values, changed)
    if not changed:
        return guardian
    for name in changed:
        setattr(guardian, name, values[name])
    guardian.save(update_fields=changed)
    versioned_cache.bump(family_dependency(guardian.id))
    record_audit_event(
        actor=actor,
        action="guardian.updated",
        target=guardian,
        district_id=scope.district.id,
        school_id=scope.school.id if scope.school else None,
        metadata={"fields": sorted(changed)},
    )
    return guardian


def _check_contact_changes(scope: Scope, guardian: User, values: dict, changed: list) -> None:
    contacts = [name for name in ("email", "phone") if name in changed]
    if not contacts:
        return
    if not values["email"] and not values["phone"]:
        raise FieldError("email", _("A guardian needs an email address or a mobile number."))
    for name in contacts:
        if getattr(guardian, f"{name}_verified"):
            raise FieldError(
                name,
                _("The guardian confirmed this email address; only they can change it.")
                if name == "email"
                else _("The guardian confirmed this mobile number; only they can change it."),
            )
    if has_roles_beyond_family(guardian, scope.district.id):
        raise FieldError(
            contacts[0],
            _("This person signs in to Engage for other roles too; only they can change how."),
        )
    if guardian.last_login is not None:
        # Their contacts are how they sign in (one-time codes): changing one would hand their
        # account, and their children's records, to whoever holds the new address.
        raise FieldError(
            contacts[0],
            _("This guardian already signs in to Engage; only they can change their contacts."),
        )
    if has_links_outside_scope(scope, guardian):
        raise FieldError(
            contacts[0],
            _("This guardian also has children at another school; ask the district to change it."),
        )
    for name in contacts:
        others = find_people_by_contact(**{name: values[name] or ""})
        if any(person.id != guardian.id for person in others):
            raise FieldError(
                name,
                _("Another person already uses that email address.")
                if name == "email"
                else _("Another person already uses that mobile number."),
            )


def _normalised_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not phone:
        return ""
    try:
        return normalise_phone(phone)
    except InvalidPhoneNumber as error:
        raise FieldError("phone", _("That mobile number is not valid.")) from error


def _end_guardian_role_if_unlinked(guardian_id: int, district_id: int, *, actor: Actor) -> None:
    """A guardian holds the guardian role in a district while they have a link in it (as the
    roster import keeps it)."""
    if GuardianLink.objects.filter(
        guardian_id=guardian_id, district_id=district_id, is_active=True
    ).exists():
        return
    memberships = list(
        Membership.objects.filter(
            user_id=guardian_id, district_id=district_id, role=Role.GUARDIAN, is_active=True
        )
    )
    for membership in memberships:
        membership.is_active = False
        membership.revoked_at = timezone.now()
        membership.save(update_fields=["is_active", "revoked_at"])
        record_audit_event(
            actor=actor,
            action="membership.revoked",
            target=membership,
            metadata={"role": membership.role, "user_id": guardian_id},
        )
    if memberships:
        versioned_cache.bump(memberships_dependency(guardian_id))
