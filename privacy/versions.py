"""Versions of a district's privacy policy and what they ask of families (PROMISES S4, C2).

A district admin publishes a version with the day it takes effect. A material change must be
published at least MATERIAL_NOTICE_DAYS ahead; publishing it tells the district's admins at once
(a required PRIVACY_NOTICE, queued after commit), and from the day it takes effect the consent
gate (privacy.queries.has_consented_to_policy_in_force) asks every family to agree again at their
next sign-in. A non-material change asks nothing: families are shown its summary once
(`show_policy_changes`, remembered by a PolicySummaryShown row).

Safe to re-run: a version string is unique per district, so publishing twice is refused and
nobody is told twice; the summaries shown are recorded with ignore_conflicts.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest
from django.template.defaultfilters import linebreaks_filter
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from privacy.audit import Actor, record_audit_event
from privacy.models import Consent, PolicySummaryShown, PolicyVersion
from tenants.actions import ActionError
from tenants.models import District, Membership, Role, User
from tenants.scope import Scope

MATERIAL_NOTICE_DAYS = 30


# --- Reads --------------------------------------------------------------------------------------


def list_versions_for_scope(scope: Scope) -> list[PolicyVersion]:
    """The district's versions, the latest to take effect first (one query)."""
    return list(
        PolicyVersion.objects.filter(district_id=scope.district.id).order_by("-effective_at", "-id")
    )


def access_policy_version(scope: Scope, version_id: int) -> PolicyVersion:
    """One of the scope's district's versions; another district's id is a 404."""
    version = PolicyVersion.objects.filter(district_id=scope.district.id, id=version_id).first()
    if version is None:
        raise Http404
    return version


def _is_after(version: PolicyVersion) -> Q:
    """Versions that come after `version` in the order the policy in force is chosen by."""
    return Q(effective_at__gt=version.effective_at) | Q(
        effective_at=version.effective_at, id__gt=version.id
    )


def get_material_version_in_force(district_id: int) -> PolicyVersion | None:
    """The newest material version already in effect: every family's consent must cover it."""
    return (
        PolicyVersion.objects.filter(
            district_id=district_id, is_material=True, effective_at__lte=timezone.now()
        )
        .order_by("-effective_at", "-id")
        .first()
    )


def is_consent_current(consent: Consent, district: District) -> bool:
    """Does a granted policy consent cover every material version in force? Versions published
    after it that are not material do not ask the family again (S4)."""
    material = PolicyVersion.objects.filter(
        district_id=district.id, is_material=True, effective_at__lte=timezone.now()
    )
    if consent.policy_version_id is not None:
        material = material.filter(_is_after(consent.policy_version))
    return not material.exists()


@dataclass(frozen=True)
class ConsentCounts:
    families: int
    agreed: int

    @property
    def not_yet(self) -> int:
        return self.families - self.agreed


def in_force_among(versions: list[PolicyVersion]) -> tuple[PolicyVersion | None, ...]:
    """(the version in force, the newest material one in force) among all of a district's
    versions, without a query."""
    now = timezone.now()
    ordered = sorted(
        (v for v in versions if v.effective_at <= now), key=lambda v: (v.effective_at, v.id)
    )
    material = [v for v in ordered if v.is_material]
    return (ordered[-1] if ordered else None, material[-1] if material else None)


def get_consent_counts(
    district: District, all_versions: list[PolicyVersion] | None = None
) -> ConsentCounts:
    """How many of the district's families agreed to the policy in force, and how many have not
    yet (they are asked at their next sign-in). One query whatever the number of families, and
    one more unless the district's versions are given."""
    if all_versions is None:
        material = get_material_version_in_force(district.id)
    else:
        material = in_force_among(all_versions)[1]
    latest = Consent.objects.filter(
        district_id=district.id, user_id=OuterRef("user_id"), kind=Consent.Kind.PRIVACY_POLICY
    ).order_by("-recorded_at", "-id")
    families = Membership.objects.filter(
        district_id=district.id, role=Role.GUARDIAN, is_active=True, user__is_active=True
    ).annotate(
        is_granted=Subquery(latest.values("is_granted")[:1]),
        version_effective_at=Subquery(latest.values("policy_version__effective_at")[:1]),
        version_id=Subquery(latest.values("policy_version_id")[:1]),
    )
    agreed = Q(is_granted=True)
    if material is not None:
        agreed &= Q(version_effective_at__gt=material.effective_at) | Q(
            version_effective_at=material.effective_at, version_id__gte=material.id
        )
    counts = families.aggregate(families=Count("id"), agreed=Count("id", filter=agreed))
    return ConsentCounts(families=counts["families"], agreed=counts["agreed"])


