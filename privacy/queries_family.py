"""Reads for a family's own privacy page (/privacy/me/): what Engage holds about the guardian and
each child they have access to, the clocks running on their account and children, their
requests, consents and the policy windows that apply.

One person's scope: everything is read for `scope.user` in `scope.district`, through their own
active links with access (PROMISES V6), never another family's rows. The page costs a fixed
number of queries whatever the number of children, submissions or photos (counts are subqueries).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activities.models import BadgeAward, ChildProgress, Submission, SubmissionPhoto
from guardians.models import Child, Enrollment, GuardianLink, GuardianProfile, HouseholdMember
from notifications.models import Delivery, NotificationPreference
from privacy.classification import Category
from privacy.lifecycle import inactivity_due_dates
from privacy.models import (
    AuditEvent,
    Consent,
    LifecycleTimer,
    PolicyVersion,
    PrivacyRequest,
    ProcessingRestriction,
)
from privacy.policy import WINDOWS_BY_NAME, Policy, Unit
from privacy.queries import get_policy, get_policy_in_force
from tenants.models import Membership, Role, School, User
from tenants.scope import Scope

TimerKind = LifecycleTimer.Kind

# The policy windows a family is told about, in the order the page lists them.
FAMILY_WINDOWS = (
    "restore_days",
    "closure_hold_days",
    "inactivity_months",
    "inactivity_notice_days",
    "removed_child_days",
    "erasure_days",
    "access_request_days",
    "message_body_days",
    "security_log_months",
)

# Plain-language names, reasons and readers of each personal-data category
# (privacy.classification), as the family page explains them.
CATEGORY_TEXT = {
    Category.IDENTITY: (
        _("Who you are"),
        _("So the school knows who you are and which children you look after."),
        _("Your children's teachers and school admins."),
    ),
    Category.CONTACT: (
        _("How to reach you"),
        _("To send you the school's messages and your sign-in codes."),
        _(
            "Your children's teachers and school admins. Another guardian of your child sees "
            "them only if you live in the same household."
        ),
    ),
    Category.STUDENT_RECORD: (
        _("School record"),
        _("It comes from the school's own records, which the school owns."),
        _("Your child's teachers and school admins."),
    ),
    Category.SENSITIVE: (
        _("Sensitive details"),
        _("Only what the school sent to check a guardian's identity, or what you chose to give."),
        _("School admins only."),
    ),
    Category.CONTENT: (
        _("What you sent"),
        _("So your child's teacher can see the work and give feedback."),
        _(
            "Your child's teachers and school admins. Other families never see it: they see "
            "only the leaderboard (how many activities, not what was sent)."
        ),
    ),
    Category.USAGE: (
        _("Progress and use"),
        _("To show progress and badges, and for the school's participation figures."),
        _("Your child's teachers and school admins; other families see only the leaderboard."),
    ),
    Category.PREFERENCE: (
        _("Your choices"),
        _("So Engage does what you asked, and can show what you agreed to and when."),
        _("You, and your school's admins."),
    ),
    Category.SECURITY: (
        _("Security records"),
        _("To keep accounts safe: who signed in and what changed, for a limited time."),
        _("The district's privacy administrators."),
    ),
}


def category_of(model, field_name: str) -> str:
    """The field's personal-data category, as the model classifies it."""
    return model.data_classification[field_name]


@dataclass(frozen=True)
class HeldItem:
    label: str
    value: str
    category: str


@dataclass
class HeldGroup:
    category: str
    title: str
    why: str
    who: str
    items: list[HeldItem] = field(default_factory=list)


def group_by_category(items: list[HeldItem]) -> list[HeldGroup]:
    """Items grouped by category, in the order of CATEGORY_TEXT."""
    groups = []
    for category, (title, why, who) in CATEGORY_TEXT.items():
        found = [item for item in items if item.category == category]
        if found:
            groups.append(HeldGroup(category, str(title), str(why), str(who), found))
    return groups


@dataclass
class ChildSummary:
    child: Child
    link: GuardianLink
    classrooms: list
    submissions: int
    photos: int
    badges: int
    other_guardians: int
    progress: ChildProgress | None = None
    deletion_due: datetime.datetime | None = None

    @property
    def held(self) -> list[HeldGroup]:
        return group_by_category(child_items(self))


@dataclass(frozen=True)
class PolicyWindowRow:
    label: str
    value: str


