"""What a delivery says: the message in the recipient's language, with opt-out instructions."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from notifications.models import Channel

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
UNSUBSCRIBE_TOKEN = "-engage_unsubscribe_url-"
# A message body may hold this placeholder for a link of the recipient's own (an invite): it is
# filled in per delivery (source_links) so the link is never stored with the message.
INVITE_LINK_TOKEN = "-engage_invite_url-"
SMS_MAX_CHARS = 640


@dataclass
class Rendered:
    subject: str
    body: str
    html_body: str = ""
    headers: dict = field(default_factory=dict)
    substitutions: dict = field(default_factory=dict)


def unsubscribe_token(channel: str, address: str) -> str:
    return signing.dumps({"c": channel, "a": address}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """(channel, address) from a token; raises signing.BadSignature for a forged one."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return data["c"], data["a"]


def unsubscribe_url(channel: str, address: str) -> str:
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(channel, address)])
    return f"{settings.PUBLIC_BASE_URL}{path}"


def source_links(message) -> dict[str, str]:
    """{placeholder: URL} for links that belong to the message's source (an invite)."""
    if message.source_type == "invite" and message.source_id:
        from guardians.tokens import invite_url

        return {INVITE_LINK_TOKEN: invite_url(int(message.source_id))}
    return {}


def render_delivery(delivery) -> Rendered:
    message = delivery.message
    text = message.text_for(delivery.language)
    subject, body = text.get("subject", ""), text.get("body", "")
    links = source_links(message)
    with translation.override(delivery.language):
        if delivery.channel == Channel.SMS:
            for placeholder, url in links.items():
                body = body.replace(placeholder, url)
            sms = f"{subject}\n{body}" if subject and not body.startswith(subject) else body
            footer = _("Reply STOP to stop texts.")
            return Rendered(subject="", body=f"{sms[: SMS_MAX_CHARS - len(footer) - 1]}\n{footer}")
        # The body is the same for every recipient but for the unsubscribe link: a token filled
        # in per recipient, so a provider can send one batch for many recipients.
        url = unsubscribe_url(Channel.EMAIL, delivery.address)
        footer = _("Stop these emails: %(url)s") % {"url": UNSUBSCRIBE_TOKEN}
        html = linebreaks(escape(body))
        for placeholder in links:
            html = html.replace(placeholder, f'<a href="{placeholder}">{placeholder}</a>')
        html = f'{html}<hr><p><a href="{UNSUBSCRIBE_TOKEN}">{escape(_("Unsubscribe"))}</a></p>'
        return Rendered(
            subject=subject,
            body=f"{body}\n\n--\n{footer}",
            html_body=html,
            headers={
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            substitutions={UNSUBSCRIBE_TOKEN: url, **links},
        )
