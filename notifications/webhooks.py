"""Provider webhooks: Twilio status callbacks and inbound SMS, SendGrid events, unsubscribe.

Each request is authenticated before anything is read into the database: Twilio's
X-Twilio-Signature against the configured public URL, SendGrid's ECDSA signature with a
timestamp window. An unsigned or badly signed request gets 403 and writes nothing.
"""

import json
import logging
import re
import time

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from engage.ratelimits import limit_bad_signatures
from notifications import actions
from notifications.models import Channel, Delivery, Suppression
from notifications.providers.sendgrid_email import is_valid_event_signature
from notifications.providers.twilio_sms import SUPPRESS_CODES, is_valid_webhook, twiml_reply
from notifications.queries import help_text_for_phone
from notifications.rendering import read_unsubscribe_token
from privacy.audit import Actor
from tenants.views_base import public_view

logger = logging.getLogger(__name__)

SENDGRID_SIGNATURE = "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE"
SENDGRID_TIMESTAMP = "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP"
SENDGRID_WINDOW_SECONDS = 10 * 60

TWILIO_STATUS = {
    "sent": Delivery.Status.SENT,
    "delivered": Delivery.Status.DELIVERED,
    "undelivered": Delivery.Status.FAILED,
    "failed": Delivery.Status.FAILED,
}
SENDGRID_STATUS = {
    "delivered": Delivery.Status.DELIVERED,
    "open": Delivery.Status.OPENED,
    "click": Delivery.Status.CLICKED,
    "bounce": Delivery.Status.BOUNCED,
    "dropped": Delivery.Status.FAILED,
    "spamreport": Delivery.Status.DELIVERED,
    "unsubscribe": Delivery.Status.DELIVERED,
    "group_unsubscribe": Delivery.Status.DELIVERED,
}
SENDGRID_SUPPRESS = {
    "bounce": Suppression.Reason.BOUNCE,
    "spamreport": Suppression.Reason.SPAM,
    "unsubscribe": Suppression.Reason.UNSUBSCRIBE,
    "group_unsubscribe": Suppression.Reason.UNSUBSCRIBE,
}

# Carrier-standard keywords (whole message, any case) and plain-language requests to stop.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP", "YES"}
HELP_WORDS = {"HELP", "INFO"}
PLAIN_STOP = re.compile(
    r"\b(stop|quit|cease|no more)\b.{0,40}\b(text|texting|texts|messag\w*|sms)\b"
    r"|\b(unsubscribe|opt\s?out|remove me)\b"
    r"|\b(deja|dejen|para|paren)\b.{0,30}\b(mensaje\w*|textos?)\b",
    re.IGNORECASE,
)


def _twilio_signature_ok(request) -> bool:
    url = f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}"
    signature = request.headers.get("X-Twilio-Signature", "")
    return is_valid_webhook(url, request.POST.dict(), signature)


@public_view
@csrf_exempt
@require_POST
@limit_bad_signatures
def twilio_status(request):
    """Twilio's status callback for a message we sent."""
    if not _twilio_signature_ok(request):
        return HttpResponseForbidden("bad signature")
    status = TWILIO_STATUS.get(request.POST.get("MessageStatus", ""))
    if status is None:
        return HttpResponse(status=204)  # queued / sending / accepted: nothing new to record
    code = request.POST.get("ErrorCode", "")
    actions.do_apply_delivery_event(
        provider="twilio",
        provider_message_id=request.POST.get("MessageSid", ""),
        status=status,
        error_code=code,
    )
    reason = SUPPRESS_CODES.get(int(code)) if code.isdigit() else None
    if status == Delivery.Status.FAILED and reason:
        actions.do_suppress_address(
            Channel.SMS,
            request.POST.get("To", ""),
            reason=reason,
            actor=Actor.system(),
            detail=f"twilio {code}",
        )
    return HttpResponse(status=204)


def classify_inbound(body: str) -> str:
    """'stop', 'start', 'help' or '' for an inbound text."""
    word = re.sub(r"[^A-Z]", "", body.strip().upper())
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return "stop" if PLAIN_STOP.search(body) else ""


@public_view
@csrf_exempt
@require_POST
@limit_bad_signatures
def twilio_inbound(request):
    """A family replied by text: STOP (and plain-language stop), START, HELP."""
    if not _twilio_signature_ok(request):
        return HttpResponseForbidden("bad signature")
    phone, intent = request.POST.get("From", ""), classify_inbound(request.POST.get("Body", ""))
    actor, reply = Actor.system(), None
    if intent == "stop":
        actions.do_suppress_address(
            Channel.SMS, phone, reason=Suppression.Reason.STOP, actor=actor, detail="inbound"
        )
        reply = _("You will get no more texts from Engage. Reply START to resume.")
    elif intent == "start":
        actions.do_lift_suppression(Channel.SMS, phone, actor=actor)
        reply = _("Texts from your school are back on. Reply STOP to stop.")
    elif intent == "help":
        reply = help_text_for_phone(phone)
    return HttpResponse(twiml_reply(reply), content_type="application/xml")


def _sendgrid_signature_ok(request) -> bool:
    signature, timestamp = (
        request.META.get(SENDGRID_SIGNATURE),
        request.META.get(SENDGRID_TIMESTAMP),
    )
    if not (signature and timestamp and timestamp.isdigit()):
        return False
    if abs(time.time() - int(timestamp)) > SENDGRID_WINDOW_SECONDS:
        return False
    try:
        payload = request.body.decode()
    except UnicodeDecodeError:
        return False
    return is_valid_event_signature(payload, signature, timestamp)


def _delivery_id(event: dict) -> int | None:
    reference = str(event.get("engage_ref", ""))
    return int(reference[1:]) if reference.startswith("d") and reference[1:].isdigit() else None


@public_view
@csrf_exempt
@require_POST
@limit_bad_signatures
def sendgrid_events(request):
    """SendGrid's signed event webhook (a JSON list of events)."""
    if not _sendgrid_signature_ok(request):
        return HttpResponseForbidden("bad signature")
    try:
        events = json.loads(request.body)
    except ValueError:
        return HttpResponse("bad json", status=400)
    for event in events if isinstance(events, list) else []:
        kind = event.get("event", "")
        if kind in SENDGRID_STATUS:
            actions.do_apply_delivery_event(
                provider="sendgrid",
                status=SENDGRID_STATUS[kind],
                delivery_id=_delivery_id(event),
                provider_message_id=str(event.get("sg_message_id", "")).split(".")[0],
                event_id=str(event.get("sg_event_id", "")),
                error_code=kind,
            )
        if kind in SENDGRID_SUPPRESS and event.get("email"):
            actions.do_suppress_address(
                Channel.EMAIL,
                event["email"],
                reason=SENDGRID_SUPPRESS[kind],
                actor=Actor.system(),
                detail=f"sendgrid {kind}",
            )
    return HttpResponse(status=204)


@public_view
@csrf_exempt  # RFC 8058 one-click: mail clients POST without a CSRF token; the token is the key
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """The email footer's link and the List-Unsubscribe one-click target."""
    try:
        channel, address = read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    done = request.method == "POST"
    if done:
        actions.do_suppress_address(
            channel,
            address,
            reason=Suppression.Reason.UNSUBSCRIBE,
            actor=Actor.system(),
            detail="link",
        )
    return render(request, "notifications/unsubscribe.html", {"address": address, "done": done})
