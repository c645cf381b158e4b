"""Single sign-on per district: which providers a district offers, and who may use them.

A district offers an allauth SocialApp (Google, Microsoft, Clever or OpenID Connect; the client id
and secret live on the SocialApp) through a DistrictSignInProvider row. A platform-wide app, such
as one Google client, can serve many districts; an OpenID Connect app is usually one district's
own identity provider, with its own `provider_id`.

Single sign-on never creates people. An identity is matched to an existing active person by an
email address the provider says is verified, and only when one of that person's districts has
enabled the app (for addresses at the row's `email_domain`, when one is set).

These run before anyone is signed in, so there is no Scope yet: reads are scoped by the district
named in the URL or by the person's own memberships instead.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from privacy.audit import Actor, client_ip, record_audit_event
from tenants.models import District, DistrictSignInProvider, Membership, User


@dataclass(frozen=True)
class SignInOption:
    """One single sign-on button: the provider's name and the URL its form posts to."""

    name: str
    login_url: str


def list_sign_in_providers_for_district_slug(slug: str) -> QuerySet[DistrictSignInProvider]:
    """The enabled providers of the active district `slug`, by name (one query; none for "")."""
    return (
        DistrictSignInProvider.objects.filter(  # scoped by the district the URL names
            district__slug=slug, district__is_active=True, is_enabled=True
        )
        .select_related("social_app")
        .order_by("social_app__name", "id")
    )


def list_sign_in_options(request, district_slug: str) -> list[SignInOption]:
    """The sign-in page's single sign-on buttons for `?district=<slug>`; none without a district.

    Without a district the page shows no provider: a district's identity provider is listed only
    on that district's sign-in page (districts link to `/accounts/login/?district=<slug>`).
    """
    if not district_slug:
        return []
    return [
        SignInOption(
            name=row.social_app.name,
            login_url=row.social_app.get_provider(request).get_login_url(request),
        )
        for row in list_sign_in_providers_for_district_slug(district_slug)
    ]


def is_sso_enabled_for_user(user: User, social_app) -> bool:
    """Whether an active district of `user` offers `social_app` to them (one query).

    A row with an `email_domain` offers the app only to people whose email is at that domain.
    """
    if not user.is_active or social_app.id is None:
        return False
    domains = DistrictSignInProvider.objects.filter(  # scoped by the person's own memberships
        social_app_id=social_app.id,
        is_enabled=True,
        district__is_active=True,
        district_id__in=Membership.objects.filter(user=user, is_active=True).values("district_id"),
    ).values_list("email_domain", flat=True)
    user_domain = (user.email or "").rpartition("@")[2].lower()
    return any(not domain or domain.lower().lstrip("@") == user_domain for domain in domains)


def get_user_for_sso(social_app, verified_emails: list[str]) -> User | None:
    """The active person one of `verified_emails` belongs to, if SSO by `social_app` is theirs."""
    for email in verified_emails:
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is not None and is_sso_enabled_for_user(user, social_app):
            return user
    return None


@transaction.atomic
def do_add_district_sign_in_provider(
    district: District, *, social_app, email_domain: str = "", actor: Actor
) -> DistrictSignInProvider:
    """Offer `social_app` on `district`'s sign-in page; audited. Idempotent per (district, app)."""
    row, created = DistrictSignInProvider.objects.get_or_create(
        district=district,
        social_app=social_app,
        defaults={"email_domain": email_domain.strip().lower()},
    )
    if created:
        record_audit_event(
            actor=actor,
            action="district.sign_in_provider_added",
            target=row,
            metadata={"social_app_id": social_app.id, "email_domain": row.email_domain},
        )
    return row


@transaction.atomic
def do_connect_sso_identity(request, sociallogin, user: User) -> None:
    """Link the provider identity of `sociallogin` to `user`, so later sign-ins find them by it.

    Called while signing in, before the person is signed in: the actor is the person themself.
    """
    sociallogin.connect(request, user)
    record_audit_event(
        actor=Actor(user=user, ip=client_ip(request)),
        action="user.sso_connected",
        target=user,
        district_id=None,
        metadata={"provider": sociallogin.account.provider},
    )
