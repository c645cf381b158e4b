"""Message providers: the only code that talks to a messaging vendor.

Twilio carries SMS when TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are set, SendGrid carries email
when SENDGRID_API_KEY is set; otherwise messages land in the local outbox (OutboxEntry).
"""

from django.conf import settings

from notifications.providers.base import Provider


def get_email_provider() -> Provider:
    if settings.SENDGRID_ENABLED:
        from notifications.providers.sendgrid_email import SendGridEmailProvider

        return SendGridEmailProvider()
    from notifications.providers.outbox import OutboxProvider

    return OutboxProvider()


def get_sms_provider() -> Provider:
    if settings.SMS_ENABLED:
        from notifications.providers.twilio_sms import TwilioSmsProvider

        return TwilioSmsProvider()
    from notifications.providers.outbox import OutboxProvider

    return OutboxProvider()


def get_provider(channel: str) -> Provider:
    return get_sms_provider() if channel == "sms" else get_email_provider()
