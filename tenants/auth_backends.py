"""The authentication backend: allauth's, loading the signed-in person through the versioned cache.

Every signed-in request loads its user (`django.contrib.auth.get_user` -> `backend.get_user`) and,
in tenants.middleware, their scopes. Here both are one entry of the versioned cache (the user row
and their scope contexts): one cache read instead of a query and a cache read, so a page whose
other data is cached too runs no query at all.

Never stale: the user's dependency is bumped by a receiver of every save or delete of a user,
whoever makes it (our actions, allauth's password change and reset, the admin, `createsuperuser`,
`changepassword`), at once and again after commit. Django then compares the session's hash with
the password of the row it just read, so a deactivation or a password change signs the person out
on their next request. `TenantsConfig.ready` connects the receiver, so it is connected in every
process. `QuerySet.update()` on users sends no signal: bump `user_dependency` after one (none in
the code today); the entry's timeout bounds what a forgotten bump could leave.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from engage import versioned_cache
from tenants.cache_keys import memberships_dependency, user_dependency
from tenants.scope import CONTEXTS_ATTRIBUTE, build_scope_contexts

USER_CACHE_SECONDS = 600


class AuthenticationBackend(AllauthBackend):
    """allauth's backend (a ModelBackend: email, phone and code sign-in, permissions); only the
    per-request user load differs, returning what `ModelBackend.get_user` returns."""

    def get_user(self, user_id):
        user = get_cached_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def get_cached_user(user_id):
    """The user with this id as last saved, or None; one cache read when cached.

    The user's scope contexts are cached and checked with the row and come attached to it, so
    the request's `list_scopes_for_user(user)` needs no other read."""
    user_id = get_user_model()._meta.pk.to_python(user_id)
    user, contexts = versioned_cache.get_or_build(
        f"person:{user_id}",  # people span tenants: the key has no district
        lambda: _build_person(user_id),
        known_dependencies=[user_dependency(user_id), memberships_dependency(user_id)],
        timeout=USER_CACHE_SECONDS,
    )
    if user is not None:
        setattr(user, CONTEXTS_ATTRIBUTE, contexts)
    return user


def _build_person(user_id):
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None:
        return (None, []), []
    contexts, dependencies = build_scope_contexts(user)
    return (user, contexts), dependencies


def _bump_user(sender, instance, **kwargs):
    versioned_cache.bump(user_dependency(instance.pk))


def connect_user_cache_invalidation() -> None:
    """Bump a user's dependency on every save and delete (called once, from TenantsConfig.ready)."""
    post_save.connect(_bump_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="user-cache-save")
    post_delete.connect(
        _bump_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="user-cache-delete"
    )
