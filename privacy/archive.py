"""Deletion you can undo, then purge (PROMISES R1): the archive of deleted records.

Design. Deleting an account, a child or a submission collects, with Django's own deletion
collector, exactly what a delete would remove (cascades) or change (SET_NULL), serializes those
rows into ArchivedRow (fields by name, ids kept) and the nulled foreign keys into
`Archive.nulled`, then deletes them from the live tables, all in one transaction with the roots
locked, so nothing can attach to them half-way. Deleted data is then invisible to every query
because it is no longer in any live table. Files stay in storage, listed on the archive.

A restore within the window re-inserts the rows with their ids, in parents-first order, and sets
the nulled keys back (R1); one that would collide with what was created since (an address now
used by another account) fails with a clear error and changes nothing. After the window, the
purge deletes the archived rows in chunks by id (no OFFSET, one transaction per chunk) and then
the files; a purge that stops half-way is resumed by the next run, and a finished one is a no-op.
"""

import base64
import datetime
import json
from collections import Counter, defaultdict

from django.apps import apps
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, models, transaction
from django.db.models import Subquery
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards.actions import schedule_repair, schools_of_rows
from privacy.classification import personal_fields
from privacy.crypto import get_keyring
from privacy.journal import (
    ARCHIVE_CREATED,
    ARCHIVE_PURGED,
    ARCHIVE_RESTORED,
    JOURNALED_FIELDS,
    record_archive_events,
)
from privacy.models import Archive, ArchivedRow

PURGE_CHUNK = 5000
PURGE_ARCHIVES_PER_QUERY = 500
SERIALIZE_BATCH = 2000


class RestoreError(Exception):
    """The archive cannot be restored (past its window, already restored, or a collision)."""


def archive_objects(
    roots: list[models.Model],
    *,
    kind: str,
    district_id: int,
    school_id: int | None,
    restore_until,
    reason: str = "",
    deleted_by=None,
) -> Archive:
    """Move `roots` and everything a delete would cascade to into a new Archive (see module).

    Call inside the caller's transaction; the roots are locked first. Returns the archive."""
    model = type(roots[0])
    locked = list(model._base_manager.select_for_update().filter(id__in=[r.id for r in roots]))
    collector = Collector(using=DEFAULT_DB_ALIAS)
    collector.collect(locked)
    collector.sort()
    rows_by_model = _collected_ids(collector)
    archive = Archive.objects.create(
        district_id=district_id,
        school_id=school_id,
        kind=kind,
        subject_type=model._meta.label_lower,
        subject_id=roots[0].id,
        reason=reason,
        deleted_by=deleted_by,
        restore_until=restore_until,
    )
    counts, categories, files = Counter(), set(), []
    position = 0
    # Deletion order is children first; a restore inserts in the reverse, parents first.
    for row_model, ids in reversed(list(rows_by_model.items())):
        categories |= set(personal_fields(row_model).values()) if _is_ours(row_model) else set()
        for batch in _batches(sorted(ids), SERIALIZE_BATCH):
            objects = list(row_model._base_manager.filter(pk__in=batch).order_by("pk"))
            files.extend(_file_names(objects))
            rows = []
            for data in _sealed(row_model, serializers.serialize("python", objects)):
                rows.append(
                    ArchivedRow(
                        district_id=district_id,
                        archive=archive,
                        model_label=data["model"],
                        object_id=str(data["pk"]),
                        position=position,
                        data=data,
                    )
                )
                position += 1
            ArchivedRow.objects.bulk_create(rows)
        counts[row_model._meta.label] += len(ids)
    archive.counts = dict(counts)
    archive.categories = sorted(categories)
    archive.nulled = _nulled_keys(collector)
    archive.files = files
    archive.save(update_fields=["counts", "categories", "nulled", "files"])
    schedule_repair(schools_of_rows(rows_by_model))  # the dashboards subtract what went
    collector.delete()
    record_archive_events(ARCHIVE_CREATED, [archive])  # the erasure journal (privacy.journal)
    return archive


def restore_archive(archive: Archive, *, restored_by=None, now=None) -> Archive:
    """Put everything back exactly (ids, fields, nulled keys); RestoreError if it cannot."""
    now = now or timezone.now()
    if archive.state != Archive.State.ARCHIVED:
        raise RestoreError(_("This was already restored or deleted for good."))
    if now > archive.restore_until:
        raise RestoreError(_("The restore window has passed."))
    try:
        with transaction.atomic():
            rows = archive.rows.order_by("position").values_list("data", flat=True)
            restored_ids = defaultdict(set)
            for batch in _batches(list(rows.iterator(chunk_size=SERIALIZE_BATCH)), 500):
                for restored in serializers.deserialize("python", map(_unsealed, batch)):
                    restored.save()
                    restored_ids[type(restored.object)].add(restored.object.pk)
            for label, attname, (old_value, ids) in archive.nulled:
                model = apps.get_model(label)
                model._base_manager.filter(pk__in=ids).update(**{attname: old_value})
            # Foreign keys are checked at commit (deferred): check them here, so that a row
            # whose parent was deleted since fails as a RestoreError, not at commit.
            tables = {apps.get_model(label)._meta.db_table for label, *_rest in archive.nulled}
            labels = archive.rows.order_by().values_list("model_label", flat=True).distinct()
            tables |= {apps.get_model(label)._meta.db_table for label in labels}
            connection.check_constraints(table_names=sorted(tables))
            schedule_repair(schools_of_rows(restored_ids))  # the dashboards count them again
            archive.rows.all().delete()
            archive.state = Archive.State.RESTORED
            archive.restored_at = now
            archive.restored_by = restored_by
            archive.save(update_fields=["state", "restored_at", "restored_by"])
            record_archive_events(ARCHIVE_RESTORED, [archive])
    except IntegrityError as error:
        raise RestoreError(
            _("It cannot be restored: something created since uses the same details (%(e)s).")
            % {"e": str(error).splitlines()[0][:120]}
        ) from error
    return archive


