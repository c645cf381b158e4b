"""Telling families about activities: a message when one is published, a reminder before it is due.

What: one notifications Message per event, addressed to the guardians (with access) of the
children the activity reaches, with its text in every language of the site (the activity's
variant where the author wrote one), kind NEW_ACTIVITY or REMINDER, source ("activity", id). The
notifications engine then honours each family's channels, digest choice, quiet hours and cap.

Why here: publishing (activities.actions.authoring) queues the message in its own transaction,
so the message exists exactly when the publish committed; the engine fans it out after commit.

Safe to re-run: a NEW_ACTIVITY message is queued once per activity (an activity closed and opened
again tells nobody twice: checked under the activity's row lock held by the publish). A reminder
is claimed by a conditional UPDATE of `Activity.reminder_sent_at` in the transaction that queues
it, so two beat runs at once send one reminder, and a crash before commit leaves it to the next
run. Reminders go only to families of children reached who have not submitted, and only for
activities published before the reminder time (a family just told about it is not reminded an
hour later).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from activities.models import Activity
from activities.queries.audience import list_guardian_ids_reached
from activities.queries.authoring import list_guardian_ids_to_remind
from notifications.actions import do_queue_message
from notifications.models import Channel, Kind, Message
from privacy.audit import Actor

SOURCE_TYPE = "activity"
DEFAULT_REMINDER_HOURS = 24


def reminder_lead_time() -> datetime.timedelta:
    """How long before the due date the reminder goes (ENGAGE_ACTIVITY_REMINDER_HOURS, 24)."""
    hours = getattr(settings, "ENGAGE_ACTIVITY_REMINDER_HOURS", DEFAULT_REMINDER_HOURS)
    return datetime.timedelta(hours=hours)


def queue_new_activity_message(activity: Activity, *, actor: Actor) -> Message | None:
    """Queue the families' NEW_ACTIVITY message, in the caller's transaction; once per activity.
    None when it was queued before or the activity reaches no family."""
    already = Message.objects.filter(  # the activity's own messages
        district_id=activity.district_id,
        source_type=SOURCE_TYPE,
        source_id=str(activity.id),
        kind=Kind.NEW_ACTIVITY,
    ).exists()
    if already:
        return None
    guardian_ids = sorted(list_guardian_ids_reached(activity))
    if not guardian_ids:
        return None
    return _queue(activity, Kind.NEW_ACTIVITY, guardian_ids, new_activity_content, actor)


def do_send_due_reminders(now=None) -> list[int]:
    """Remind families of activities due within the lead time; returns the activity ids claimed.

    Every district's published activities are read here: this is the beat's own sweep.
    """
    now = now or timezone.now()
    lead = reminder_lead_time()
    due = Activity.objects.filter(  # beat sweep across districts, by status and due time
        status=Activity.Status.PUBLISHED,
        is_template=False,
        reminder_sent_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + lead,
    ).order_by("due_at", "id")
    claimed = []
    for activity in list(due.select_related("district", "school")[:500]):
        if activity.published_at > activity.due_at - lead:
            continue  # told about it within the lead time already
        if _remind(activity, now):
            claimed.append(activity.id)
    return claimed


@transaction.atomic
def _remind(activity: Activity, now) -> bool:
    claimed = Activity.objects.filter(  # the row the beat read; claimed once
        id=activity.id, status=Activity.Status.PUBLISHED, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=now)
    if not claimed:
        return False
    guardian_ids = sorted(list_guardian_ids_to_remind(activity))
    if guardian_ids:
        _queue(activity, Kind.REMINDER, guardian_ids, reminder_content, Actor.system())
    return True


def _queue(activity: Activity, kind: str, guardian_ids: list[int], content_of, actor: Actor):
    language = activity.district.default_language
    languages = {code for code, _name in settings.LANGUAGES}
    return do_queue_message(
        activity.district,
        kind=kind,
        audience={"type": "guardians", "ids": guardian_ids},
        content=content_of(activity),
        channels=[Channel.SMS, Channel.EMAIL],
        school=activity.school,
        author=activity.created_by,
        source=(SOURCE_TYPE, activity.id),
        default_language=language if language in languages else settings.LANGUAGE_CODE,
        actor=actor,
    )


def _in_every_language(activity: Activity, write) -> dict:
    """{language: {"subject", "body"}} written by `write(text, due, where, link)` per language,
    dates in the school's time zone."""
    school = activity.school
    where = school.name if school else activity.district.name
    link = f"{settings.PUBLIC_BASE_URL}{reverse('guardians:home')}"
    zone = school.effective_timezone if school else activity.district.timezone
    content = {}
    with timezone.override(zone):
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                due = (
                    formats.date_format(timezone.localtime(activity.due_at), "DATETIME_FORMAT")
                    if activity.due_at
                    else ""
                )
                content[language] = write(activity.text_for(language), due, where, link)
    return content


def new_activity_content(activity: Activity) -> dict:
    """The NEW_ACTIVITY message in every language."""

    def write(text, due, where, link):
        values = {"title": text["title"], "school": where, "date": due, "link": link}
        if due:
            body = _(
                "%(school)s has a new activity for your family: %(title)s (due %(date)s). "
                "Open it in Engage: %(link)s"
            )
        else:
            body = _(
                "%(school)s has a new activity for your family: %(title)s. "
                "Open it in Engage: %(link)s"
            )
        return {"subject": _("New activity: %(title)s") % values, "body": body % values}

    return _in_every_language(activity, write)


def reminder_content(activity: Activity) -> dict:
    """The REMINDER message in every language."""

    def write(text, due, where, link):
        values = {"title": text["title"], "school": where, "date": due, "link": link}
        body = _(
            "Reminder from %(school)s: %(title)s is waiting for your family (due %(date)s). "
            "Open it in Engage: %(link)s"
        )
        return {"subject": _("Reminder: %(title)s") % values, "body": body % values}

    return _in_every_language(activity, write)
