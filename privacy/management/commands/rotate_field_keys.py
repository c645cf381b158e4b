"""Re-encrypt every encrypted column with the current field key; with --rehash, also recompute
the keyed hashes (after ENGAGE_FIELD_HASH_KEY changed, or to repair a stale one).

What: for each EncryptedField of our apps' models, the rows whose ciphertext names another key
id are decrypted with that key and sealed again with the first key of ENGAGE_FIELD_KEYS.
Why: a key may be removed from ENGAGE_FIELD_KEYS only once nothing is sealed with it
(docs/ENCRYPTION.md).
Safe to re-run: rows are read in id order (`WHERE id > last`, never OFFSET), BATCH at a time,
locked and rewritten in one transaction per chunk, so a stopped run keeps what it did and the
next run carries on; a run with nothing left changes 0 rows. A value that cannot be decrypted is
left as it is, reported by row id (never by value), and makes the command exit non-zero.
Every district: key rotation is an operator's command over the whole database.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from privacy.classification import our_models
from privacy.crypto import VERSION, DecryptionError, Keyring, get_keyring
from privacy.fields import EncryptedField, KeyedHashField

LISTED_FAILURES = 20  # per column; the count covers them all


def chunks(table: str, columns: list[str], where: str, params: list, *, batch: int):
    """Rows (id, *columns) in id order, `batch` at a time, each chunk locked (where the
    database can) inside its own transaction, which stays open while the caller writes."""
    quote = connection.ops.quote_name
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT id, {', '.join(map(quote, columns))} FROM {quote(table)} "  # noqa: S608
        f"WHERE id > %s AND {where} ORDER BY id LIMIT %s{lock}"
    )
    last_id = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [last_id, *params, batch])
            rows = cursor.fetchall()
            if not rows:
                return
            yield cursor, rows
        last_id = rows[-1][0]


def reencrypt_column(model, field: EncryptedField, keyring: Keyring, *, batch, dry_run):
    """(rows re-encrypted, [(row id, reason)] that could not be) for one column."""
    quote = connection.ops.quote_name
    column = quote(field.column)
    current = f"{VERSION}:{keyring.current_key_id}:"
    where = f"{column} IS NOT NULL AND SUBSTR({column}, 1, %s) <> %s"
    update = f"UPDATE {quote(model._meta.db_table)} SET {column} = %s WHERE id = %s"  # noqa: S608
    changed, failed = 0, []
    rows_by_chunk = chunks(
        model._meta.db_table, [field.column], where, [len(current), current], batch=batch
    )
    for cursor, rows in rows_by_chunk:
        updates = []
        for row_id, stored in rows:
            try:
                plaintext = keyring.decrypt(stored, field.context)
            except DecryptionError as error:
                failed.append((row_id, str(error)))
                continue
            updates.append([keyring.encrypt(plaintext, field.context), row_id])
        if updates and not dry_run:
            cursor.executemany(update, updates)
        changed += len(updates)
    return changed, failed


def rehash_column(model, field: KeyedHashField, *, batch, dry_run):
    """(hashes rewritten, [(row id, reason)] whose source could not be decrypted)."""
    quote = connection.ops.quote_name
    source = field.source_field
    update = f"UPDATE {quote(model._meta.db_table)} SET {quote(field.column)} = %s WHERE id = %s"  # noqa: S608
    columns = ["district_id", source.column, field.column]
    changed, failed = 0, []
    for cursor, rows in chunks(model._meta.db_table, columns, "1 = 1", [], batch=batch):
        updates = []
        for row_id, district_id, stored, old_hash in rows:
            try:
                value = source.from_db_value(stored, None, connection)
            except DecryptionError as error:
                failed.append((row_id, str(error)))
                continue
            new_hash = field.hash_value(value, district_id=district_id)
            if new_hash != old_hash:
                updates.append([new_hash, row_id])
        if updates and not dry_run:
            cursor.executemany(update, updates)
        changed += len(updates)
    return changed, failed


def fields_of_type(field_type) -> list[tuple[type, object]]:
    return [
        (model, f)
        for model in our_models()
        for f in model._meta.concrete_fields
        if isinstance(f, field_type)
    ]


class Command(BaseCommand):
    help = "Re-encrypt encrypted columns with the current key of ENGAGE_FIELD_KEYS (resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction")
        parser.add_argument("--dry-run", action="store_true", help="count, decrypt, write nothing")
        parser.add_argument(
            "--rehash", action="store_true", help="also recompute every keyed hash (hash key)"
        )

    def handle(self, *args, batch: int, dry_run: bool, rehash: bool, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        keyring = get_keyring()
        verb = "to re-encrypt" if dry_run else "re-encrypted"
        failures = []
        for model, field in fields_of_type(EncryptedField):
            changed, failed = reencrypt_column(model, field, keyring, batch=batch, dry_run=dry_run)
            self.report(model, field, f"{changed} {verb} with key {keyring.current_key_id}", failed)
            failures += failed
        if rehash:
            verb = "to recompute" if dry_run else "recomputed"
            for model, field in fields_of_type(KeyedHashField):
                changed, failed = rehash_column(model, field, batch=batch, dry_run=dry_run)
                self.report(model, field, f"{changed} {verb}", failed)
                failures += failed
        if failures:
            raise CommandError(f"{len(failures)} values could not be decrypted (see above)")

    def report(self, model, field, outcome: str, failed: list) -> None:
        label = f"{model._meta.label}.{field.name}"
        suffix = f", {len(failed)} failed" if failed else ""
        self.stdout.write(f"{label}: {outcome}{suffix}")
        for row_id, reason in failed[:LISTED_FAILURES]:
            self.stderr.write(f"  id {row_id}: {reason}")
        if len(failed) > LISTED_FAILURES:
            self.stderr.write(f"  and {len(failed) - LISTED_FAILURES} more")
