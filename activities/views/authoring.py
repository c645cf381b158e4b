"""Authoring pages (/activities/): staff create, edit, schedule, publish and close activities, and
copy district library templates into their school.

Every page needs activity:write (teachers, school admins, district admins; guardians and viewers
get 403). Ids are looked up in the scope (queries.authoring), so another classroom's, school's or
district's activity is a 404 before anything is read or written; one the scope may read but not
change is a 403 on the writing pages.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from activities.actions import authoring as actions
from activities.actions.library import do_copy_template
from activities.forms import (
    ActivityForm,
    CopyTemplateForm,
    ScheduleForm,
    activity_initial,
    question_formset,
)
from activities.models import Activity
from activities.queries import authoring as queries
from activities.queries.staff import access_activity
from activities.video import watch_url
from privacy.audit import Actor
from tenants.roles import Cap
from tenants.views_base import scoped_view

READ = {"GET": Cap.ACTIVITY_WRITE}
WRITE = {"GET": Cap.ACTIVITY_WRITE, "POST": Cap.ACTIVITY_WRITE}
POST_ONLY = {"POST": Cap.ACTIVITY_WRITE}


def _posted(request):
    return request.POST if request.method == "POST" else None


def _show_error(form, error: actions.AuthoringError) -> None:
    """An action's refusal, next to the field it names when the form shows that field."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error))


@scoped_view(READ)
def activity_list(request, scope):
    """The scope's activities with their status, newest first, 50 a page."""
    status = request.GET.get("status", "")
    if status not in Activity.Status.values:
        status = ""
    activities = queries.list_authoring_activities(scope, status=status)
    page = Paginator(activities, queries.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/authoring/list.html",
        {
            "page": page,
            "status": status,
            "statuses": Activity.Status.choices,
            "is_district_wide": scope.is_district_wide,
        },
    )


@scoped_view(WRITE)
def activity_new(request, scope):
    """Choose a kind, then write the activity (a district admin writes a library template)."""
    kind = request.GET.get("kind", "")
    if kind not in Activity.Kind.values:
        return render(request, "activities/authoring/choose_kind.html", {"kinds": Activity.Kind})
    is_template = scope.is_district_wide
    form = ActivityForm(
        _posted(request),
        request.FILES or None,
        kind=kind,
        target_choices=queries.list_target_choices(scope),
        is_template=is_template,
    )
    questions = question_formset(_posted(request), extra=3) if kind == Activity.Kind.QUIZ else None
    if request.method == "POST" and _valid(form, questions):
        try:
            activity = actions.do_create_activity(
                scope,
                kind=kind,
                targets=form.target_specs(),
                questions=questions.specs() if questions else (),
                is_template=is_template,
                attachment=form.cleaned_data.get("attachment"),
                actor=Actor.from_request(request),
                **form.content(),
            )
        except actions.AuthoringError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Saved as a draft."))
            return redirect("activities:detail", activity_id=activity.id)
    return render(
        request,
        "activities/authoring/form.html",
        {"form": form, "questions": questions, "kind_label": Activity.Kind(kind).label},
    )


def _valid(form, questions) -> bool:
    return all([form.is_valid(), questions is None or questions.is_valid()])


@scoped_view(READ)
def activity_detail(request, scope, activity_id: int):
    """One activity: targets, questions, submissions so far, and what may be done next."""
    activity = access_activity(scope, activity_id)
    detail = queries.get_activity_detail(activity)
    return render(
        request,
        "activities/authoring/detail.html",
        {
            "activity": activity,
            "detail": detail,
            "target_labels": [queries.target_label(t) for t in detail.targets],
            "can_write": queries.can_write_activity(scope, activity),
            "can_copy": activity.is_template and scope.school is not None,
            "video_url": watch_url(activity.video_provider, activity.video_id)
            if activity.video_id
            else "",
            "schedule_form": ScheduleForm(),
        },
    )


