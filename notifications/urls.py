from django.urls import path

from notifications import views, webhooks

app_name = "notifications"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("messages/", views.message_list, name="message_list"),
    path("messages/new/", views.compose, name="compose"),
    path("messages/reach/", views.reach, name="reach"),
    path("messages/<int:message_id>/", views.message_detail, name="message_detail"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:message_id>/", views.inbox_message, name="inbox_message"),
    path("notifications/preferences/", views.preferences, name="preferences"),
    path("notifications/unsubscribe/<str:token>/", webhooks.unsubscribe, name="unsubscribe"),
    path("webhooks/twilio/status/", webhooks.twilio_status, name="twilio_status"),
    path("webhooks/twilio/inbound/", webhooks.twilio_inbound, name="twilio_inbound"),
    path("webhooks/sendgrid/events/", webhooks.sendgrid_events, name="sendgrid_events"),
]
