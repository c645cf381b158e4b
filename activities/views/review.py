"""Review pages (/review/): teachers their classrooms' submissions, school admins their school's
(and sharing, with consent); district admins per-school counts, and a school's submissions only
once they opened it with a reason (audited, kept in the session for OPEN_SECONDS)."""

import time

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from activities.actions import review as review_actions
from activities.actions import sharing
from activities.models import Submission
from activities.queries import review as queries
from activities.queries import staff
from privacy.audit import Actor
from privacy.models import Consent
from privacy.queries import get_consents
from tenants import queries as tenant_queries
from tenants.actions import ActionError
from tenants.middleware import get_scope
from tenants.roles import Cap
from tenants.views_base import scoped_view

PAGE_SIZE = 20
OPEN_SECONDS = 3600
OPENED_SESSION_KEY = "engage_opened_schools"


def get_opened_school_ids(request) -> frozenset[int]:
    """Schools the district admin acting in this request opened, for less than OPEN_SECONDS
    (empty for anyone else, or in another of their roles)."""
    scope = get_scope(request)
    if scope is None or not scope.has(Cap.SCHOOL_OPEN) or not scope.is_district_wide:
        return frozenset()
    now = time.time()
    opened = request.session.get(OPENED_SESSION_KEY) or {}
    return frozenset(
        int(school_id)
        for school_id, (district_id, until) in opened.items()
        if district_id == scope.district.id and until > now
    )


def _remember_opened(request, scope, school_id: int) -> None:
    now = time.time()
    opened = {
        key: value
        for key, value in (request.session.get(OPENED_SESSION_KEY) or {}).items()
        if value[1] > now
    }
    opened[str(school_id)] = [scope.district.id, now + OPEN_SECONDS]
    request.session[OPENED_SESSION_KEY] = opened


def _forget_opened(request, school_id: int) -> None:
    opened = dict(request.session.get(OPENED_SESSION_KEY) or {})
    if opened.pop(str(school_id), None) is not None:
        request.session[OPENED_SESSION_KEY] = opened


def _status_param(request) -> str:
    status = request.GET.get("status") or Submission.Status.SUBMITTED
    return status if status in queries.STATUSES else Submission.Status.SUBMITTED


@scoped_view({"GET": Cap.SUBMISSION_REVIEW})
def queue(request, scope):
    """Waiting submissions (or the approved / returned ones), a page at a time."""
    status = _status_param(request)
    submissions = queries.list_submissions_to_review(scope, status=status)
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/review/queue.html",
        {
            "status": status,
            "tabs": Submission.Status.choices,
            "page": page,
            "items": queries.build_review_items(page.object_list),
        },
    )


@scoped_view({"GET": Cap.SUBMISSION_REVIEW})
def submission_detail(request, scope, submission_id: int):
    item = queries.access_submission_to_review(scope, submission_id)
    sharing_consent = None
    if scope.has(Cap.SUBMISSION_SHARE) and item.submission.guardian_id:
        consent = get_consents(item.submission.guardian, scope.district).get(
            Consent.Kind.PHOTO_PROMOTION
        )
        sharing_consent = bool(consent and consent.is_granted)
    return render(
        request,
        "activities/review/submission.html",
        {"item": item, "sharing_consent": sharing_consent},
    )


def _back(request, submission_id: int):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect("review:submission", submission_id=submission_id)


@scoped_view({"POST": Cap.SUBMISSION_REVIEW})
def decide(request, scope, submission_id: int):
    """Approve, or return with feedback (with an optional teacher's badge)."""
    submission = staff.access_submission(scope, submission_id)
    decision = request.POST.get("decision")
    values = {
        "feedback": request.POST.get("feedback", ""),
        "badge_label": request.POST.get("badge", ""),
        "actor": Actor.from_request(request),
    }
    try:
        if decision == "approve":
            review_actions.do_approve_submission(scope, submission, **values)
            done = _("Approved. The family will be told.")
        elif decision == "return":
            review_actions.do_return_submission(scope, submission, **values)
            done = _("Returned with your feedback. The family will be told.")
        else:
            raise ActionError(_("Choose approve or return."))
    except ActionError as error:
        messages.error(request, str(error))
        return redirect("review:submission", submission_id=submission_id)
    messages.success(request, done)
    return _back(request, submission_id)


@scoped_view({"POST": Cap.SUBMISSION_REVIEW})
def award_badge(request, scope, submission_id: int):
    submission = staff.access_submission(scope, submission_id)
    try:
        review_actions.do_award_badge(
            scope,
            submission,
            label=request.POST.get("label", ""),
            actor=Actor.from_request(request),
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Badge awarded. The family will be told."))
    return redirect("review:submission", submission_id=submission_id)


@scoped_view({"POST": Cap.SUBMISSION_SHARE})
def share(request, scope, submission_id: int):
    """Mark for the newsletter or social media (consent and permission), or take the mark off."""
    submission = staff.access_submission(scope, submission_id)
    actor = Actor.from_request(request)
    try:
        if request.POST.get("unshare"):
            sharing.do_unshare_submission(scope, submission, actor=actor)
            messages.success(request, _("No longer marked for sharing."))
        else:
            sharing.do_share_submission(
                scope,
                submission,
                is_permission_confirmed=request.POST.get("permission") == "on",
                actor=actor,
            )
            messages.success(request, _("Marked for the school's newsletter and social media."))
    except ActionError as error:
        messages.error(request, str(error))
    return redirect("review:submission", submission_id=submission_id)


@scoped_view({"GET": Cap.SCHOOL_OPEN})
def district(request, scope):
    """Per-school counts; the submissions of the schools opened in this session."""
    if not scope.is_district_wide:
        raise Http404
    opened = get_opened_school_ids(request)
    submissions = queries.list_submissions_to_review(scope, opened_school_ids=opened)
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    schools = queries.list_school_aggregates(scope)
    return render(
        request,
        "activities/review/district.html",
        {
            "schools": schools,
            "opened": [s for s in schools if s.school_id in opened],
            "open_seconds": OPEN_SECONDS,
            "page": page,
            "items": (
                queries.build_review_items(page.object_list, audience="district") if opened else []
            ),
        },
    )


@scoped_view({"POST": Cap.SCHOOL_OPEN})
def open_school(request, scope):
    """Open one school's submissions, giving a reason (audited)."""
    if not scope.is_district_wide:
        raise Http404
    school = _school_in_scope(scope, request.POST.get("school"))
    try:
        review_actions.do_open_school(
            scope, school, reason=request.POST.get("reason", ""), actor=Actor.from_request(request)
        )
    except ActionError as error:
        messages.error(request, str(error))
    else:
        _remember_opened(request, scope, school.id)
        messages.success(
            request,
            _("%(school)s is open to you for an hour.") % {"school": school.name},
        )
    return redirect(reverse("review:district"))


@scoped_view({"POST": Cap.SCHOOL_OPEN})
def close_school(request, scope):
    school = _school_in_scope(scope, request.POST.get("school"))
    _forget_opened(request, school.id)
    return redirect(reverse("review:district"))


def _school_in_scope(scope, school_id):
    try:
        school_id = int(school_id)
    except (TypeError, ValueError):
        raise Http404 from None
    school = tenant_queries.list_schools_for_scope(scope).filter(id=school_id).first()
    if school is None:
        raise Http404
    return school