def get_version_state(version: PolicyVersion, in_force: PolicyVersion | None) -> str:
    """ "in_force", "scheduled" (not in effect yet) or "replaced"."""
    if in_force is not None and version.id == in_force.id:
        return "in_force"
    return "scheduled" if version.effective_at > timezone.now() else "replaced"


# --- Publishing ---------------------------------------------------------------------------------


def start_of_day(day: datetime.date, district: District) -> datetime.datetime:
    """Midnight at the start of `day` in the district's time zone."""
    zone = zoneinfo.ZoneInfo(district.timezone)
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)


def earliest_effective_day(district: District, *, is_material: bool) -> datetime.date:
    """The first day a new version may take effect: today, or 30 days ahead if material."""
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(district.timezone))
    return today + datetime.timedelta(days=MATERIAL_NOTICE_DAYS if is_material else 0)


@transaction.atomic
def do_publish_policy_version(
    district: District,
    *,
    version: str,
    title: str,
    summary: str,
    changes_summary: str,
    url: str = "",
    effective_on: datetime.date,
    is_material: bool,
    actor: Actor,
) -> PolicyVersion:
    """Publish a version that takes effect at the start of `effective_on` (district time).

    Raises ActionError for a material change less than 30 days ahead, a day in the past or
    before a version already published, or a version string the district already used. A
    material version notifies the district's admins (after commit) and records when.
    """
    version = version.strip()
    now = timezone.now()
    # Never before publication: a version taking effect today is in force from now.
    effective_at = max(start_of_day(effective_on, district), now)
    _check_publishable(district, version, effective_on, effective_at, is_material=is_material)
    policy = PolicyVersion.objects.create(
        district=district,
        version=version,
        title=title.strip(),
        summary=summary.strip(),
        changes_summary=changes_summary.strip(),
        url=url.strip(),
        effective_at=effective_at,
        is_material=is_material,
        published_by=actor.user,
        created_at=now,
        notified_at=now if is_material else None,
    )
    record_audit_event(
        actor=actor,
        action="policy_version.published",
        target=policy,
        metadata={
            "version": policy.version,
            "is_material": is_material,
            "effective": effective_on.isoformat(),
        },
    )
    if is_material:
        _notify_district_admins(policy, effective_on, actor=actor)
    return policy


def _check_publishable(
    district: District,
    version: str,
    effective_on: datetime.date,
    effective_at: datetime.datetime,
    *,
    is_material: bool,
) -> None:
    if not version:
        raise ActionError(_("Give the version a name, such as the date it was written."))
    if PolicyVersion.objects.filter(district_id=district.id, version=version).exists():
        raise ActionError(
            _("This district already has a version %(version)s.") % {"version": version}
        )
    earliest = earliest_effective_day(district, is_material=is_material)
    if effective_on < earliest:
        if is_material:
            raise ActionError(
                _(
                    "A material change needs %(days)s days' notice: it can take effect on "
                    "%(date)s at the earliest."
                )
                % {"days": MATERIAL_NOTICE_DAYS, "date": formats.date_format(earliest)}
            )
        raise ActionError(_("A new version cannot take effect in the past."))
    latest = (
        PolicyVersion.objects.filter(district_id=district.id)
        .order_by("-effective_at", "-id")
        .first()
    )
    if latest is not None and effective_at < latest.effective_at:
        raise ActionError(
            _("A new version takes effect after version %(version)s (%(date)s) at the earliest.")
            % {
                "version": latest.version,
                "date": formats.date_format(
                    timezone.localtime(latest.effective_at, zoneinfo.ZoneInfo(district.timezone))
                ),
            }
        )


