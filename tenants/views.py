"""HTML views for staff, admins and viewers: thin (parse, access_*, do_*, render)."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from privacy.audit import Actor
from tenants import actions, queries, roles
from tenants.forms import GrantRoleForm, PreferencesForm, StaffNameForm
from tenants.middleware import get_scope, get_scopes
from tenants.roles import Cap
from tenants.scope import SESSION_KEY
from tenants.views_base import has_agreed_to_policy, public_view, scoped_view


@public_view
def home(request):
    """Send each person to the home page of their active role."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    scope = get_scope(request)
    if scope is None:
        return render(request, "tenants/no_role.html", status=403)
    if scope.is_family and not has_agreed_to_policy(request, scope):
        # Families agree to the policy in force before anything else (PROMISES C2, S4).
        return redirect("join:consent")
    return redirect(roles.home_url_name(scope.role))


@scoped_view({"POST": Cap.ACCOUNT_SELF})
def switch_scope(request, scope):
    """Switch to another of the person's roles without signing out."""
    chosen = request.POST.get("context", "")
    target = next((s for s in get_scopes(request) if s.key == chosen), None)
    if target is None:
        raise Http404
    request.session[SESSION_KEY] = target.key
    return redirect(roles.home_url_name(target.role))


@scoped_view(Cap.STAFF_MANAGE)
def district_home(request, scope):
    if not scope.is_district_wide:
        return redirect("tenants:school_home")
    return render(
        request,
        "tenants/district_home.html",
        {
            "counts": queries.get_district_counts(scope),
            "schools": queries.list_schools_for_scope(scope),
        },
    )


@scoped_view(Cap.ROSTER_VIEW)
def school_home(request, scope):
    return render(
        request,
        "tenants/school_home.html",
        {
            "counts": queries.get_district_counts(scope),
            "classrooms": queries.list_classrooms_for_scope(scope),
        },
    )


@scoped_view(Cap.ACTIVITY_WRITE)
def teacher_home(request, scope):
    return render(
        request,
        "tenants/teacher_home.html",
        {
            "classrooms": queries.list_classrooms_for_scope(scope),
        },
    )


@scoped_view(Cap.DASHBOARD_VIEW)
def viewer_home(request, scope):
    return render(
        request,
        "tenants/viewer_home.html",
        {
            "counts": queries.get_district_counts(scope),
        },
    )


@scoped_view(Cap.ROSTER_VIEW)
def classroom_detail(request, scope, classroom_id: int):
    classroom = queries.access_classroom(scope, classroom_id)
    return render(
        request,
        "tenants/classroom_detail.html",
        {
            "classroom": classroom,
            "enrollments": queries.list_enrollments_for_classroom(scope, classroom),
            "teachers": queries.list_teachers_by_classroom(scope, [classroom.id]).get(
                classroom.id, []
            ),
        },
    )


def _grant_form(scope, data=None):
    classrooms = queries.list_classrooms_for_scope(scope)
    return GrantRoleForm(
        data,
        role_choices=queries.list_grantable_roles(scope),
        classroom_choices=[(c.id, f"{c.school.name} · {c.name}") for c in classrooms],
        school_choices=[(s.id, s.name) for s in queries.list_schools_for_scope(scope)],
    )


@scoped_view({"GET": Cap.STAFF_MANAGE, "POST": Cap.STAFF_MANAGE})
def staff_list(request, scope):
    """Staff roles in scope; admins add people (new or with an account) and grant roles here."""
    form = _grant_form(scope, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership, created = actions.do_add_staff_member(
                scope,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                **_grant_place(scope, data),
                actor=Actor.from_request(request),
            )
        except actions.ActionError as error:
            form.add_error(None, str(error))
        else:
            name = membership.user.get_full_name() or membership.user.email
            if created:
                messages.success(request, _("%(name)s was added to Engage.") % {"name": name})
            messages.success(request, _("Role granted."))
            return redirect("tenants:staff_list")
    return render(
        request,
        "tenants/staff_list.html",
        {
            "memberships": queries.list_staff_memberships_for_scope(scope),
            "form": form,
            "grantable": {role for role, _label in queries.list_grantable_roles(scope)},
        },
    )


def _grant_place(scope, data) -> dict:
    """The classroom and school chosen in the grant form, looked up inside the scope."""
    classroom = (
        queries.access_classroom(scope, data["classroom_id"]) if data["classroom_id"] else None
    )
    school = None
    if data["school_id"]:
        school = queries.list_schools_for_scope(scope).filter(id=data["school_id"]).first()
        if school is None:
            raise Http404
    return {"school": school, "classroom": classroom}


@scoped_view({"GET": Cap.STAFF_MANAGE, "POST": Cap.STAFF_MANAGE})
def staff_edit(request, scope, membership_id: int):
    """Correct the name of a person on the staff list (a role the admin may grant)."""
    membership = queries.access_membership(scope, membership_id)
    user = membership.user
    form = StaffNameForm(
        request.POST if request.method == "POST" else None,
        initial={"first_name": user.first_name, "last_name": user.last_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_staff_name(
                scope, membership, **form.cleaned_data, actor=Actor.from_request(request)
            )
        except actions.ActionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Name saved."))
            return redirect("tenants:staff_list")
    return render(request, "tenants/staff_edit.html", {"form": form, "membership": membership})


@scoped_view({"POST": Cap.STAFF_MANAGE})
def membership_revoke(request, scope, membership_id: int):
    membership = queries.access_membership(scope, membership_id)
    try:
        actions.do_revoke_membership(scope, membership, actor=Actor.from_request(request))
    except actions.ActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Role revoked."))
    return redirect("tenants:staff_list")


@scoped_view({"GET": Cap.ACCOUNT_SELF, "POST": Cap.ACCOUNT_SELF})
def preferences(request, scope):
    form = PreferencesForm(
        request.POST or None, initial={"preferred_language": request.user.preferred_language}
    )
    if request.method == "POST" and form.is_valid():
        actions.do_set_preferred_language(
            request.user,
            language=form.cleaned_data["preferred_language"],
            actor=Actor.from_request(request),
        )
        return redirect("tenants:preferences")
    return render(request, "tenants/preferences.html", {"form": form})
