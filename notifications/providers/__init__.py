"""Message providers: the only code that talks to a messaging vendor.

The notifications issue adds Twilio and SendGrid behind the same two functions; until a
provider's credentials are configured, messages land in the local outbox.
"""

from notifications.providers.outbox import OutboxProvider


def get_email_provider():
    return OutboxProvider()


def get_sms_provider():
    return OutboxProvider()
