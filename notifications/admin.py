from django.contrib import admin

from notifications.models import (
    Delivery,
    DistrictMessagingSettings,
    Message,
    NotificationPreference,
    OutboxEntry,
    Suppression,
)


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "to", "subject"]
    list_filter = ["channel"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboxEntry._meta.fields]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "district", "school", "status", "recipients_count", "created_at"]
    list_filter = ["kind", "status", "district"]
    list_select_related = ["district", "school"]
    raw_id_fields = ["author", "school"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "message", "channel", "address", "status", "attempts", "updated_at"]
    list_filter = ["channel", "status"]
    search_fields = ["address", "provider_message_id"]
    raw_id_fields = ["message", "recipient", "digest"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["channel", "address", "reason", "created_at"]
    list_filter = ["channel", "reason"]
    search_fields = ["address"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "channels", "daily_cap", "quiet_start", "quiet_end"]
    raw_id_fields = ["user"]


@admin.register(DistrictMessagingSettings)
class DistrictMessagingSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "district",
        "twilio_messaging_service_sid",
        "email_from_name",
        "sends_per_second",
    ]
