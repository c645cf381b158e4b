from django.contrib import admin

from notifications.models import OutboxEntry


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "to", "subject"]
    list_filter = ["channel"]
    search_fields = ["to", "subject"]
    readonly_fields = ["channel", "to", "subject", "body", "html_body", "headers", "created_at"]