@scoped_view(WRITE)
def activity_edit(request, scope, activity_id: int):
    activity = queries.access_activity_for_write(scope, activity_id)
    detail = queries.get_activity_detail(activity)
    has_submissions = detail.submitted > 0
    is_told = activity.status in (Activity.Status.PUBLISHED, Activity.Status.CLOSED)
    form = ActivityForm(
        _posted(request),
        request.FILES or None,
        kind=activity.kind,
        target_choices=_choices_with_current(scope, detail.targets),
        is_template=activity.is_template,
        are_targets_locked=is_told,
        has_attachment=bool(activity.attachment),
        initial=activity_initial(activity, [queries.target_key(t) for t in detail.targets]),
    )
    questions = None
    if activity.kind == Activity.Kind.QUIZ:
        questions = question_formset(
            _posted(request), questions=detail.questions, is_locked=has_submissions
        )
    if request.method == "POST" and _valid(form, questions):
        try:
            actions.do_update_activity(
                scope,
                activity,
                targets=None if activity.is_template else form.target_specs(),
                questions=questions.specs() if questions else None,
                attachment=form.cleaned_data.get("attachment"),
                remove_attachment=form.cleaned_data.get("remove_attachment", False),
                actor=Actor.from_request(request),
                **form.content(),
            )
        except actions.AuthoringError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("activities:detail", activity_id=activity.id)
    return render(
        request,
        "activities/authoring/form.html",
        {
            "form": form,
            "questions": questions,
            "activity": activity,
            "kind_label": activity.get_kind_display(),
            "has_submissions": has_submissions,
            "is_told": is_told,
        },
    )


def _choices_with_current(scope, targets):
    """The scope's choices, plus any saved target outside them (a locked form shows it)."""
    choices = queries.list_target_choices(scope)
    keys = {c.key for c in choices}
    extra = [
        queries.TargetChoice(queries.target_key(t), queries.target_label(t), "saved")
        for t in targets
        if queries.target_key(t) not in keys
    ]
    return choices + extra


def _act(request, activity: Activity, action, success: str, **extra):
    """Run a publishing action on an activity the scope may change; back to its page."""
    try:
        action(activity, actor=Actor.from_request(request), **extra)
    except actions.AuthoringError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("activities:detail", activity_id=activity.id)


@scoped_view(POST_ONLY)
def activity_publish(request, scope, activity_id: int):
    return _act(
        request,
        queries.access_activity_for_write(scope, activity_id),
        actions.do_publish_activity,
        _("Published: the families are being told."),
    )


@scoped_view(POST_ONLY)
def activity_schedule(request, scope, activity_id: int):
    activity = queries.access_activity_for_write(scope, activity_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("publish_at", []):
            messages.error(request, error)
        return redirect("activities:detail", activity_id=activity.id)
    return _act(
        request,
        activity,
        actions.do_schedule_activity,
        _("Scheduled: it will be published at the time you chose."),
        publish_at=form.cleaned_data["publish_at"],
    )


@scoped_view(POST_ONLY)
def activity_unschedule(request, scope, activity_id: int):
    return _act(
        request,
        queries.access_activity_for_write(scope, activity_id),
        actions.do_unschedule_activity,
        _("Back to draft: it will not be published."),
    )


@scoped_view(POST_ONLY)
def activity_close(request, scope, activity_id: int):
    return _act(
        request,
        queries.access_activity_for_write(scope, activity_id),
        actions.do_close_activity,
        _("Closed: families can no longer send their work."),
    )


# --- the district library ----------------------------------------------------------------------


@scoped_view(READ)
def library(request, scope):
    """The district's templates; schools copy them, the district writes them."""
    return render(
        request,
        "activities/authoring/library.html",
        {
            "templates": queries.list_library_templates(scope),
            "can_copy": scope.school is not None,
            "is_district_wide": scope.is_district_wide,
        },
    )


@scoped_view(WRITE)
def library_copy(request, scope, template_id: int):
    """Copy a template into the school as a draft aimed at the chosen classrooms or groups."""
    template = queries.access_template(scope, template_id)
    choices = queries.list_target_choices(scope)
    form = CopyTemplateForm(
        _posted(request),
        target_choices=choices,
        initial={"targets": [c.key for c in choices if c.kind == "classroom"][:1]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            copy = do_copy_template(
                scope, template, targets=form.target_specs(), actor=Actor.from_request(request)
            )
        except actions.AuthoringError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Copied as a draft: check it, then publish it."))
            return redirect("activities:edit", activity_id=copy.id)
    return render(
        request,
        "activities/authoring/copy.html",
        {"template": template, "form": form, "can_copy": scope.school is not None},
    )
