"""Staff pages for bringing families in: the invite funnel, invites, join codes, join requests."""

import segno
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from engage import ratelimits
from guardians.actions.invites import do_invite_guardians
from guardians.actions.joining import (
    do_approve_join_request,
    do_create_join_code,
    do_decline_join_request,
    do_revoke_join_code,
)
from guardians.joining_forms import ApproveForm, InviteForm
from guardians.queries import invites as invite_queries
from guardians.queries import joining as joining_queries
from privacy.audit import Actor
from tenants.actions import ActionError
from tenants.queries import access_classroom
from tenants.roles import Cap
from tenants.views_base import scoped_view


@scoped_view(Cap.INVITE_SEND)
def funnel(request, scope):
    """Per classroom: families, invited, delivered, accepted, active."""
    rows = invite_queries.get_invite_funnel(scope)
    totals = {
        name: sum(getattr(row, name) for row in rows)
        for name in ("families", "invited", "delivered", "accepted", "active")
    }
    return render(request, "guardians/onboarding/funnel.html", {"rows": rows, "totals": totals})


@scoped_view({"GET": Cap.INVITE_SEND, "POST": Cap.INVITE_SEND})
def classroom_invites(request, scope, classroom_id: int):
    """The families of one classroom with their invite status; invite everyone not yet
    invited, or (re)send one family's invite."""
    classroom = access_classroom(scope, classroom_id)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        guardian_id = request.POST.get("guardian")
        if guardian_id:
            guardians = [
                invite_queries.access_classroom_guardian(scope, classroom, _int(guardian_id))
            ]
        else:
            guardians = _not_yet_invited(scope, classroom)
        if not _is_invite_allowed(request, guardian_id):
            messages.error(request, _("Too many invitations sent just now. Try again later."))
            return redirect("onboarding:classroom_invites", classroom_id=classroom.id)
        joined = invite_queries.list_joined_guardian_ids(
            scope.district.id, [g.id for g in guardians]
        )
        result = do_invite_guardians(
            scope,
            guardians,
            channels=form.cleaned_data["channels"],
            joined_ids=joined,
            actor=Actor.from_request(request),
        )
        _report(request, result)
        return redirect("onboarding:classroom_invites", classroom_id=classroom.id)
    return render(
        request,
        "guardians/onboarding/classroom_invites.html",
        {
            "classroom": classroom,
            "rows": invite_queries.list_family_invite_rows(scope, classroom),
            "form": form,
        },
    )


def _is_invite_allowed(request, guardian_id: str | None) -> bool:
    """Within the sender's hourly budget and, for one family's resend, that family's daily one
    (engage.ratelimits)."""
    if guardian_id and not ratelimits.consume(request, "invite_resend", key=guardian_id):
        return False
    return ratelimits.consume(request, "invite_send")


def _int(value: str) -> int:
    if not value.isdigit():
        raise Http404
    return int(value)


def _not_yet_invited(scope, classroom):
    guardians = list(invite_queries.list_classroom_guardians(scope, classroom))
    statuses = invite_queries.get_guardian_statuses(scope.district.id, [g.id for g in guardians])
    return [g for g in guardians if g.id not in statuses.invited]


def _report(request, result) -> None:
    if result.sent:
        count = len(result.sent)
        messages.success(
            request,
            ngettext("%(count)d invitation sent.", "%(count)d invitations sent.", count)
            % {"count": count},
        )
    if result.already_joined:
        count = len(result.already_joined)
        messages.info(
            request,
            ngettext(
                "%(count)d family has already joined.",
                "%(count)d families have already joined.",
                count,
            )
            % {"count": count},
        )
    if result.unreachable:
        names = ", ".join(u.get_full_name() for u in result.unreachable)
        messages.error(
            request, _("No address on the chosen channels for: %(names)s") % {"names": names}
        )
    if not (result.sent or result.already_joined or result.unreachable):
        messages.info(request, _("Everyone here has been invited already."))


@scoped_view({"GET": Cap.INVITE_SEND, "POST": Cap.INVITE_SEND})
def join_codes(request, scope, classroom_id: int):
    """A classroom's join codes; make a new one."""
    classroom = access_classroom(scope, classroom_id)
    if request.method == "POST":
        join_code = do_create_join_code(scope, classroom, actor=Actor.from_request(request))
        messages.success(request, _("New join code: %(code)s") % {"code": join_code.code})
        return redirect("onboarding:join_codes", classroom_id=classroom.id)
    return render(
        request,
        "guardians/onboarding/join_codes.html",
        {
            "classroom": classroom,
            "codes": joining_queries.list_join_codes_for_classroom(scope, classroom),
        },
    )


@scoped_view({"POST": Cap.INVITE_SEND})
def join_code_revoke(request, scope, join_code_id: int):
    join_code = joining_queries.access_join_code(scope, join_code_id)
    do_revoke_join_code(join_code, actor=Actor.from_request(request))
    messages.success(request, _("The join code no longer works."))
    return redirect("onboarding:join_codes", classroom_id=join_code.classroom_id)


@scoped_view(Cap.INVITE_SEND)
def join_code_print(request, scope, join_code_id: int):
    """A printable invite with the code and a QR code, in English and Spanish."""
    join_code = joining_queries.access_join_code(scope, join_code_id)
    url = request.build_absolute_uri(reverse("join:code", args=[join_code.code]))
    qr = segno.make(url, error="m").svg_inline(scale=5, title=url)
    return render(
        request,
        "guardians/onboarding/join_code_print.html",
        {"join_code": join_code, "url": url, "qr_svg": qr, "languages": ["en", "es"]},
    )


@scoped_view(Cap.JOIN_APPROVE)
def join_requests(request, scope):
    return render(
        request,
        "guardians/onboarding/join_requests.html",
        {"requests": joining_queries.list_join_requests_for_scope(scope)},
    )


@scoped_view({"GET": Cap.JOIN_APPROVE, "POST": Cap.JOIN_APPROVE})
def join_request_detail(request, scope, join_request_id: int):
    """Approve a request (to a roster child, or adding the child) or decline it."""
    join_request = joining_queries.access_join_request(scope, join_request_id)
    matches = list(joining_queries.list_roster_matches(scope, join_request))
    if request.method == "POST":
        actor = Actor.from_request(request)
        try:
            if "decline" in request.POST:
                do_decline_join_request(scope, join_request, actor=actor)
                messages.success(request, _("Request declined."))
                return redirect("onboarding:join_requests")
            form = ApproveForm(request.POST)
            if not form.is_valid():
                raise ActionError(_("Choose the child, or add them as new."))
            choice = form.cleaned_data["child"]
            child = None if choice == "new" else _chosen(matches, choice)
            do_approve_join_request(scope, join_request, child=child, actor=actor)
        except ActionError as error:
            messages.error(request, str(error))
            return redirect("onboarding:join_request_detail", join_request_id=join_request.id)
        messages.success(request, _("Approved: the family is now connected."))
        return redirect("onboarding:join_requests")
    return render(
        request,
        "guardians/onboarding/join_request_detail.html",
        {"join_request": join_request, "matches": matches},
    )


def _chosen(matches, choice: str):
    child = next((c for c in matches if str(c.id) == choice), None)
    if child is None:
        raise Http404
    return child
