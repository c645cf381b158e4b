"""The demo's classes, filled: ten families per classroom besides the named demo people.

The dashboards never show a figure about fewer than 5 families, so a demo with a handful of
families would show nothing but "fewer than 5". These families are records only (no password,
at the demo's own email domain): most joined and agreed to the policy, some have not joined,
a third are recorded as disadvantaged, a quarter read Spanish. Over the past eleven weeks they
completed the superintendent's weekly at-home tasks, at rates that differ by family, and the
dashboards' nightly rebuild counts them (dashboards.rebuild).
"""

import datetime
import random
from collections import defaultdict

from django.utils import timezone

from activities.actions.authoring import TargetSpec, do_create_activity, do_publish_activity
from activities.actions.submissions import do_submit
from activities.models import Activity, Submission
from activities.queries.family import access_child_activity
from dashboards.rebuild import rebuild_district, refresh_message_stats
from guardians.actions import do_create_child, do_enroll_child, do_link_guardian
from guardians.actions.invites import do_accept_invite, do_invite_guardians
from guardians.models import Child, Invite
from notifications.models import STATUS_RANK, Delivery, Message
from privacy.actions import do_record_consents
from privacy.audit import Actor
from privacy.fields import with_keyed_hashes
from tenants.actions import do_create_user
from tenants.scope import list_scopes_for_user

FAMILIES_PER_CLASSROOM = 10
WEEKS = 11
FIRST_NAMES = [
    "Amara", "Ben", "Chloe", "Diego", "Ella", "Finn", "Gia", "Hugo", "Isla", "Jonah",
    "Kira", "Leo", "Mila", "Nico", "Olivia", "Pedro", "Quinn", "Rosa", "Sami", "Tomas",
    "Uma", "Vera", "Wes", "Ximena", "Yara", "Zane",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Baker", "Chen", "Dubois", "Evans", "Flores", "Garcia", "Hughes", "Ito",
    "Jensen", "Khan", "Lopez", "Moreno", "Novak", "Ortiz", "Park", "Quist", "Reyes",
]  # fmt: skip
TASKS = [
    ("Talk about your day", "Ask your child about the best part of their day. Write one line."),
    ("Read a page together", "Read one page of any book together. Write the book's title."),
    ("Count at dinner", "Count the forks, spoons and cups on the table. Write the numbers."),
]


def seed_class_families(district, schools, classrooms, superintendent, email_domain, actor):
    rng = random.Random(2026)
    scope = next(s for s in list_scopes_for_user(superintendent))
    families = []
    for index, (_key, classroom) in enumerate(sorted(classrooms.items())):
        for n in range(FAMILIES_PER_CLASSROOM):
            first = FIRST_NAMES[(index * 7 + n) % len(FIRST_NAMES)]
            last = LAST_NAMES[(index * 5 + n * 3) % len(LAST_NAMES)]
            families.append(_family(classroom, first, last, n, email_domain, actor))
    guardians = [guardian for guardian, _child, _n in families]
    do_invite_guardians(scope, guardians, channels=["email"], joined_ids=set(), actor=actor)
    now = timezone.now()
    tasks = _weekly_tasks(scope, schools, superintendent, now)
    for guardian, child, n in families:
        if n in (3, 7):
            continue  # invited, not joined yet
        invite = Invite.objects.get(guardian=guardian, accepted_at=None, revoked_at=None)
        do_accept_invite(invite, channel="email", actor=Actor(user=guardian))
        do_record_consents(
            guardian, district, is_policy_accepted=True, choices={}, source="demo", actor=actor
        )
        rate = (0.9, 0.7, 0.5, 0.2)[n % 4]
        family_scope = next(s for s in list_scopes_for_user(guardian) if s.is_family)
        for week, activity in tasks[child.school_id]:
            if rng.random() >= rate:
                continue
            child_row, activity = access_child_activity(family_scope, child.id, activity.id)
            submission = do_submit(
                family_scope, child_row, activity, text="We did it", actor=Actor(user=guardian)
            )
            moment = now - datetime.timedelta(
                weeks=week, days=rng.randint(0, 4), hours=rng.randint(1, 9)
            )
            Submission.objects.filter(id=submission.id).update(
                submitted_at=moment, updated_at=moment
            )
    # The named demo children's status is recorded too (not disadvantaged), as a district that
    # records it does for every pupil.
    for child in Child.objects.filter(district=district, is_disadvantaged_hash=None):
        child.is_disadvantaged = False
        child.save(update_fields=with_keyed_hashes(Child, ["is_disadvantaged"]))
    # What the nightly rebuild does: count the families' weeks from their submissions.
    rebuild_district(district)


