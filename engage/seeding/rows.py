"""Bulk rows for the seeder: COPY on PostgreSQL (bulk_create elsewhere), and plain DELETEs."""

from collections.abc import Iterable

from django.db import connection

from activities.models import (
    Activity,
    ActivityEvent,
    ActivityTarget,
    BadgeAward,
    ChildProgress,
    Question,
    SchoolActivitySettings,
    Submission,
    SubmissionPhoto,
)
from tenants.models import District

BATCH_SIZE = 2000
COPY_BATCH = 20_000


def delete_activity_rows(district: District) -> None:
    """Every activity row of the district (2,000,000 submissions at scale): plain DELETEs, leaf
    tables first, before any ORM cascade would load them."""
    delete_district_rows(
        district,
        (
            BadgeAward,
            SubmissionPhoto,
            ActivityEvent,
            Submission,
            ChildProgress,
            Question,
            ActivityTarget,
            Activity,
            SchoolActivitySettings,
        ),
    )


def delete_district_rows(district: District, models) -> None:
    """Every row of `models` in the district, in the order given (leaf tables first)."""
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE district_id = %s", [district.id])  # noqa: S608


def analyze() -> None:
    """Fresh planner statistics after bulk inserts."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def insert_rows(model, instances: Iterable) -> int:
    """Insert unsaved instances (their ids set); COPY on PostgreSQL, bulk_create elsewhere.

    Each value is what the field itself would save (`pre_save`, `get_db_prep_save`): encrypted
    fields write ciphertext, keyed hashes are computed, defaults apply."""
    count = 0
    for chunk in _chunks(instances, COPY_BATCH):
        if connection.vendor == "postgresql":
            _copy_chunk(model, chunk)
        else:
            model.objects.bulk_create(chunk, batch_size=BATCH_SIZE)
        count += len(chunk)
    return count


def _chunks(items: Iterable, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _copy_chunk(model, chunk: list) -> None:
    fields = model._meta.concrete_fields
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(chunk)],
        )
        for instance, (new_id,) in zip(chunk, cursor.fetchall(), strict=True):
            setattr(instance, pk.attname, new_id)
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for instance in chunk:
                # As bulk_create does: a related object assigned before it had an id lends it now.
                instance._prepare_related_fields_for_save(operation_name="insert_rows")
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
                )
