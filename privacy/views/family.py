"""A family's own privacy page (/privacy/me/) and what it lets a guardian do for themself and
their children: see what Engage holds and the clocks running, download it all (R6), change
their opt-ins (C3, C4), ask for a correction (R14), restrict processing (R13), close their
account (R2) or ask to be forgotten (R5).

Every page needs privacy:self and is exempt from the consent gate (a family that has not agreed
to a new policy can still see, take or delete its data). Each view acts on the signed-in person
and their own children only: a school id that is not one of their children's is a 404 before
anything is written. Every POST is CSRF-protected (the middleware) and audited by its action.
"""

import datetime

from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from privacy import queries_family as queries
from privacy.actions import do_record_consents
from privacy.audit import Actor
from privacy.export import ExportRateLimited, do_export_family_data
from privacy.forms import CorrectionForm, FamilyConsentForm
from privacy.lifecycle import do_close_account
from privacy.models import Consent, PrivacyRequest
from privacy.queries import get_policy, has_consented_to_policy_in_force
from privacy.requests import do_create_request, do_lift_restriction, do_restrict_processing
from tenants.actions import ActionError
from tenants.middleware import get_scopes
from tenants.roles import Cap
from tenants.views_base import public_view, remember_policy_agreed, scoped_view

SELF = Cap.PRIVACY_SELF
POST_ONLY = {"POST": SELF}
PAGE = {"GET": SELF, "POST": SELF}
# What the public "account closed" page shows after sign-out: {"delete_on", "erase_by"} dates.
CLOSED_SESSION_KEY = "engage_account_closed"
Kind = PrivacyRequest.Kind


def _back(anchor: str = ""):
    return redirect(reverse("privacy:me") + (f"#{anchor}" if anchor else ""))


@scoped_view(SELF)
def me(request, scope):
    """What Engage holds about the guardian and their children, the clocks, and their choices."""
    overview = queries.get_privacy_overview(scope)
    consent_form = FamilyConsentForm(
        needs_policy=not overview.has_agreed_to_policy,
        initial={
            "photo_promotion": overview.is_granted(Consent.Kind.PHOTO_PROMOTION),
            "non_essential": overview.is_granted(Consent.Kind.NON_ESSENTIAL_MESSAGES),
        },
    )
    return render(
        request,
        "privacy/family/me.html",
        {"overview": overview, "consent_form": consent_form, "Kind": Consent.Kind},
    )


