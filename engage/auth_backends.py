"""The authentication backend: allauth's, with the signed-in user loaded by SQL compiled once.

Every signed-in request loads its user (`django.contrib.auth.get_user` -> `backend.get_user`).
The ORM spends several times longer building `SELECT ... FROM tenants_user WHERE id = %s` than
the database spends answering it, so the statement is compiled once per database alias and only
executed per request. The row is still read on every request, never cached: a deactivation or a
password change (which changes the session hash) signs the person out on their next request.
"""

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.db import router


class AuthenticationBackend(AllauthBackend):
    """allauth's backend (a ModelBackend: email, phone and code sign-in, permissions); only the
    per-request user load differs, returning what `ModelBackend.get_user` returns."""

    def get_user(self, user_id):
        user = get_user_by_id(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def get_user_by_id(user_id):
    """The user row with this id, or None: `User._default_manager.get(pk=...)`, precompiled."""
    model = get_user_model()
    alias = router.db_for_read(model)
    query, sql, columns, attnames = _compiled_user_query(alias)
    compiler = query.get_compiler(alias)  # this thread's connection, for the converters
    converters = compiler.get_converters(columns)
    pk_field = model._meta.pk
    value = pk_field.get_db_prep_value(pk_field.to_python(user_id), compiler.connection)
    with compiler.connection.cursor() as cursor:
        cursor.execute(sql, [value])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = next(iter(compiler.apply_converters([row], converters)))
    return model.from_db(alias, attnames, row)


@cache
def _compiled_user_query(alias: str):
    model = get_user_model()
    query = model._default_manager.using(alias).filter(pk=0).query
    compiler = query.get_compiler(alias)
    sql, params = compiler.as_sql()
    if len(params) != 1:
        raise AssertionError(f"expected one parameter (the id) in {sql!r}")
    columns = [expression for expression, _, _ in compiler.select]
    return query, sql, columns, [column.target.attname for column in columns]
