from django.contrib import admin

from guardians.models import Child, Enrollment, GuardianLink


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "school", "grade_level", "is_active"]
    list_filter = ["district"]
    list_select_related = ["school"]
    search_fields = ["first_name", "last_name", "pupil_number"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["child", "classroom", "is_active"]
    list_select_related = ["child", "classroom"]
    raw_id_fields = ["child", "classroom"]


@admin.register(GuardianLink)
class GuardianLinkAdmin(admin.ModelAdmin):
    list_display = ["guardian", "child", "relationship", "contact_role", "has_access", "is_active"]
    list_select_related = ["guardian", "child"]
    raw_id_fields = ["guardian", "child"]
