"""School and district admins delete a child or a guardian's account, restorable from the
privacy console for the policy's restore window (PROMISES R1), then purged for good.

Thin: access the object in scope (another tenant's id is a 404, nothing written), ask for a
reason, and hand over to privacy.lifecycle.do_delete_with_restore. A guardian whose account also
serves another school or district is not deleted here: the school removes them from its own
scope instead (people span tenants; one school cannot delete another's contact).
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guardians.queries import manage as queries
from privacy.audit import Actor
from privacy.lifecycle import do_delete_with_restore
from privacy.models import Archive
from privacy.queries import get_policy
from tenants.roles import Cap
from tenants.views_base import scoped_view

DELETE = {"GET": Cap.PRIVACY_ADMIN, "POST": Cap.PRIVACY_ADMIN}


class DeleteForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is this being deleted?"),
        max_length=200,
        help_text=gettext_lazy("Kept with the deletion (for example: added by mistake)."),
    )


@scoped_view(DELETE)
def child_delete(request, scope, child_id: int):
    """Delete a child and everything about them, restorable for the restore window."""
    child = queries.access_child(scope, child_id)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        do_delete_with_restore(
            child,
            kind=Archive.Kind.CHILD,
            district_id=scope.district.id,
            school_id=child.school_id,
            actor=Actor.from_request(request),
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("%(name)s was deleted.") % {"name": child.display_name})
        return redirect("manage:child_list")
    return _confirm(request, scope, form, name=child.display_name, school_id=child.school_id)


@scoped_view(DELETE)
def guardian_delete(request, scope, guardian_id: int):
    """Delete a guardian's account, restorable for the restore window, when it serves only
    this scope (otherwise the page says to remove them from the school instead)."""
    guardian = queries.access_guardian(scope, guardian_id)
    elsewhere = queries.is_account_used_beyond_scope(scope, guardian)
    form = DeleteForm(request.POST or None)
    if request.method == "POST" and not elsewhere and form.is_valid():
        do_delete_with_restore(
            guardian,
            kind=Archive.Kind.ACCOUNT,
            district_id=scope.district.id,
            school_id=scope.school.id if scope.school else None,
            actor=Actor.from_request(request),
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("%(name)s's account was deleted.") % {"name": guardian})
        return redirect("manage:guardian_list")
    return _confirm(
        request,
        scope,
        form,
        name=str(guardian),
        school_id=scope.school.id if scope.school else None,
        is_shared=elsewhere,
        guardian=guardian,
    )


def _confirm(request, scope, form, *, name, school_id, is_shared=False, guardian=None):
    policy = get_policy(scope.district.id, school_id)
    return render(
        request,
        "guardians/manage/delete.html",
        {
            "form": form,
            "name": name,
            "restore_days": policy.restore_days,
            "is_shared": is_shared,
            "guardian": guardian,
        },
    )
