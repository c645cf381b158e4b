"""Apply a Plan: create, update and deactivate in batches, inside the caller's transaction.

New rows go in by PostgreSQL `COPY` (several times faster than INSERT for 500,000 rows), or by
bulk_create elsewhere (the embedded SQLite mode). COPY returns no ids, so the rows that later rows
point at (school years, schools, classrooms, users, children) take theirs from the table's own
sequence first (`nextval`, the ids an INSERT would have drawn); the others get theirs from the
column default. Either way each NewRow learns its id before the rows that point at it are written.
Every column the plan does not give comes from the field's default, computed once per import.
Encrypted columns (privacy.fields) are encrypted on every path: COPY writes what the field's
`get_prep_value` makes, and their keyed hashes are computed from the planned value and the
district; bulk_create and bulk_update encrypt through the field, and updates name the hashes.

Deactivation only ever sets is_active=False (memberships also get revoked_at; children leaving
get removed_at in the plan's updates): a roster never deletes, so the privacy engine's timers
decide what is erased and when.
"""

import functools

from django.db import connection
from django.utils import timezone

from engage import versioned_cache
from privacy.fields import EncryptedField, KeyedHashField, fill_keyed_hashes, with_keyed_hashes
from tenants.cache_keys import family_dependency, memberships_dependency, user_dependency
from tenants.models import Membership, SchoolYear, User
from tenants.roster.existing import BATCH, batches
from tenants.roster.progress import Progress
from tenants.roster.rows import CREATE_COLUMNS, WRITE_ORDER, NewRow, Plan

COPY_BATCH = 10_000


def write_plan(plan: Plan, progress: Progress | None = None) -> None:
    """Write everything `plan` holds; the caller wraps this in one transaction."""
    progress = progress or Progress()
    district = plan.district
    create = copy_rows if connection.vendor == "postgresql" else bulk_create_rows
    for model in WRITE_ORDER:
        # popped, so that what is written can be freed
        rows = plan.create.pop(model, [])
        if rows:
            create(model, rows, district, progress)
    updated_user_ids = set()
    for model in WRITE_ORDER:
        for fields, rows in plan.update.get(model, {}).items():
            written = with_keyed_hashes(model, fields)
            for chunk in batches(rows):
                instances = [
                    model(id=row[0], **dict(zip(fields, row[1:], strict=True))) for row in chunk
                ]
                if len(written) > len(fields):
                    for instance in instances:
                        instance.district_id = district.id
                        fill_keyed_hashes(instance)
                model.objects.bulk_update(instances, written)
                progress.advance(len(chunk))
            if model is User:
                updated_user_ids.update(row[0] for row in rows)
    _make_current(plan)
    now = timezone.now()
    for model, ids in plan.deactivate.items():
        values = {"is_active": False}
        if model is Membership:
            values["revoked_at"] = now
        for chunk in batches(sorted(ids)):
            # roster import is an operator's command: every write here is filtered by the district
            model.objects.filter(district=district, id__in=chunk).update(**values)
            progress.advance(len(chunk))
    _bump_caches(plan, updated_user_ids)


def _make_current(plan: Plan) -> None:
    if plan.current_year is None:
        return
    year_id = _id(plan.current_year)
    SchoolYear.objects.filter(district=plan.district, is_current=True).exclude(id=year_id).update(
        is_current=False
    )
    SchoolYear.objects.filter(district=plan.district, id=year_id).update(is_current=True)


def _id(ref):
    return ref.id if isinstance(ref, NewRow) else ref


class _Columns:
    """Where each column's value of a new row comes from: the plan's tuple, or a constant.

    `is_copy`: the values go to the database as they are (COPY), so encrypted columns are
    encrypted here and keyed hashes computed; model instances (bulk_create) do both themselves.
    """

    def __init__(self, model, district, *, is_copy: bool = False):
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        planned = {name: index for index, name in enumerate(CREATE_COLUMNS[model], 1)}
        self.sources = []
        for f in self.fields:
            if f.attname in planned:
                prepare = f.get_prep_value if is_copy and isinstance(f, EncryptedField) else None
                self.sources.append((planned[f.attname], f.is_relation, prepare))
            elif is_copy and isinstance(f, KeyedHashField) and f.source in planned:
                hash_value = functools.partial(f.hash_value, district_id=district.id)
                self.sources.append((planned[f.source], False, hash_value))
            elif f.attname == "district_id":
                self.sources.append((None, district.id, None))
            else:
                # once per import: every row created by it has the same created_at
                self.sources.append((None, f.get_default(), None))

    def values(self, row: tuple) -> list:
        values = []
        for index, extra, prepare in self.sources:
            if index is None:
                values.append(extra)
            elif extra:  # a reference: an id, or a NewRow written before
                value = row[index]
                values.append(value.id if value.__class__ is NewRow else value)
            elif prepare is not None:
                values.append(prepare(row[index]))
            else:
                values.append(row[index])
        return values


def copy_rows(model, rows: list[tuple], district, progress: Progress) -> None:
    """PostgreSQL: COPY the rows in, with ids drawn from the table's sequence when needed."""
    columns = _Columns(model, district, is_copy=True)
    table = connection.ops.quote_name(model._meta.db_table)
    needs_ids = rows[0][0] is not None
    names = [f.column for f in columns.fields]
    if needs_ids:
        names.insert(0, model._meta.pk.column)
    sql = f"COPY {table} ({', '.join(map(connection.ops.quote_name, names))}) FROM STDIN"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COPY_BATCH):
            chunk = rows[start : start + COPY_BATCH]
            if needs_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, model._meta.pk.column, len(chunk)],
                )
                for row, (new_id,) in zip(chunk, cursor.fetchall(), strict=True):
                    row[0].id = new_id
            with cursor.copy(sql) as copy:
                for row in chunk:
                    values = columns.values(row)
                    if needs_ids:
                        values.insert(0, row[0].id)
                    copy.write_row(values)
            progress.advance(len(chunk))


def bulk_create_rows(model, rows: list[tuple], district, progress: Progress) -> None:
    """Elsewhere (SQLite): bulk_create in batches; the ids come back on the instances."""
    columns = _Columns(model, district)
    names = [f.attname for f in columns.fields]
    for chunk in batches(rows):
        instances = [model(**dict(zip(names, columns.values(row), strict=True))) for row in chunk]
        model.objects.bulk_create(instances)
        for row, instance in zip(chunk, instances, strict=True):
            if row[0] is not None:
                row[0].id = instance.id
        progress.advance(len(chunk))


def _bump_caches(plan: Plan, updated_user_ids: set[int]) -> None:
    """People whose roles, families or own rows changed see it at once (bulk_update sends no
    save signal for the user cache; new people have no cache yet)."""
    names = [memberships_dependency(u) for u in plan.changed_users if isinstance(u, int)]
    names += [user_dependency(u) for u in sorted(updated_user_ids)]
    names += [family_dependency(g) for g in plan.changed_guardians if isinstance(g, int)]
    for chunk in batches(names, 500):
        versioned_cache.bump(*chunk)


__all__ = ["BATCH", "write_plan"]
