"""Required privacy notices to a district's privacy admins (incident notices, policy changes,
deletion confirmations): one audience, one kind, one channel, decided once here."""

from notifications.models import Channel, Kind, Message
from privacy.audit import Actor
from tenants.models import District, Membership


def list_district_admin_ids(district_id: int) -> list[int]:
    """The people who administer the district's privacy district-wide (they get its notices)."""
    from privacy.districts.deletion import district_admin_roles

    return sorted(
        set(
            Membership.objects.filter(
                district_id=district_id, is_active=True, role__in=district_admin_roles()
            ).values_list("user_id", flat=True)
        )
    )


def do_queue_admin_notice(
    district: District, *, content: dict, source: tuple, actor: Actor, author=None
) -> Message | None:
    """Queue a required PRIVACY_NOTICE email to the district's admins; None when it has none
    (the caller says what that means)."""
    from notifications.actions import do_queue_message

    admin_ids = list_district_admin_ids(district.id)
    if not admin_ids:
        return None
    return do_queue_message(
        district,
        kind=Kind.PRIVACY_NOTICE,
        audience={"type": "people", "ids": admin_ids},
        content=content,
        channels=[Channel.EMAIL],
        is_required=True,
        author=author,
        source=source,
        default_language=district.default_language,
        actor=actor,
    )
