"""django-allauth adapters: phone numbers on our User, codes through our providers.

Guardians sign in without a password with a one-time code sent to their email or phone
(allauth's login-by-code). Codes expire (ACCOUNT_LOGIN_BY_CODE_TIMEOUT), are single use and
limited to ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS tries, and requests are rate-limited per identifier
and per IP (ACCOUNT_RATE_LIMITS). With enumeration prevention the reply never tells whether an
account exists, and nothing is ever sent to an unknown number (no SMS pumping).
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.sms import send_sms
from privacy.audit import client_ip
from tenants.phones import InvalidPhoneNumber, normalise_phone


class AccountAdapter(DefaultAccountAdapter):
    def clean_phone(self, phone: str) -> str:
        try:
            return normalise_phone(phone)
        except InvalidPhoneNumber as error:
            raise forms.ValidationError(_("Enter a valid mobile number.")) from error

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user):
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone_verified(self, user, phone: str) -> None:
        if user.phone == phone and not user.phone_verified:
            user.phone_verified = True
            user.save(update_fields=["phone_verified"])

    def get_user_by_phone(self, phone: str):
        return get_user_model().objects.filter(phone=phone, is_active=True).first()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        language = getattr(user, "preferred_language", None) or translation.get_language()
        with translation.override(language):
            body = _("Your Engage sign-in code is %(code)s. It expires in %(minutes)s minutes.") % {
                "code": code,
                "minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
            }
        send_sms(to=phone, body=body)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = context.get("user")
        language = getattr(user, "preferred_language", None) or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # Lockout keyed on identifier + IP: a forgotten password on one phone does not lock the
        # same person out everywhere, and an attacker's IP is limited by the per-IP rate as well.
        identifier = credentials.get("email") or credentials.get("phone") or ""
        return f"{identifier.lower()}:{client_ip(request) or '-'}"

    def is_open_for_signup(self, request) -> bool:
        # Families join by invite or verified self-registration (roster issue); no open sign-up.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Single sign-on only signs in people the district has already rostered.
        return False
