"""Writes to children, enrollments and guardian links. Each is atomic and audited."""

from django.db import transaction
from django.utils.translation import gettext as _

from engage import versioned_cache
from guardians.models import Child, Enrollment, GuardianLink
from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError, do_add_membership
from tenants.cache_keys import family_dependency
from tenants.models import Classroom, Role, School, User


@transaction.atomic
def do_create_child(
    school: School,
    *,
    first_name: str,
    last_name: str,
    grade_level: str = "",
    pupil_number: str = "",
    preferred_name: str = "",
    birth_date=None,
    is_disadvantaged: bool | None = None,
    actor: Actor,
) -> Child:
    """Add a child record to `school`'s roster."""
    child = Child.objects.create(
        district_id=school.district_id,
        school=school,
        first_name=first_name,
        last_name=last_name,
        preferred_name=preferred_name,
        grade_level=grade_level,
        pupil_number=pupil_number,
        birth_date=birth_date,
        is_disadvantaged=is_disadvantaged,
    )
    record_audit_event(actor=actor, action="child.created", target=child)
    return child


@transaction.atomic
def do_enroll_child(child: Child, classroom: Classroom, *, actor: Actor) -> Enrollment:
    """Put `child` in `classroom` (of the child's own school). Idempotent."""
    if classroom.school_id != child.school_id:
        raise ActionError(_("That classroom is in another school."))
    enrollment, created = Enrollment.objects.get_or_create(
        child=child,
        classroom=classroom,
        is_active=True,
        defaults={"district_id": classroom.district_id, "school_id": classroom.school_id},
    )
    if created:
        bump_families_of(child)
        record_audit_event(
            actor=actor,
            action="child.enrolled",
            target=enrollment,
            metadata={"child_id": child.id, "classroom_id": classroom.id},
        )
    return enrollment


def bump_families_of(child: Child) -> None:
    """The guardians' cached family pages show this child: they are now stale."""
    guardian_ids = GuardianLink.objects.filter(child=child).values_list("guardian_id", flat=True)
    versioned_cache.bump(*(family_dependency(g) for g in guardian_ids))


@transaction.atomic
def do_link_guardian(
    child: Child,
    guardian: User,
    *,
    relationship: str = GuardianLink.Relationship.PARENT,
    contact_role: str = GuardianLink.ContactRole.PRIMARY,
    has_access: bool = True,
    actor: Actor,
) -> GuardianLink:
    """Link a guardian to a child, and give them the guardian role in the child's district."""
    link, created = GuardianLink.objects.get_or_create(
        guardian=guardian,
        child=child,
        is_active=True,
        defaults={
            "district_id": child.district_id,
            "relationship": relationship,
            "contact_role": contact_role,
            "has_access": has_access,
        },
    )
    if created:
        versioned_cache.bump(family_dependency(guardian.id))
        do_add_membership(guardian, role=Role.GUARDIAN, district=child.district, actor=actor)
        record_audit_event(
            actor=actor,
            action="guardian.linked",
            target=link,
            school_id=child.school_id,
            metadata={"child_id": child.id, "guardian_id": guardian.id, "has_access": has_access},
        )
    return link


@transaction.atomic
def do_set_guardian_access(link: GuardianLink, *, has_access: bool, actor: Actor) -> GuardianLink:
    """Set or lift the custody "no access" flag on a guardian link."""
    link.has_access = has_access
    link.save(update_fields=["has_access"])
    versioned_cache.bump(family_dependency(link.guardian_id))
    record_audit_event(
        actor=actor,
        action="guardian.access_changed",
        target=link,
        metadata={"has_access": has_access},
    )
    return link
