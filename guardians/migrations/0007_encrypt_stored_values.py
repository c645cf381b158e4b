"""Encrypt the birth dates and ethnicity already stored (0006 made their columns text), in
chunks by id, with the birth dates' keyed hashes.

A plain birth date is an ISO date (the date column cast to text); a value that is already a
ciphertext is left as it is, so a run stopped half-way is finished by migrating again. Each chunk
commits on its own (the migration is not atomic), so a large table never sits in one transaction.
Works on SQLite and PostgreSQL alike (plain SQL, ids compared, no OFFSET).
"""

from django.db import migrations, transaction

CHUNK = 2000
# (model, encrypted field, its keyed-hash field or None)
COLUMNS = [
    ("Child", "birth_date", "birth_date_hash"),
    ("JoinRequest", "child_birth_date", None),
    ("GuardianProfile", "ethnicity", None),
]
CIPHERTEXT_PREFIX = "v1:"


def _chunks(connection, table: str, column: str, *, is_plain: bool):
    """Rows (id, district id, value) in id order, CHUNK at a time, plain or encrypted ones."""
    quote = connection.ops.quote_name
    test = "<>" if is_plain else "="
    sql = (
        f"SELECT id, district_id, {quote(column)} FROM {quote(table)} "  # noqa: S608
        f"WHERE id > %s AND {quote(column)} IS NOT NULL AND SUBSTR({quote(column)}, 1, 3) {test} %s "
        "ORDER BY id LIMIT %s"
    )
    last_id = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last_id, CIPHERTEXT_PREFIX, CHUNK])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def _rewrite(apps, schema_editor, *, encrypt: bool) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    for model_name, name, hash_name in COLUMNS:
        model = apps.get_model("guardians", model_name)
        field = model._meta.get_field(name)
        hash_field = model._meta.get_field(hash_name) if hash_name else None
        sets = f"{quote(field.column)} = %s" + (
            f", {quote(hash_field.column)} = %s" if hash_field else ""
        )
        sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE id = %s"  # noqa: S608
        for rows in _chunks(connection, model._meta.db_table, field.column, is_plain=encrypt):
            updates = []
            for row_id, district_id, stored in rows:
                if encrypt:
                    value = field.to_python(stored)
                    values = [field.get_prep_value(value)]
                    if hash_field:
                        values.append(hash_field.hash_value(value, district_id=district_id))
                else:
                    values = [field.to_text(field.from_db_value(stored, None, connection))]
                    if hash_field:
                        values.append(None)
                updates.append([*values, row_id])
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.executemany(sql, updates)


def encrypt_stored(apps, schema_editor):
    _rewrite(apps, schema_editor, encrypt=True)


def decrypt_stored(apps, schema_editor):
    _rewrite(apps, schema_editor, encrypt=False)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("guardians", "0006_encrypted_fields"),
    ]

    operations = [
        migrations.RunPython(encrypt_stored, decrypt_stored, elidable=False),
    ]
