"""People management (/people/): staff add, edit and remove children and guardians, and link them.

Reading needs roster:view (a teacher sees the children of their classrooms, staff their school's);
every form and write needs roster:manage (school and district admins). Objects are looked up with
the scope, so another tenant's id is a 404 before anything is written.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from guardians.actions import manage as actions
from guardians.forms import (
    ChildForm,
    ChildSearchForm,
    GuardianForm,
    GuardianSearchForm,
    LinkForm,
    LinkGuardianForm,
    MoveChildForm,
)
from guardians.queries import manage as queries
from privacy.audit import Actor
from tenants import queries as tenant_queries
from tenants.roles import Cap
from tenants.views_base import scoped_view

READ = Cap.ROSTER_VIEW
WRITE = {"GET": Cap.ROSTER_MANAGE, "POST": Cap.ROSTER_MANAGE}


def _page(request, queryset):
    return Paginator(queryset, queries.PAGE_SIZE).get_page(request.GET.get("page"))


def _show_error(form, error: actions.ActionError) -> None:
    """An action's refusal, next to the field it names when the form has that field."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, str(error))


def _posted(request):
    return request.POST if request.method == "POST" else None


# --- children --------------------------------------------------------------------------------


@scoped_view(READ)
def child_list(request, scope):
    """Children in scope: search by name or pupil number, filter by classroom, 50 a page."""
    classrooms = list(tenant_queries.list_classrooms_for_scope(scope))
    search = ChildSearchForm(request.GET, classrooms=classrooms)
    search.is_valid()  # an unknown classroom is shown as an error and not applied
    filters = {
        "search": search.cleaned_data.get("q") or "",
        "classroom_id": search.cleaned_data.get("classroom_id"),
    }
    children = queries.list_children_for_scope(scope, **filters)
    return render(
        request,
        "guardians/manage/child_list.html",
        {
            "search": search,
            "page": _page(request, children),
            "can_manage": scope.has(Cap.ROSTER_MANAGE),
        },
    )


@scoped_view(WRITE)
def child_add(request, scope):
    classrooms = list(tenant_queries.list_classrooms_for_scope(scope))
    form = ChildForm(
        _posted(request),
        classrooms=classrooms,
        initial={"classroom_id": request.GET.get("classroom")},
    )
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "classroom_id"}
        try:
            child = actions.do_add_child(
                form.chosen_classroom(), **values, actor=Actor.from_request(request)
            )
        except actions.ActionError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": child.display_name})
            return redirect("manage:child_detail", child.id)
    return render(request, "guardians/manage/child_form.html", {"form": form, "child": None})


@scoped_view(READ)
def child_detail(request, scope, child_id: int):
    """A child's record, classrooms and guardians; admins link guardians here."""
    child = queries.access_child(scope, child_id)
    can_manage = scope.has(Cap.ROSTER_MANAGE)
    return render(
        request,
        "guardians/manage/child_detail.html",
        {
            "child": child,
            "can_manage": can_manage,
            "can_delete": scope.has(Cap.PRIVACY_ADMIN),
            "link_form": LinkGuardianForm() if can_manage else None,
        },
    )


@scoped_view(WRITE)
def child_edit(request, scope, child_id: int):
    child = queries.access_child(scope, child_id)
    names = (*actions.CHILD_FIELDS, *actions.ENCRYPTED_CHILD_FIELDS)
    initial = {name: getattr(child, name) for name in names}
    form = ChildForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_child(child, **form.cleaned_data, actor=Actor.from_request(request))
        except actions.ActionError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("manage:child_detail", child.id)
    return render(request, "guardians/manage/child_form.html", {"form": form, "child": child})


