"""Choices about leaderboards: a family's (nickname, appear or not) and a school's (how names
show, whether families see leaderboards at all). Both audited."""

import unicodedata

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from activities.actions.progress import lock_progress
from activities.models import ChildProgress, SchoolActivitySettings
from guardians.models import Child
from privacy.audit import Actor, record_audit_event
from tenants.actions import ActionError
from tenants.models import School

MAX_NICKNAME_CHARS = 40


@transaction.atomic
def do_set_leaderboard_choice(
    child: Child, *, nickname: str, is_on_leaderboard: bool, actor: Actor
) -> ChildProgress:
    """The family's choice for `child` (from access_child_for_guardian): a nickname shown when
    the school shows nicknames, and whether the child appears on the classroom leaderboard."""
    nickname = _clean_nickname(nickname)
    progress = lock_progress(child)
    progress.nickname = nickname
    progress.is_on_leaderboard = bool(is_on_leaderboard)
    progress.updated_at = timezone.now()
    progress.save(update_fields=["nickname", "is_on_leaderboard", "updated_at"])
    record_audit_event(
        actor=actor,
        action="leaderboard.choice",
        target=child,
        metadata={"is_on_leaderboard": progress.is_on_leaderboard, "has_nickname": bool(nickname)},
    )
    return progress


def _clean_nickname(nickname: str) -> str:
    # Letters, digits, spaces and punctuation only: no control or invisible characters.
    nickname = "".join(
        c
        for c in (nickname or "")
        if not unicodedata.category(c).startswith(("C", "Z")) or c == " "
    )
    nickname = " ".join(nickname.split())
    if len(nickname) > MAX_NICKNAME_CHARS:
        raise ActionError(_("Write at most %(max)d characters.") % {"max": MAX_NICKNAME_CHARS})
    return nickname


@transaction.atomic
def do_set_school_leaderboard_settings(
    school: School, *, name_style: str, is_leaderboard_shown: bool, actor: Actor
) -> SchoolActivitySettings:
    """How the school's classroom leaderboards name children, and whether families see them
    (`school` from the admin's scope)."""
    if name_style not in SchoolActivitySettings.NameStyle.values:
        raise ActionError(_("Choose how names are shown."))
    settings, _created = SchoolActivitySettings.objects.select_for_update().get_or_create(
        school_id=school.id, defaults={"district_id": school.district_id}
    )
    settings.leaderboard_name_style = name_style
    settings.is_leaderboard_shown = bool(is_leaderboard_shown)
    settings.save(update_fields=["leaderboard_name_style", "is_leaderboard_shown"])
    record_audit_event(
        actor=actor,
        action="leaderboard.settings",
        target=school,
        metadata={"name_style": name_style, "is_leaderboard_shown": settings.is_leaderboard_shown},
    )
    return settings
