"""Model fields encrypted at rest (privacy/crypto.py) and their keyed-hash companions.

An `Encrypted*Field` keeps a Python value (text, a date, a boolean) in a text column as an AES-GCM
ciphertext bound to its column: `get_prep_value` encrypts (save, create, bulk_create, bulk_update
and update all go through it), `from_db_value` decrypts. The database cannot compare ciphertexts,
so every lookup but `isnull` raises FieldError; where rows must be found or counted by the value,
a `KeyedHashField(source=...)` beside it holds an HMAC of the value and the row's district.

The hash is computed in `pre_save`, which `save()` and `bulk_create` call. Writes that skip it
must name the hash too: `save(update_fields=with_keyed_hashes(Model, names))`, and
`fill_keyed_hashes(instance)` before `bulk_update(..., with_keyed_hashes(Model, names))`.
`QuerySet.update()` of an encrypted column leaves its hash stale (`rotate_field_keys --rehash`
repairs it). Renaming an encrypted field or its model changes its associated data: re-encrypt in
the same migration.
"""

import datetime

from django import forms
from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from privacy.crypto import get_keyring

ALLOWED_LOOKUPS = {"isnull"}


class EncryptedField(models.TextField):
    """A value of some Python type, stored encrypted in a text column. Subclasses say how the
    value is written as text (`to_text`) and read back (`to_python`)."""

    empty_strings_allowed = False

    @property
    def context(self) -> str:
        """The associated data that binds a ciphertext to this column."""
        return f"{self.model._meta.app_label}.{self.model._meta.model_name}.{self.name}"

    def to_text(self, value) -> str:
        raise NotImplementedError

    def get_prep_value(self, value):
        value = self.to_python(value)
        if value is None:
            return None
        return get_keyring().encrypt(self.to_text(value), self.context)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return self.to_python(get_keyring().decrypt(value, self.context))

    def get_lookup(self, lookup_name):
        if lookup_name in ALLOWED_LOOKUPS:
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.context} is encrypted: filter on it only with __isnull, or on its "
            f"keyed-hash column (privacy.fields.keyed_hash_lookup); not with __{lookup_name}."
        )

    def get_transform(self, lookup_name):
        raise FieldError(f"{self.context} is encrypted: it has no __{lookup_name}.")

    def formfield(self, **kwargs):
        # TextField's would add a Textarea and max_length; each subclass names its form field.
        return models.Field.formfield(self, **kwargs)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else self.to_text(value)


class EncryptedCharField(EncryptedField):
    """Short text; an empty value is encrypted too, so every stored value reads the same way."""

    description = _("Text (encrypted)")
    empty_strings_allowed = True

    def to_text(self, value: str) -> str:
        return value

    def to_python(self, value):
        return value if value is None or isinstance(value, str) else str(value)

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": forms.CharField, "max_length": self.max_length, **kwargs}
        )


class EncryptedDateField(EncryptedField):
    description = _("Date (encrypted)")

    def to_text(self, value: datetime.date) -> str:
        return value.isoformat()

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            parsed = parse_date(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is None:
            raise ValidationError(_("Enter a valid date."), code="invalid")
        return parsed

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": forms.DateField, **kwargs})


class EncryptedBooleanField(EncryptedField):
    """A yes / no / unknown value (None when unknown)."""

    description = _("Boolean (encrypted)")

    def to_text(self, value: bool) -> str:
        return "1" if value else "0"

    def to_python(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if value in ("1", "t", "True", "true", 1):
            return True
        if value in ("0", "f", "False", "false", 0):
            return False
        raise ValidationError(_("Choose yes, no or unknown."), code="invalid")

    def formfield(self, **kwargs):
        return super().formfield(
            **{"form_class": forms.NullBooleanField, "widget": forms.NullBooleanSelect, **kwargs}
        )


class KeyedHashField(models.CharField):
    """HMAC-SHA256 of the encrypted field `source` and the row's district (None when the value
    is None), kept current by `pre_save`. Never edited by hand."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.update(max_length=64, null=True, blank=True, editable=False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for option in ("max_length", "null", "blank", "editable"):
            kwargs.pop(option, None)
        kwargs["source"] = self.source
        return name, path, args, kwargs

    @property
    def source_field(self) -> EncryptedField:
        return self.model._meta.get_field(self.source)

    def hash_value(self, value, *, district_id: int) -> str | None:
        source = self.source_field
        value = source.to_python(value)
        if value is None:
            return None
        return get_keyring().keyed_hash(source.context, district_id, source.to_text(value))

    def pre_save(self, model_instance, add):
        value = self.hash_value(
            getattr(model_instance, self.source_field.attname),
            district_id=model_instance.district_id,
        )
        setattr(model_instance, self.attname, value)
        return value


def keyed_hash_fields(model) -> list[KeyedHashField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, KeyedHashField)]


def with_keyed_hashes(model, field_names) -> list[str]:
    """`field_names` plus the keyed-hash fields of those among them, for update_fields and
    bulk_update."""
    names = list(field_names)
    return names + [f.name for f in keyed_hash_fields(model) if f.source in names]


def fill_keyed_hashes(instance) -> None:
    """Set every keyed hash of `instance` from its current values (before a bulk_update)."""
    for field in keyed_hash_fields(type(instance)):
        field.pre_save(instance, False)


def keyed_hash_lookup(model, source: str, value, *, district_id: int) -> dict[str, str | None]:
    """Filter keywords that find `model` rows of one district whose `source` equals `value`:
    `Child.objects.filter(district_id=d, **keyed_hash_lookup(Child, "birth_date", day,
    district_id=d))`."""
    (field,) = [f for f in keyed_hash_fields(model) if f.source == source]
    return {field.name: field.hash_value(value, district_id=district_id)}
