"""Joining, on a phone: an invite link, self-registration, or a classroom join code.

Each path confirms a contact by one-time code (guardians.verification), signs the family in, asks
for consent to the policy in force (with two optional opt-ins, off by default), offers a short
optional profile, and lands on the family home (or, for a join request, a page saying staff will
approve it). The pages before the code are public; the visitor learns nothing about the roster
from them (a self-registration gets the same reply whether or not anything matched).
"""

import datetime

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guardians import verification
from guardians.actions.invites import do_accept_invite
from guardians.actions.joining import (
    do_confirm_self_registration,
    do_get_or_create_requester,
    do_record_registration_attempt,
    do_request_to_join,
    do_save_join_profile,
)
from guardians.joining_forms import (
    CodeForm,
    ConsentForm,
    JoinCodeEntryForm,
    JoinRequestForm,
    ProfileForm,
    RegisterForm,
)
from guardians.queries.invites import InviteProblem, get_invite_for_token
from guardians.queries.joining import (
    can_sign_in_by_joining_code,
    find_roster_guardian,
    get_guardian_profile,
    get_live_join_code,
    normalise_join_code,
)
from privacy.actions import do_record_consents
from privacy.audit import Actor
from privacy.models import Consent
from privacy.queries import get_consents, get_policy_in_force, has_consented_to_policy_in_force
from tenants import queries as tenant_queries
from tenants.actions import ActionError
from tenants.models import User
from tenants.views_base import public_view, remember_policy_agreed

BACKEND = "tenants.auth_backends.AuthenticationBackend"
JOIN_DISTRICT = "engage_join_district"  # the district being joined, for consent and profile
JOIN_NEXT = "engage_join_next"  # where the flow ends
JOIN_FORM = "engage_join_form"  # a join request's answers, kept until the code is confirmed


# --- shared steps -----------------------------------------------------------------------------


def _contact_choices(user: User) -> list[tuple[str, str]]:
    return [
        (channel, verification.mask_address(channel, address))
        for channel, address in (("sms", user.phone), ("email", user.email))
        if address
    ]


def _sign_in_instead(request, *, is_request_recorded: bool = False):
    """For an account a joining code must not sign in (see can_sign_in_by_joining_code)."""
    return render(
        request,
        "guardians/join/sign_in_instead.html",
        {"is_request_recorded": is_request_recorded},
    )


def _sign_in(request, user: User, district_id: int, next_url: str):
    """Sign the family in (the caller checked can_sign_in_by_joining_code) and go on to
    consent."""
    login(request, user, backend=BACKEND)
    request.session[JOIN_DISTRICT] = district_id
    request.session[JOIN_NEXT] = next_url
    return redirect("join:consent")


def _code_page(request, *, purpose: str, title: str, on_success, restart_url: str):
    """The "enter the code" page of every path; `on_success(pending)` returns the response."""
    pending = verification.get_pending(request, purpose)
    if pending is None:
        return render(request, "guardians/join/code_expired.html", {"restart_url": restart_url})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = verification.check(request, purpose, form.cleaned_data["code"])
        if confirmed is not None:
            return on_success(confirmed)
        left = verification.attempts_left(verification.get_pending(request, purpose))
        if left == 0:
            return render(request, "guardians/join/code_expired.html", {"restart_url": restart_url})
        form.add_error(
            "code",
            ngettext(
                "That code is not right. You can try %(left)s more time.",
                "That code is not right. You can try %(left)s more times.",
                left,
            )
            % {"left": left},
        )
    return render(
        request,
        "guardians/join/code.html",
        {
            "form": form,
            "title": title,
            "sent_to": verification.mask_address(pending.channel, pending.address)
            if pending.address
            else "",
            "purpose": purpose,
            "restart_url": restart_url,
        },
    )


def _too_many(request):
    return render(request, "guardians/join/too_many.html", status=429)


# --- the start page ---------------------------------------------------------------------------


@public_view
def start(request):
    """Join without an invite: pick the district to register with, or type a join code."""
    form = JoinCodeEntryForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        code = normalise_join_code(form.cleaned_data["code"])
        if code:
            return redirect("join:code", code=code)
        form.add_error("code", _("Type the code printed on your invitation."))
    return render(
        request,
        "guardians/join/start.html",
        {"form": form, "districts": tenant_queries.list_districts_open_to_families()},
    )


# --- invite links -----------------------------------------------------------------------------


@public_view
def invite(request, token: str):
    """The invite link: say who invited them and send a code to the invited contact."""
    found, problem_page = _live_invite(request, token)
    if problem_page:
        return problem_page
    guardian = found.guardian
    choices = _contact_choices(guardian)
    if request.method == "POST":
        channel = request.POST.get("channel")
        address = {"sms": guardian.phone, "email": guardian.email}.get(channel)
        if not address:
            raise Http404
        if not verification.is_send_allowed(request, address):
            return _too_many(request)
        verification.start(
            request,
            purpose="invite",
            subject=str(found.id),
            channel=channel,
            address=address,
            language=guardian.preferred_language,
        )
        return redirect("join:invite_code", token=token)
    return render(
        request,
        "guardians/join/invite.html",
        {"invite": found, "guardian": guardian, "choices": choices},
    )


