from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from privacy.districts.admin_actions import record_contract_end
from tenants.models import (
    Classroom,
    District,
    Group,
    GroupMember,
    Membership,
    RosterImportRun,
    RosterPerson,
    School,
    SchoolYear,
    User,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "is_active"]
    search_fields = ["name", "slug"]
    # The contract's end goes through its action (privacy.districts), never a plain edit.
    actions = [record_contract_end]
    readonly_fields = [
        "contract_ended_at",
        "access_ends_at",
        "disposal_due_at",
        "termination_reason",
    ]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "is_active"]
    list_filter = ["district"]
    list_select_related = ["district"]
    search_fields = ["name"]


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "start_date", "end_date", "is_current"]
    list_select_related = ["district"]


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["name", "school", "school_year", "grade_level", "is_active"]
    list_filter = ["district"]
    list_select_related = ["school", "school_year"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "district", "school", "classroom", "is_active"]
    list_filter = ["role", "district", "is_active"]
    list_select_related = ["user", "district", "school", "classroom"]
    raw_id_fields = ["user", "granted_by", "school", "classroom"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "district", "school"]
    list_select_related = ["district", "school"]


@admin.register(GroupMember)
class GroupMemberAdmin(admin.ModelAdmin):
    list_display = ["group", "user"]
    raw_id_fields = ["group", "user"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "phone", "first_name", "last_name", "is_active", "is_staff"]
    search_fields = ["email", "phone", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "phone", "phone_verified", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "preferred_language", "timezone"]}),
        (
            "Platform",
            {"fields": ["is_active", "is_staff", "is_superuser", "last_login", "date_joined"]},
        ),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal: list[str] = []
    list_filter = ["is_active", "is_staff"]


# Single sign-on per district: the SocialApp (client id and secret) is edited in allauth's admin;
# this says which districts offer it. Appended separately to keep the sign-in work in one place.
from tenants.models import DistrictSignInProvider  # noqa: E402


@admin.register(DistrictSignInProvider)
class DistrictSignInProviderAdmin(admin.ModelAdmin):
    list_display = ["social_app", "district", "is_enabled", "email_domain", "created_at"]
    list_filter = ["is_enabled", "district"]
    list_select_related = ["social_app", "district"]
    search_fields = ["social_app__name", "district__name", "email_domain"]


@admin.register(RosterPerson)
class RosterPersonAdmin(admin.ModelAdmin):
    list_display = ["sourced_id", "user", "district", "is_active"]
    list_filter = ["district", "is_active"]
    list_select_related = ["user", "district"]
    raw_id_fields = ["user"]
    search_fields = ["sourced_id"]


@admin.register(RosterImportRun)
class RosterImportRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the importer only."""

    list_display = ["started_at", "district", "source_format", "outcome", "error_count"]
    list_filter = ["district", "outcome"]
    list_select_related = ["district"]
    readonly_fields = [f.name for f in RosterImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