@dataclass
class PrivacyOverview:
    user: User
    children: list[ChildSummary]
    schools: list[School]
    consents: dict[str, Consent]
    policy_in_force: PolicyVersion | None
    policy: Policy
    profile: GuardianProfile | None
    household: object | None
    preferences: NotificationPreference | None
    messages_received: int
    requests: list[PrivacyRequest]
    restriction: ProcessingRestriction | None
    has_staff_role: bool
    closes_on: datetime.datetime | None = None
    notice_on: datetime.datetime | None = None
    deletion_due: datetime.datetime | None = None

    @property
    def held(self) -> list[HeldGroup]:
        return group_by_category(guardian_items(self))

    @property
    def has_agreed_to_policy(self) -> bool:
        """Has the person agreed to the policy version in force (C2)?"""
        consent = self.consents.get(Consent.Kind.PRIVACY_POLICY)
        if consent is None or not consent.is_granted:
            return False
        in_force = self.policy_in_force
        return in_force is None or consent.policy_version_id == in_force.id

    def is_granted(self, kind: str) -> bool:
        consent = self.consents.get(kind)
        return bool(consent and consent.is_granted)

    @property
    def open_requests(self) -> list[PrivacyRequest]:
        return [r for r in self.requests if r.status == PrivacyRequest.Status.OPEN]

    @property
    def windows(self) -> list[PolicyWindowRow]:
        return [
            PolicyWindowRow(str(WINDOWS_BY_NAME[name].label), describe_window(self.policy, name))
            for name in FAMILY_WINDOWS
        ]


def describe_window(policy: Policy, name: str) -> str:
    value, unit = policy.values[name], WINDOWS_BY_NAME[name].unit
    if unit == Unit.MONTHS:
        return ngettext("%(n)d month", "%(n)d months", value) % {"n": value}
    if unit == Unit.BUSINESS_DAYS:
        return ngettext("%(n)d working day", "%(n)d working days", value) % {"n": value}
    return ngettext("%(n)d day", "%(n)d days", value) % {"n": value}


# --- the family's children --------------------------------------------------------------------


def list_family_links(scope: Scope):
    """The scope's own active links with access in its district, with their child and school.
    A removed child whose link the guardian kept stays listed: their data stays available to
    the family (PROMISES R4)."""
    return (
        GuardianLink.objects.filter(
            district_id=scope.district.id,
            guardian_id=scope.user.id,
            is_active=True,
            has_access=True,
        )
        .select_related("child", "child__school")
        .order_by("child__first_name", "child__last_name", "child_id")
    )


