"""django-allauth adapters and forms: phone numbers on our User, codes through our providers.

Guardians sign in without a password with a one-time code sent to their email or phone
(allauth's login-by-code). Codes expire (ACCOUNT_LOGIN_BY_CODE_TIMEOUT), are single use and
limited to ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS tries, and requests are rate-limited per identifier
and per IP (ACCOUNT_RATE_LIMITS). With enumeration prevention the reply never tells whether an
account exists, and nothing is ever sent to an unknown number (no SMS pumping).

Staff sign in with email and password; failed passwords lock an identifier from one IP
(`_get_login_attempts_cache_key`). School and district admins must use TOTP
(`tenants.middleware.RequireAdminTwoFactorMiddleware`) and cannot turn it off (`MFAAdapter`).
Single sign-on only signs in people who already exist (`SocialAccountAdapter`, `tenants.sso`).
"""

import logging

from allauth.account import forms as allauth_forms
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.sms import send_sms
from tenants import roles, sso
from tenants.phones import InvalidPhoneNumber, normalise_phone
from tenants.scope import list_scopes_for_user

logger = logging.getLogger(__name__)


def _normalised_phone_or_none(phone: str) -> str | None:
    try:
        return normalise_phone(phone)
    except InvalidPhoneNumber:
        return None


class AccountAdapter(DefaultAccountAdapter):
    def phone_form_field(self, **kwargs):
        # allauth's field only accepts E.164 ("+13125550142"); families type "(312) 555-0142".
        # Without its regex validator the value reaches clean_phone, which normalises it for the
        # default region (settings.PHONENUMBER_DEFAULT_REGION) or refuses it.
        kwargs.setdefault("validators", [])
        kwargs.setdefault("label", gettext_lazy("Mobile number"))
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        )
        return PhoneField(**kwargs)

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
        # A password sign-in passes the number as typed; codes pass it already normalised.
        normalised = _normalised_phone_or_none(phone)
        if normalised is None:
            return None
        return get_user_model().objects.filter(phone=normalised, is_active=True).first()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        language = getattr(user, "preferred_language", None) or translation.get_language()
        with translation.override(language):
            body = _("Your Engage sign-in code is %(code)s. It expires in %(minutes)s minutes.") % {
                "code": code,
                "minutes": settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT // 60,
            }
        send_sms(to=phone, body=body)

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # Never text a number nobody registered: that is how SMS pumping makes money.
        return None

    def send_account_already_exists_sms(self, phone: str) -> None:
        return None

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Sign-in code mails carry no user in their context: find the person to use their language.
        user = context.get("user") or (
            get_user_model().objects.filter(email__iexact=email).only("preferred_language").first()
        )
        language = getattr(user, "preferred_language", None) or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject: str) -> str:
        # allauth prefixes "[<host>] "; our subjects already name Engage.
        return str(subject)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # Lockout keyed on identifier + IP: a forgotten password on one phone does not lock the
        # same person out everywhere, and an attacker's IP is limited by the per-IP rate as well.
        # The identifier is normalised, so "(312) 555-0142" and "+13125550142" share one count.
        email = credentials.get("email")
        phone = credentials.get("phone")
        identifier = email.strip().lower() if email else ""
        if not identifier and phone:
            identifier = _normalised_phone_or_none(phone) or phone.strip()
        # allauth's client IP (the one its per-IP rates use), so both follow one proxy setting.
        return f"{identifier}:{self.get_client_ip(request)}"

    def is_open_for_signup(self, request) -> bool:
        # Families join by invite or verified self-registration (roster issue); no open sign-up.
        return False


class LoginForm(allauth_forms.LoginForm):
    """allauth's password form; it also carries the district's single sign-on buttons."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Email address")
        self.fields["login"].widget.attrs.update({"autocomplete": "username", "inputmode": "email"})
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)  # labels, not placeholders, name fields

    @cached_property
    def district_slug(self) -> str:
        return self.request.GET.get("district", "").strip() if self.request else ""

    @cached_property
    def sign_in_options(self) -> list[sso.SignInOption]:
        return sso.list_sign_in_options(self.request, self.district_slug)


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    """allauth's request-a-code form: the mobile number first, and an empty form refused.

    allauth 65.21 accepts a form with neither an email nor a phone and then fails with a 500.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["phone", "email"])
        self.fields["email"].label = _("Email address")
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors and not cleaned_data.get("email") and not cleaned_data.get("phone"):
            raise forms.ValidationError(
                _("Enter your mobile number or your email address."), code="required"
            )
        return cleaned_data


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        # Admins must keep TOTP (the middleware also trusts a session once it saw one). To
        # replace a lost device, an operator deletes the authenticator in the admin site.
        if authenticator.type != authenticator.Type.TOTP:
            return True
        scopes = list_scopes_for_user(authenticator.user)
        return not any(roles.requires_two_factor(scope.role) for scope in scopes)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # Single sign-on only signs in people the district has already rostered.
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        """Let a provider identity sign in only an existing person whose district offers it.

        A new identity is connected to the active person with the same email, when the provider
        says that email is verified; anything else is refused with a message on the sign-in page.
        """
        app = sociallogin.provider.app
        if sociallogin.state.get("process") == AuthProcess.CONNECT:
            user = request.user
        elif sociallogin.is_existing:
            user = sociallogin.user
        else:
            verified = [
                address.email for address in sociallogin.email_addresses if address.verified
            ]
            if not verified:
                self._refuse(request, sociallogin, "email_not_verified", NOT_VERIFIED_MESSAGE)
            user = sso.get_user_for_sso(app, verified)
            if user is None:
                self._refuse(request, sociallogin, "no_matching_person", NOT_SET_UP_MESSAGE)
            sso.do_connect_sso_identity(request, sociallogin, user)
            return
        if not user.is_authenticated or not sso.is_sso_enabled_for_user(user, app):
            self._refuse(request, sociallogin, "not_offered_to_person", NOT_SET_UP_MESSAGE)

    def _refuse(self, request, sociallogin, reason: str, message) -> None:
        logger.info(
            "auth.sso.refused", extra={"reason": reason, "provider": sociallogin.account.provider}
        )
        messages.error(request, message)
        raise ImmediateHttpResponse(redirect("account_login"))


NOT_VERIFIED_MESSAGE = gettext_lazy(
    "Your sign-in provider did not confirm your email address, so we cannot sign you in with it. "
    "Please get a sign-in code instead."
)
NOT_SET_UP_MESSAGE = gettext_lazy(
    "We could not find an Engage account for you that can use this sign-in. Please use your "
    "email address or mobile number, or contact your school."
)
