from django.contrib import admin

from privacy.models import AuditEvent, Incident, IncidentDistrict, PolicyVersion


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "target_type", "target_id", "actor", "district"]
    list_filter = ["action", "district"]
    list_select_related = ["actor", "district"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IncidentDistrictInline(admin.TabularInline):
    model = IncidentDistrict
    fields = ["district", "contact_name", "contact_email", "notice_sent_at", "notice_channel"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only here: operators record and notify on /privacy/incidents/, where every change is
    checked and audited and the clocks are shown."""

    list_display = ["title", "status", "confirmed_at", "authority_notified_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Incident._meta.fields]
    inlines = [IncidentDistrictInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Read-only here: a district publishes versions from its own pages (/privacy/district/policy/),
    which enforce the 30 days' notice of a material change and tell its admins."""

    list_display = ["district", "version", "effective_at", "is_material", "notified_at"]
    list_filter = ["is_material"]
    list_select_related = ["district"]
    readonly_fields = [f.name for f in PolicyVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