def _live_invite(request, token: str):
    """(invite, None) for a link that works, else (None, the page that says why: 404 for a
    forged link, 410 for a used, replaced or expired one). The pages speak the invited
    guardian's language unless the visitor chose one."""
    found, problem = get_invite_for_token(token)
    if problem is not None:
        return None, _invite_problem(request, problem)
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and not request.user.is_authenticated:
        translation.activate(found.guardian.preferred_language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
    return found, None


def _invite_problem(request, problem: str):
    status = 404 if problem == InviteProblem.INVALID else 410
    return render(
        request, "guardians/join/invite_problem.html", {"problem": problem}, status=status
    )


@public_view
def invite_code(request, token: str):
    found, problem_page = _live_invite(request, token)
    if problem_page:
        return problem_page

    def accepted(pending):
        if pending.subject != str(found.id):
            raise Http404
        if not found.guardian.is_active:
            return _invite_problem(request, InviteProblem.WITHDRAWN)
        if not can_sign_in_by_joining_code(found.guardian):
            return _sign_in_instead(request)  # the invite stays unused: they sign in as usual
        try:
            guardian = do_accept_invite(
                found, channel=pending.channel, actor=Actor.from_request(request)
            )
        except ActionError:
            return _invite_problem(request, InviteProblem.USED)
        return _sign_in(request, guardian, found.district_id, reverse("guardians:home"))

    return _code_page(
        request,
        purpose="invite",
        title=_("Enter your code"),
        on_success=accepted,
        restart_url=reverse("join:invite", args=[token]),
    )


# --- self-registration ------------------------------------------------------------------------


def _open_district(district_slug: str):
    district = tenant_queries.get_district_open_to_families(district_slug)
    if district is None:
        raise Http404
    return district


@public_view
def register(request, district_slug: str):
    """Self-registration: the roster must know the parent, the child, the birth date and the
    contact (PROMISES C8). The reply is the same whether or not anything matched."""
    district = _open_district(district_slug)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        channel, address = data["contact"]
        guardian = find_roster_guardian(
            district,
            parent_first_name=data["first_name"],
            parent_last_name=data["last_name"],
            child_first_name=data["child_first_name"],
            child_last_name=data["child_last_name"],
            child_birth_date=data["child_birth_date"],
            channel=channel,
            address=address,
        )
        if not verification.is_send_allowed(request, address):
            return _too_many(request)
        verification.start(
            request,
            purpose="register",
            subject=f"{district.id}:{guardian.id}" if guardian else "",
            channel=channel,
            address=address if guardian else "",
            language=guardian.preferred_language if guardian else request.LANGUAGE_CODE,
        )
        do_record_registration_attempt(
            district,
            is_matched=guardian is not None,
            channel=channel,
            actor=Actor.from_request(request),
        )
        return redirect("join:register_code", district_slug=district.slug)
    return render(request, "guardians/join/register.html", {"form": form, "district": district})


@public_view
def register_code(request, district_slug: str):
    district = _open_district(district_slug)

    def registered(pending):
        district_id, guardian_id = (int(part) for part in pending.subject.split(":"))
        guardian = tenant_queries.get_active_user(guardian_id)
        if district_id != district.id or guardian is None:
            raise Http404
        if not can_sign_in_by_joining_code(guardian):
            return _sign_in_instead(request)
        do_confirm_self_registration(
            guardian, district, channel=pending.channel, actor=Actor.from_request(request)
        )
        return _sign_in(request, guardian, district.id, reverse("guardians:home"))

    return _code_page(
        request,
        purpose="register",
        title=_("Check your phone or email"),
        on_success=registered,
        restart_url=reverse("join:register", args=[district.slug]),
    )


# --- classroom join codes ---------------------------------------------------------------------


def _live_code_or_410(request, code: str):
    join_code = get_live_join_code(code)
    if join_code is None:
        return None, render(request, "guardians/join/code_problem.html", status=410)
    return join_code, None


@public_view
def join_code(request, code: str):
    """A family the roster missed asks to join a classroom; staff approve it."""
    found, problem = _live_code_or_410(request, code)
    if problem:
        return problem
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel, address = form.cleaned_data["contact"]
        if not verification.is_send_allowed(request, address):
            return _too_many(request)
        answers = {**form.cleaned_data, "contact": [channel, address]}
        birth_date = answers["child_birth_date"]
        answers["child_birth_date"] = birth_date.isoformat() if birth_date else ""
        request.session[JOIN_FORM] = answers
        verification.start(
            request,
            purpose="join_code",
            subject=found.code,
            channel=channel,
            address=address,
            language=request.LANGUAGE_CODE,
        )
        return redirect("join:code_verify", code=found.code)
    return render(request, "guardians/join/join_code.html", {"form": form, "join_code": found})


@public_view
def join_code_verify(request, code: str):
    found, problem = _live_code_or_410(request, code)
    if problem:
        return problem

    def confirmed(pending):
        answers = request.session.pop(JOIN_FORM, None)
        if pending.subject != found.code or not answers:
            raise Http404
        actor = Actor.from_request(request)
        channel, address = answers["contact"]
        try:
            requester, is_new = do_get_or_create_requester(
                channel=channel,
                address=address,
                first_name=answers["first_name"],
                last_name=answers["last_name"],
                language=request.LANGUAGE_CODE,
                actor=actor,
            )
        except ActionError as error:
            return render(request, "guardians/join/closed.html", {"error": error}, status=403)
        birth_date = answers["child_birth_date"]
        do_request_to_join(
            found,
            requester=requester,
            child_first_name=answers["child_first_name"],
            child_last_name=answers["child_last_name"],
            child_birth_date=datetime.date.fromisoformat(birth_date) if birth_date else None,
            relationship=answers["relationship"],
            actor=actor,
        )
        if not is_new:
            # A code is no way into an existing account: its owner signs in as usual.
            return _sign_in_instead(request, is_request_recorded=True)
        return _sign_in(request, requester, found.district_id, reverse("join:requested"))

    return _code_page(
        request,
        purpose="join_code",
        title=_("Enter your code"),
        on_success=confirmed,
        restart_url=reverse("join:code", args=[found.code]),
    )


@public_view
def requested(request):
    """After a join request: staff will approve it."""
    if not request.user.is_authenticated:
        return redirect("join:start")
    return render(request, "guardians/join/requested.html")


# --- consent and profile ----------------------------------------------------------------------


def _joining_district(request):
    """The district the family is joining (from the flow), or their guardian scope's."""
    from tenants.middleware import get_scope

    district_id = request.session.get(JOIN_DISTRICT)  # set by the flow after a confirmed code
    if district_id:
        return tenant_queries.get_active_district(district_id)
    scope = get_scope(request)
    return scope.district if scope is not None and scope.is_family else None


@public_view
def consent(request):
    """Consent to the policy in force, with the optional opt-ins (PROMISES C2-C4). Also the page
    where a family changes those choices later."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    district = _joining_district(request)
    if district is None:
        raise Http404
    current = get_consents(request.user, district)
    initial = {
        "photo_promotion": _granted(current, Consent.Kind.PHOTO_PROMOTION),
        "non_essential": _granted(current, Consent.Kind.NON_ESSENTIAL_MESSAGES),
        # Ticked only for the version in force: a new version is agreed to afresh (S4).
        "is_policy_accepted": has_consented_to_policy_in_force(request.user, district),
    }
    form = ConsentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        do_record_consents(
            request.user,
            district,
            is_policy_accepted=form.cleaned_data["is_policy_accepted"],
            choices={
                Consent.Kind.PHOTO_PROMOTION: form.cleaned_data["photo_promotion"],
                Consent.Kind.NON_ESSENTIAL_MESSAGES: form.cleaned_data["non_essential"],
            },
            source="join" if JOIN_NEXT in request.session else "settings",
            actor=Actor.from_request(request),
        )
        remember_policy_agreed(request, district.id)
        if JOIN_NEXT in request.session:
            return redirect("join:profile")
        return redirect("guardians:home")
    return render(
        request,
        "guardians/join/consent.html",
        {
            "form": form,
            "district": district,
            "policy": get_policy_in_force(district),
            "consents": current,
            "is_joining": JOIN_NEXT in request.session,
        },
    )


def _granted(consents: dict, kind: str) -> bool:
    return bool(consents.get(kind) and consents[kind].is_granted)


@public_view
def profile(request):
    """A short optional profile; every field can be left empty, or the whole page skipped."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    district = _joining_district(request)
    if district is None:
        raise Http404
    existing = get_guardian_profile(request.user, district)
    initial = (
        {
            "relationship": existing.relationship,
            "children_grades": existing.children_grades,
            "children_at_school": existing.children_at_school,
            "ethnicity": existing.ethnicity,
        }
        if existing
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    is_skipped = request.method == "POST" and "skip" in request.POST
    if request.method == "POST" and (is_skipped or form.is_valid()):
        do_save_join_profile(
            request.user,
            district,
            values={} if is_skipped else form.cleaned_data,
            is_skipped=is_skipped,
            actor=Actor.from_request(request),
        )
        next_url = request.session.pop(JOIN_NEXT, None) or reverse("guardians:home")
        request.session.pop(JOIN_DISTRICT, None)
        return redirect(next_url)
    return render(request, "guardians/join/profile.html", {"form": form, "district": district})