def purge_archive(archive: Archive, *, now=None) -> int:
    """Purge one archive (see purge_archives); returns the rows deleted by this call."""
    deleted = purge_archives([archive.id], now=now)
    archive.state = Archive.State.PURGED
    return deleted


def purge_archives(archive_ids: list[int], *, now=None) -> int:
    """Delete the archived rows of these archives for good, then their files, then mark them.

    Rows go in chunks of PURGE_CHUNK (one DELETE and one transaction each, walking the
    (archive, position) index, no OFFSET), across archives, so many small archives cost a few
    statements rather than a few per archive. Idempotent and resumable: a purge stopped half-way
    leaves its archives ARCHIVED with fewer rows and the next call finishes them; purged ones
    are skipped. Returns the rows deleted by this call."""
    ids = list(
        Archive.objects.filter(id__in=archive_ids)
        .exclude(state=Archive.State.PURGED)
        .values_list("id", flat=True)
    )
    deleted = 0
    for start in range(0, len(ids), PURGE_ARCHIVES_PER_QUERY):
        batch = ids[start : start + PURGE_ARCHIVES_PER_QUERY]
        while True:
            # One statement per chunk: the ids are chosen inside the DELETE (no round trip).
            chunk = (
                ArchivedRow.objects.filter(archive_id__in=batch)
                .order_by("archive_id", "position")
                .values("id")[:PURGE_CHUNK]
            )
            with transaction.atomic():
                done = ArchivedRow.objects.filter(id__in=Subquery(chunk))._raw_delete(
                    DEFAULT_DB_ALIAS
                )
            deleted += done
            if done < PURGE_CHUNK:
                break
    purged = list(Archive.objects.filter(id__in=ids).only("files", *JOURNALED_FIELDS))
    for archive in purged:
        for name in archive.files:
            default_storage.delete(name)  # a missing file is not an error: a rerun
    Archive.objects.filter(id__in=ids).update(
        state=Archive.State.PURGED, purged_at=now or timezone.now(), files=[]
    )
    record_archive_events(ARCHIVE_PURGED, purged)
    return deleted


def _collected_ids(collector: Collector) -> dict[type[models.Model], set]:
    """{model: ids} of everything the collector would delete, fast deletes included."""
    rows: dict[type[models.Model], set] = defaultdict(set)
    for queryset in collector.fast_deletes:
        rows[queryset.model].update(queryset.values_list("pk", flat=True))
    for model, instances in collector.data.items():
        rows[model].update(instance.pk for instance in instances)
    # Fast deletes depend on the collected models: delete order puts them first.
    ordered = {m: rows[m] for m in rows if m not in collector.data}
    ordered |= {m: rows[m] for m in collector.data}
    return {m: ids for m, ids in ordered.items() if ids}


def _nulled_keys(collector: Collector) -> list:
    """[[model label, field, [value, ids]], ...] of rows the delete will set a key on."""
    nulled = []
    for (field, _value), instance_lists in collector.field_updates.items():
        ids = set()
        for instances in instance_lists:
            if isinstance(instances, models.QuerySet):
                ids.update(instances.values_list("pk", flat=True))
            else:
                ids.update(instance.pk for instance in instances)
        # Restore needs the old value: the key pointed at one of the deleted roots' rows, and
        # which one is per row, so record each row's current value.
        model = field.model
        current = model._base_manager.filter(pk__in=ids).values_list("pk", field.attname)
        by_value = defaultdict(list)
        for pk, old in current:
            by_value[old].append(pk)
        nulled.extend(
            [model._meta.label, field.attname, [old, pks]] for old, pks in by_value.items()
        )
    return nulled


class _ExactEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it rounds to milliseconds), so a
    restore puts back exactly what was there."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        if isinstance(o, bytes | memoryview):
            return base64.b64encode(bytes(o)).decode()
        return super().default(o)


SEAL_CONTEXT = "privacy.archivedrow.data"


def _sealed(model, rows: list[dict]) -> list[dict]:
    """Each serialized row with its fields encrypted at rest (PROMISES S1: an archive holds
    what the live tables held, encrypted fields decrypted, so it is sealed as a whole). The
    row's foreign keys stay readable as `refs` (ids only), so an erasure can find the archived
    rows of a family without opening them."""
    keyring = get_keyring()
    foreign_keys = [f.name for f in model._meta.concrete_fields if f.is_relation]
    sealed = []
    for row in rows:
        fields = row["fields"]
        sealed.append(
            {
                "model": row["model"],
                "pk": _plain(row["pk"]),
                "refs": {name: _plain(fields.get(name)) for name in foreign_keys},
                "sealed": keyring.encrypt(json.dumps(fields, cls=_ExactEncoder), SEAL_CONTEXT),
            }
        )
    return sealed


def _unsealed(data: dict) -> dict:
    fields = json.loads(get_keyring().decrypt(data["sealed"], SEAL_CONTEXT))
    return {"model": data["model"], "pk": data["pk"], "fields": fields}


def _plain(value):
    return json.loads(json.dumps(value, cls=_ExactEncoder))


def _file_names(objects: list[models.Model]) -> list[str]:
    names = []
    for obj in objects:
        for field in obj._meta.concrete_fields:
            if isinstance(field, models.FileField):
                value = getattr(obj, field.attname)
                if value:
                    names.append(str(value))
    return names


def _is_ours(model) -> bool:
    return hasattr(model, "data_classification")


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