@scoped_view(POST_ONLY)
def export(request, scope):
    """The family's data as a ZIP, built at once (R6), recorded and rate limited."""
    try:
        out, _export = do_export_family_data(scope, actor=Actor.from_request(request))
    except ExportRateLimited as error:
        messages.error(request, str(error))
        return _back("download")
    filename = f"engage-data-{timezone.localdate():%Y-%m-%d}.zip"
    response = FileResponse(
        out, as_attachment=True, filename=filename, content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@scoped_view(POST_ONLY)
def consents(request, scope):
    """Change the optional opt-ins (C3, C4); the policy too when a new version awaits."""
    needs_policy = not has_consented_to_policy_in_force(scope.user, scope.district)
    form = FamilyConsentForm(request.POST, needs_policy=needs_policy)
    if not form.is_valid():
        messages.error(request, _("Please agree to the privacy policy to save your choices."))
        return _back("choices")
    do_record_consents(
        scope.user,
        scope.district,
        is_policy_accepted=True,
        choices={
            Consent.Kind.PHOTO_PROMOTION: form.cleaned_data["photo_promotion"],
            Consent.Kind.NON_ESSENTIAL_MESSAGES: form.cleaned_data["non_essential"],
        },
        source="settings",
        actor=Actor.from_request(request),
    )
    remember_policy_agreed(request, scope.district.id)
    messages.success(request, _("Your choices are saved."))
    return _back("choices")


@scoped_view(PAGE)
def correction(request, scope):
    """Ask a child's school to correct something (R14): the request joins the school's queue."""
    schools = list(queries.list_family_schools(scope))
    if request.method == "POST" and _posted_id(request, "school") not in {s.id for s in schools}:
        raise Http404
    form = CorrectionForm(request.POST or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        school = next(s for s in schools if s.id == form.cleaned_data["school"])
        try:
            do_create_request(
                scope.district,
                kind=Kind.CORRECTION,
                requester=scope.user,
                school=school,
                details=form.cleaned_data["details"],
                actor=Actor.from_request(request),
            )
        except ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Your request was sent to %(school)s.") % {"school": school.name}
            )
            return _back("requests")
    return render(request, "privacy/family/correction.html", {"form": form, "schools": schools})


def _posted_id(request, name: str) -> int | None:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return None


@scoped_view(POST_ONLY)
def restriction(request, scope):
    """Restrict processing at once (R13), or lift the restriction."""
    action, actor = request.POST.get("action"), Actor.from_request(request)
    if action == "restrict":
        do_restrict_processing(scope.user, scope.district, actor=actor)
        messages.success(
            request,
            _(
                "Done. Engage sends you only privacy notices, and your children are off the "
                "leaderboards."
            ),
        )
    elif action == "lift":
        do_lift_restriction(scope.user, scope.district, actor=actor)
        messages.success(request, _("Done. Engage works for you as before."))
    else:
        return HttpResponseBadRequest()
    return _back("restriction")


@scoped_view(PAGE)
def close(request, scope):
    """Close the account (R2): deactivated at once, held, then deleted; signed out."""
    policy = get_policy(scope.district.id)
    has_staff_role = queries.has_staff_role(scope.user)
    if request.method == "POST" and not has_staff_role:
        timer = do_close_account(
            scope.user,
            district=scope.district,
            actor=Actor.from_request(request),
            reason="closed by the family",
        )
        return _signed_out(request, delete_on=timer.due_at)
    return render(
        request,
        "privacy/family/close.html",
        {
            "delete_on": policy.after("closure_hold_days", timezone.now()),
            "policy": policy,
            "has_staff_role": has_staff_role,
            "other_districts": _other_districts(request, scope),
        },
    )


@scoped_view(PAGE)
def forget(request, scope):
    """Ask to be forgotten (R5): an erasure request carried out by the daily job within the
    window, and the account closed at once so nothing more is sent while it waits (for a person
    who also works for a school, whose account their employer keeps: processing restricted)."""
    open_request = queries.get_open_request(scope.user, scope.district.id, Kind.ERASURE)
    has_staff_role = queries.has_staff_role(scope.user)
    if request.method == "POST" and open_request is None:
        try:
            erasure, timer = _request_erasure(scope, has_staff_role, Actor.from_request(request))
        except ActionError as error:
            messages.error(request, str(error))
            return _back("requests")
        if has_staff_role:
            messages.success(
                request,
                _("Your request is recorded. It will be carried out by %(date)s.")
                % {"date": _format_date(erasure.due_at)},
            )
            return _back("requests")
        return _signed_out(request, delete_on=timer.due_at, erase_by=erasure.due_at)
    policy = get_policy(scope.district.id)
    return render(
        request,
        "privacy/family/forget.html",
        {
            "open_request": open_request,
            "erase_by": policy.after("erasure_days", timezone.now()),
            "policy": policy,
            "has_staff_role": has_staff_role,
            "other_districts": _other_districts(request, scope),
        },
    )


@transaction.atomic
def _request_erasure(scope, has_staff_role: bool, actor: Actor):
    """(the ERASURE request, the account's deletion timer or None), in one transaction."""
    erasure = do_create_request(
        scope.district, kind=Kind.ERASURE, requester=scope.user, actor=actor
    )
    if has_staff_role:
        do_restrict_processing(scope.user, scope.district, actor=actor)
        return erasure, None
    timer = do_close_account(
        scope.user, district=scope.district, actor=actor, reason="erasure requested"
    )
    return erasure, timer


def _other_districts(request, scope) -> list:
    """Other districts where the person is a guardian (their one account closes there too)."""
    return [s.district for s in get_scopes(request) if s.is_family and s.district != scope.district]


def _format_date(value: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT")


def _signed_out(request, *, delete_on, erase_by=None):
    """Sign the person out, then show the public page saying what happens next."""
    logout(request)
    request.session[CLOSED_SESSION_KEY] = {
        "delete_on": timezone.localtime(delete_on).date().isoformat(),
        "erase_by": timezone.localtime(erase_by).date().isoformat() if erase_by else None,
    }
    return redirect("privacy:closed")


@public_view
def closed(request):
    """The public "account closed" page, after sign-out."""
    shown = request.session.get(CLOSED_SESSION_KEY) or {}
    dates = {key: datetime.date.fromisoformat(value) for key, value in shown.items() if value}
    return render(request, "privacy/family/closed.html", dates)