def report_demo_deliveries(district) -> None:
    """The past weeks' messages as they would stand by now: sent in their week, most delivered,
    some emails opened, a few failed (the embedded mode's outbox reports nothing, and holds
    tonight's messages for the families' quiet hours). Run after the seed's commit, once its
    messages were fanned out; their reach is then recounted."""
    rng = random.Random(11)
    week_ago = timezone.now() - datetime.timedelta(days=6)
    published = dict(
        Activity.objects.filter(district=district, published_at__lt=week_ago).values_list(
            "id", "published_at"
        )
    )
    messages = Message.objects.filter(
        district=district, source_type="activity", source_id__in=[str(i) for i in published]
    )
    reported = defaultdict(list)
    for message in messages:
        moment = published[int(message.source_id)]
        Message.objects.filter(id=message.id).update(
            created_at=moment, queued_at=moment, fanned_out_at=moment
        )
        deliveries = Delivery.objects.filter(message=message).order_by("id")
        for delivery_id, channel in deliveries.values_list("id", "channel"):
            roll = rng.random()
            if roll < 0.03:
                reported[Delivery.Status.FAILED].append(delivery_id)
            elif channel == "email" and roll < 0.5:
                reported[Delivery.Status.OPENED].append(delivery_id)
            else:
                reported[Delivery.Status.DELIVERED].append(delivery_id)
    for status, ids in reported.items():
        Delivery.objects.filter(id__in=ids).update(status=status, status_rank=STATUS_RANK[status])
    for message_id in messages.values_list("id", flat=True):
        refresh_message_stats(message_id)


def _family(classroom, first, last, n, email_domain, actor):
    child = do_create_child(
        classroom.school,
        first_name=first,
        last_name=last,
        grade_level=classroom.grade_level,
        actor=actor,
    )
    do_enroll_child(child, classroom, actor=actor)
    child.is_disadvantaged = n % 3 == 0
    child.save(update_fields=with_keyed_hashes(type(child), ["is_disadvantaged"]))
    guardian = do_create_user(
        email=f"{first}.{last}.{classroom.id}.home@{email_domain}".lower(),
        first_name=f"{first}'s parent",
        last_name=last,
        preferred_language="es" if n % 4 == 1 else "en",
        actor=actor,
    )
    do_link_guardian(child, guardian, actor=actor)
    return guardian, child, n


def _weekly_tasks(scope, schools, superintendent, now) -> dict[int, list]:
    """{school id: [(weeks ago, activity)]}: each school's task of the week, for the past WEEKS
    weeks (an activity belongs to one school; each is published in its week)."""
    tasks = {}
    for school in schools.values():
        tasks[school.id] = []
        for week in range(WEEKS, 0, -1):
            title, instructions = TASKS[week % len(TASKS)]
            activity = do_create_activity(
                scope,
                kind=Activity.Kind.TASK,
                title=f"{title} (week {WEEKS - week + 1})",
                instructions=instructions,
                response=Activity.Response.TEXT,
                targets=[TargetSpec(school=school)],
                actor=Actor(user=superintendent),
            )
            do_publish_activity(activity, actor=Actor(user=superintendent))
            published = now - datetime.timedelta(weeks=week, days=1)
            Activity.objects.filter(id=activity.id).update(published_at=published)
            tasks[school.id].append((week, activity))
    return tasks