def _notify_district_admins(policy: PolicyVersion, effective_on: datetime.date, *, actor: Actor):
    """The 30 days' notice: a required message to every district admin, in each language."""
    from privacy.notices import do_queue_admin_notice

    district = policy.district
    content = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            values = {
                "district": district.name,
                "version": policy.version,
                "date": formats.date_format(effective_on, "DATE_FORMAT"),
                "changes": policy.changes_summary or policy.summary,
            }
            content[language] = {
                "subject": _("Privacy policy %(version)s takes effect on %(date)s") % values,
                "body": _(
                    "A material change to the privacy policy of %(district)s was published: "
                    "version %(version)s takes effect on %(date)s. From that day every family "
                    "is asked to agree to it again when they next sign in.\n\n"
                    "What changed:\n%(changes)s"
                )
                % values,
            }
    do_queue_admin_notice(
        district,
        content=content,
        source=("policy_version", policy.id),
        author=actor.user,
        actor=actor,
    )


# --- What families are told at sign-in ----------------------------------------------------------


def list_changes_since_consent(user: User, district: District) -> list[PolicyVersion]:
    """Versions in force that came after the one the person last agreed to and whose summary
    they still need to see: material ones until they agree again, the others once."""
    consent = (
        Consent.objects.filter(
            district_id=district.id, user_id=user.id, kind=Consent.Kind.PRIVACY_POLICY
        )
        .select_related("policy_version")
        .order_by("-recorded_at", "-id")
        .first()
    )
    if consent is None or not consent.is_granted or consent.policy_version is None:
        return []
    shown = PolicySummaryShown.objects.filter(user_id=user.id, policy_version_id=OuterRef("id"))
    return list(
        PolicyVersion.objects.filter(district_id=district.id, effective_at__lte=timezone.now())
        .filter(_is_after(consent.policy_version))
        .annotate(was_shown=Exists(shown))
        .filter(Q(is_material=True) | Q(was_shown=False))
        .order_by("effective_at", "id")
    )


@transaction.atomic
def do_record_summaries_shown(user: User, versions: list[PolicyVersion]) -> None:
    """Remember that the person saw these non-material changes, so they are not shown again."""
    PolicySummaryShown.objects.bulk_create(
        [
            PolicySummaryShown(district_id=v.district_id, user=user, policy_version=v)
            for v in versions
            if not v.is_material
        ],
        ignore_conflicts=True,
    )


def show_policy_changes(request: HttpRequest, district: District) -> None:
    """Tell a family in the browser what changed in the policy since they agreed (S4).

    Called by the consent gate (tenants.views_base) once per session, before it checks the
    consent. Pages only: API clients (a DRF request, not an HttpRequest) get nothing, so nothing
    is recorded as shown to them.
    """
    if not isinstance(request, HttpRequest) or not request.user.is_authenticated:
        return
    versions = list_changes_since_consent(request.user, district)
    if not versions:
        return
    messages.info(request, _changes_message(versions, district), fail_silently=True)
    do_record_summaries_shown(request.user, versions)


def _changes_message(versions: list[PolicyVersion], district: District) -> str:
    asks_again = any(v.is_material for v in versions)
    zone = zoneinfo.ZoneInfo(district.timezone)
    items = format_html_join(
        "",
        "<div><strong>{}</strong> {}</div>",
        (
            (
                _("Version %(version)s, from %(date)s:")
                % {
                    "version": v.version,
                    "date": formats.date_format(timezone.localtime(v.effective_at, zone)),
                },
                linebreaks_filter(v.changes_summary or v.summary, autoescape=True),
            )
            for v in versions
        ),
    )
    lead = (
        _("%(district)s changed its privacy policy. Please read what changed and agree again.")
        if asks_again
        else _(
            "%(district)s updated its privacy policy. You do not need to do anything; here is "
            "what changed."
        )
    ) % {"district": district.name}
    return format_html("<p>{}</p>{}", lead, items)