@scoped_view(WRITE)
def child_move(request, scope, child_id: int):
    """Move a child to another classroom of their school this year."""
    child = queries.access_child(scope, child_id)
    classrooms = [
        c for c in tenant_queries.list_classrooms_for_scope(scope) if c.school_id == child.school_id
    ]
    current = [e.classroom_id for e in child.current_enrollments]
    form = MoveChildForm(
        _posted(request),
        classrooms=classrooms,
        initial={"classroom_id": current[0] if current else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_move_child(child, form.chosen_classroom(), actor=Actor.from_request(request))
        except actions.ActionError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Classroom changed."))
            return redirect("manage:child_detail", child.id)
    return render(request, "guardians/manage/child_move.html", {"form": form, "child": child})


@scoped_view(WRITE)
def child_remove(request, scope, child_id: int):
    """Confirm, then take the child off the roster (deactivated; the record is kept)."""
    child = queries.access_child(scope, child_id)
    if request.method == "POST":
        actions.do_remove_child(child, actor=Actor.from_request(request))
        messages.success(request, _("%(name)s was removed.") % {"name": child.display_name})
        return redirect("manage:child_list")
    return render(request, "guardians/manage/child_remove.html", {"child": child})


# --- links -----------------------------------------------------------------------------------


@scoped_view(WRITE)
def link_add(request, scope, child_id: int):
    """Link a guardian to a child: the person with that email / mobile, or someone new."""
    child = queries.access_child(scope, child_id)
    form = LinkGuardianForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            link, created = actions.do_link_guardian_by_contact(
                child,
                email=data["email"],
                phone=data["phone"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                preferred_language=data["preferred_language"],
                relationship=data["relationship"],
                contact_role=data["contact_role"],
                has_access=not data["no_access"],
                actor=Actor.from_request(request),
            )
        except actions.ActionError as error:
            _show_error(form, error)
        else:
            name = str(link.guardian)
            if created:
                messages.success(request, _("%(name)s was added and linked.") % {"name": name})
            else:
                messages.success(
                    request,
                    _("%(name)s already had an Engage account and is now linked.") % {"name": name},
                )
            return redirect("manage:child_detail", child.id)
    return render(request, "guardians/manage/link_add.html", {"form": form, "child": child})


@scoped_view(WRITE)
def link_edit(request, scope, link_id: int):
    link = queries.access_guardian_link(scope, link_id)
    form = LinkForm(
        _posted(request),
        initial={
            "relationship": link.relationship,
            "contact_role": link.contact_role,
            "no_access": not link.has_access,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actions.do_update_guardian_link(
            link,
            relationship=data["relationship"],
            contact_role=data["contact_role"],
            has_access=not data["no_access"],
            actor=Actor.from_request(request),
        )
        messages.success(request, _("Changes saved."))
        return redirect("manage:child_detail", link.child_id)
    return render(request, "guardians/manage/link_form.html", {"form": form, "link": link})


@scoped_view({"POST": Cap.ROSTER_MANAGE})
def link_end(request, scope, link_id: int):
    link = queries.access_guardian_link(scope, link_id)
    actions.do_end_guardian_link(link, actor=Actor.from_request(request))
    messages.success(
        request,
        _("%(guardian)s is no longer linked to %(child)s.")
        % {"guardian": link.guardian, "child": link.child.display_name},
    )
    return redirect("manage:child_detail", link.child_id)


# --- guardians -------------------------------------------------------------------------------


@scoped_view(READ)
def guardian_list(request, scope):
    """Guardians of the children in scope: search by name, email or mobile, 50 a page."""
    search = GuardianSearchForm(request.GET)
    search.is_valid()
    guardians = queries.list_guardians_for_scope(scope, search=search.cleaned_data.get("q") or "")
    return render(
        request,
        "guardians/manage/guardian_list.html",
        {"search": search, "page": _page(request, guardians)},
    )


@scoped_view(READ)
def guardian_detail(request, scope, guardian_id: int):
    guardian = queries.access_guardian(scope, guardian_id)
    return render(
        request,
        "guardians/manage/guardian_detail.html",
        {
            "guardian": guardian,
            "can_manage": scope.has(Cap.ROSTER_MANAGE),
            "can_delete": scope.has(Cap.PRIVACY_ADMIN),
        },
    )


@scoped_view(WRITE)
def guardian_edit(request, scope, guardian_id: int):
    """Correct a guardian's details; contacts the guardian confirmed cannot be changed here."""
    guardian = queries.access_guardian(scope, guardian_id)
    initial = {
        "first_name": guardian.first_name,
        "last_name": guardian.last_name,
        "email": guardian.email or "",
        "phone": guardian.phone or "",
        "preferred_language": guardian.preferred_language,
    }
    form = GuardianForm(_posted(request), initial=initial, guardian=guardian)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_guardian(
                scope, guardian, **form.cleaned_data, actor=Actor.from_request(request)
            )
        except actions.ActionError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("manage:guardian_detail", guardian.id)
    return render(
        request, "guardians/manage/guardian_form.html", {"form": form, "guardian": guardian}
    )


@scoped_view(WRITE)
def guardian_remove(request, scope, guardian_id: int):
    """Confirm, then end the guardian's links to the children in scope (the account stays)."""
    guardian = queries.access_guardian(scope, guardian_id)
    if request.method == "POST":
        actions.do_remove_guardian_from_scope(scope, guardian, actor=Actor.from_request(request))
        messages.success(request, _("%(name)s was removed.") % {"name": guardian})
        return redirect("manage:guardian_list")
    return render(request, "guardians/manage/guardian_remove.html", {"guardian": guardian})