def _count(queryset, outer: str = "child_id"):
    """A subquery counting `queryset`'s rows for the outer row's child (0 when none)."""
    counted = (
        queryset.filter(child_id=OuterRef(outer))
        .order_by()
        .values("child_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def list_child_summaries(scope: Scope) -> list[ChildSummary]:
    """Each child the guardian has access to, with counts of what Engage holds. 3 queries."""
    district_id = scope.district.id
    photos = (
        SubmissionPhoto.objects.filter(
            district_id=district_id,
            submission__child_id=OuterRef("child_id"),
            status=SubmissionPhoto.Status.READY,
        )
        .order_by()
        .values("district_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    others = (
        GuardianLink.objects.filter(
            district_id=district_id,
            child_id=OuterRef("child_id"),
            is_active=True,
            has_access=True,
        )
        .exclude(guardian_id=scope.user.id)
        .order_by()
        .values("child_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    links = list(
        list_family_links(scope)
        .annotate(
            n_submissions=_count(Submission.objects.filter(district_id=district_id)),
            n_badges=_count(BadgeAward.objects.filter(district_id=district_id)),
            n_photos=Coalesce(Subquery(photos, output_field=IntegerField()), 0),
            n_others=Coalesce(Subquery(others, output_field=IntegerField()), 0),
        )
        .prefetch_related(
            Prefetch(
                "child__enrollments",
                queryset=Enrollment.objects.filter(
                    is_active=True, classroom__school_year__is_current=True
                ).select_related("classroom"),
                to_attr="current_enrollments",
            )
        )
    )
    progress = {
        p.child_id: p
        for p in ChildProgress.objects.filter(
            district_id=district_id, child_id__in=[link.child_id for link in links]
        )
    }
    return [
        ChildSummary(
            child=link.child,
            link=link,
            classrooms=[e.classroom for e in link.child.current_enrollments],
            submissions=link.n_submissions,
            photos=link.n_photos,
            badges=link.n_badges,
            other_guardians=link.n_others,
            progress=progress.get(link.child_id),
        )
        for link in links
    ]


def _held(rows) -> list[HeldItem]:
    """A HeldItem for each (label, value, model, field) that is held (a value that is not
    empty), in the category the model gives the field."""
    return [
        HeldItem(label, str(value), category_of(model, field))
        for label, value, model, field in rows
        if value
    ]


def child_items(summary: ChildSummary) -> list[HeldItem]:
    """What Engage holds about one child, each item with its classification."""
    child, progress, link = summary.child, summary.progress, summary.link
    points = progress.points if progress else 0
    return _held(
        [
            (_("Name"), child.display_name, Child, "first_name"),
            (_("School"), child.school.name, Child, "school"),
            (_("Class"), ", ".join(c.name for c in summary.classrooms), Enrollment, "classroom"),
            (_("Grade"), child.grade_level, Child, "grade_level"),
            (_("Pupil number"), child.pupil_number, Child, "pupil_number"),
            (_("Date of birth"), child.birth_date and _date(child.birth_date), Child, "birth_date"),
            (_("Your relationship"), link.get_relationship_display(), GuardianLink, "relationship"),
            (
                _("Other guardians"),
                summary.other_guardians and _("Another guardian is linked to this child."),
                GuardianLink,
                "guardian",
            ),
            (
                _("Activities and photos"),
                _activities_and_photos(summary.submissions, summary.photos),
                Submission,
                "text",
            ),
            (
                _("Progress"),
                progress and ngettext("%(n)d point", "%(n)d points", points) % {"n": points},
                ChildProgress,
                "points",
            ),
            (
                _("Badges"),
                ngettext("%(n)d badge", "%(n)d badges", summary.badges) % {"n": summary.badges}
                if summary.badges
                else "",
                BadgeAward,
                "kind",
            ),
            (_("Leaderboard"), _leaderboard_choice(progress), ChildProgress, "is_on_leaderboard"),
        ]
    )


def _leaderboard_choice(progress: ChildProgress | None) -> str:
    if progress is None:
        return ""
    if not progress.is_on_leaderboard:
        return _("not on the leaderboard")
    return progress.nickname or _("no nickname")


def _activities_and_photos(submissions: int, photos: int) -> str:
    done = ngettext("%(n)d activity completed", "%(n)d activities completed", submissions) % {
        "n": submissions
    }
    sent = ngettext("%(n)d photo", "%(n)d photos", photos) % {"n": photos}
    return f"{done}, {sent}"


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


# --- the guardian ------------------------------------------------------------------------------


def guardian_items(overview: PrivacyOverview) -> list[HeldItem]:
    """What Engage holds about the guardian themself, each item with its classification."""
    user, profile = overview.user, overview.profile
    if profile is not None and profile.is_skipped:
        profile = None
    consents, received = len(overview.consents), overview.messages_received
    months = overview.policy.security_log_months
    preferences = overview.preferences
    return _held(
        [
            (_("Name"), user.get_full_name(), User, "first_name"),
            (_("Email"), user.email, User, "email"),
            (_("Mobile phone"), user.phone, User, "phone"),
            (
                _("Household"),
                overview.household and _("Your household's address, as the school recorded it."),
                HouseholdMember,
                "household",
            ),
            (
                _("Relationship (your profile)"),
                profile and profile.get_relationship_display(),
                GuardianProfile,
                "relationship",
            ),
            (
                _("Children's grades (your profile)"),
                profile and profile.children_grades,
                GuardianProfile,
                "children_grades",
            ),
            (
                _("Ethnicity (your profile)"),
                profile and profile.ethnicity,
                GuardianProfile,
                "ethnicity",
            ),
            (_("Language"), user.get_preferred_language_display(), User, "preferred_language"),
            (
                _("Agreements"),
                ngettext("%(n)d choice recorded", "%(n)d choices recorded", consents)
                % {"n": consents},
                Consent,
                "is_granted",
            ),
            (
                _("Message settings"),
                preferences and preferences.get_channels_display(),
                NotificationPreference,
                "channels",
            ),
            (
                _("Messages"),
                ngettext("%(n)d message sent to you", "%(n)d messages sent to you", received)
                % {"n": received},
                Delivery,
                "status",
            ),
            (_("Joined"), _date(user.date_joined), User, "date_joined"),
            (_("Last sign-in"), user.last_login and _date(user.last_login), User, "last_login"),
            (
                _("Sign-in and change records"),
                ngettext("kept for %(n)d month", "kept for %(n)d months", months) % {"n": months},
                AuditEvent,
                "actor",
            ),
        ]
    )


def get_privacy_overview(scope: Scope, *, now: datetime.datetime | None = None) -> PrivacyOverview:
    """Everything the family privacy page shows, for the scope's guardian. 14 queries, whatever
    the number of children, submissions, photos or messages."""
    now = now or timezone.now()
    user, district = scope.user, scope.district
    children = list_child_summaries(scope)
    consents = get_consent_history(user, district.id)
    overview = PrivacyOverview(
        user=user,
        children=children,
        schools=_schools_of(children),
        consents={c.kind: c for c in consents},
        policy_in_force=get_policy_in_force(district),
        policy=get_policy(district.id),
        profile=GuardianProfile.objects.filter(
            district_id=district.id, guardian_id=user.id
        ).first(),
        household=HouseholdMember.objects.filter(district_id=district.id, guardian_id=user.id)
        .select_related("household")
        .first(),
        preferences=NotificationPreference.objects.filter(user_id=user.id).first(),
        messages_received=count_messages_received(user, district.id),
        requests=list(list_family_requests(user, district.id)[:20]),
        restriction=get_restriction(user, district.id),
        has_staff_role=has_staff_role(user),
    )
    _add_clocks(overview, now)
    return overview


def _schools_of(children: list[ChildSummary]) -> list[School]:
    schools = {s.child.school_id: s.child.school for s in children}
    return sorted(schools.values(), key=lambda school: school.name)


def get_consent_history(user: User, district_id: int) -> list[Consent]:
    """The person's consent decisions in the district, oldest first, with the policy version
    each one was given to: the last row of each kind is the one in force."""
    return list(
        Consent.objects.filter(district_id=district_id, user_id=user.id)
        .select_related("policy_version")
        .order_by("recorded_at", "id")
    )


def count_messages_received(user: User, district_id: int) -> int:
    """Messages of the district that reached the person (any channel, each message once)."""
    return (
        Delivery.objects.filter(district_id=district_id, recipient_id=user.id)
        .values("message_id")
        .distinct()
        .count()
    )


def list_family_requests(user: User, district_id: int):
    """The person's own privacy requests in the district, newest first."""
    return (
        PrivacyRequest.objects.filter(district_id=district_id, requester_id=user.id)
        .select_related("school")
        .order_by("-created_at", "-id")
    )


def get_restriction(user: User, district_id: int) -> ProcessingRestriction | None:
    """The person's restriction of processing in force in the district (R13), if any."""
    return ProcessingRestriction.objects.filter(
        district_id=district_id, user_id=user.id, lifted_at__isnull=True
    ).first()


def has_staff_role(user: User) -> bool:
    """Does the person also work for a school or district? Their account is then kept by their
    employer: they cannot close it themselves, and it never closes for inactivity."""
    return (
        Membership.objects.filter(user_id=user.id, is_active=True)
        .exclude(role=Role.GUARDIAN)
        .exists()
    )


def _add_clocks(overview: PrivacyOverview, now: datetime.datetime) -> None:
    """The account's and the children's open clocks (LifecycleTimer rows); the inactivity
    closure computed from the last sign-in and the policy when no timer exists yet. 1 query."""
    user = overview.user
    child_ids = [s.child.id for s in overview.children]
    timers = LifecycleTimer.objects.filter(
        state__in=[LifecycleTimer.State.PENDING, LifecycleTimer.State.RUNNING],
        kind__in=[
            TimerKind.INACTIVITY_NOTICE,
            TimerKind.INACTIVITY_CLOSURE,
            TimerKind.ACCOUNT_DELETION,
            TimerKind.CHILD_DELETION,
        ],
    ).filter(
        Q(subject_type="tenants.user", subject_id=user.id)
        | Q(subject_type="guardians.child", subject_id__in=child_ids)
    )
    by_child = {}
    for timer in timers:
        if timer.kind == TimerKind.CHILD_DELETION:
            by_child[timer.subject_id] = timer.due_at
        elif timer.kind == TimerKind.INACTIVITY_CLOSURE:
            overview.closes_on = timer.due_at
        elif timer.kind == TimerKind.INACTIVITY_NOTICE:
            overview.notice_on = timer.due_at
        else:
            overview.deletion_due = timer.due_at
    for summary in overview.children:
        summary.deletion_due = by_child.get(summary.child.id)
    if overview.has_staff_role:
        overview.closes_on = overview.notice_on = None
    elif overview.closes_on is None:
        notice, closure = inactivity_due_dates(overview.policy, user.last_login or now)
        overview.closes_on, overview.notice_on = closure, notice


def list_family_schools(scope: Scope):
    """The schools of the children the guardian has access to (where a correction can go)."""
    child_school_ids = list_family_links(scope).values("child__school_id")
    return School.objects.filter(district_id=scope.district.id, id__in=child_school_ids).order_by(
        "name", "id"
    )


def get_open_request(user: User, district_id: int, kind: str) -> PrivacyRequest | None:
    """The person's open request of `kind` in the district, if any."""
    return (
        list_family_requests(user, district_id)
        .filter(kind=kind, status=PrivacyRequest.Status.OPEN)
        .first()
    )
