"""Encryption at rest for sensitive fields (PROMISES S1): AES-256-GCM and keyed hashes.

Keys are never SECRET_KEY. `ENGAGE_FIELD_KEYS` is `id:base64key,id:base64key,...` (32-byte keys):
the first encrypts, every one decrypts, so a new key goes first and the old one stays until
`manage.py rotate_field_keys` has re-encrypted what it wrote. `ENGAGE_FIELD_HASH_KEY` (base64,
32 bytes) keys the HMAC-SHA256 hashes kept beside a column that must be looked up or counted.

A ciphertext is stored as text, `v1:<key id>:<base64(nonce | ciphertext | tag)>`. Its associated
data names the column (`guardians.child.birth_date`) and repeats the header, so a value copied
into another column, or given another key id, fails to decrypt instead of reading as valid.

Production settings require both variables (engage.E011, `privacy.checks`). Elsewhere a missing
one comes from a key file made once in VAR_DIR (mode 0600), so `make demo` needs no environment
and its data survives restarts. The keyring is built once per process (`get_keyring`).
docs/ENCRYPTION.md says how to generate, deploy and rotate keys.
"""

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")
SETTING_NAMES = {
    "ENGAGE_FIELD_KEYS",
    "ENGAGE_FIELD_HASH_KEY",
    "ENGAGE_FIELD_KEYS_REQUIRED",
    "ENGAGE_FIELD_KEY_FILE",
}


class DecryptionError(Exception):
    """A stored value that cannot be read: unknown key id, wrong column, tampered or damaged.
    The message names the column and key id, never the value."""


def new_key() -> str:
    """A fresh key, base64 as the environment variables take it."""
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_key(text: str, name: str) -> bytes:
    """The 32 bytes of a base64 key; ValueError (naming `name`, never the key) otherwise."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{name} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{name} is {len(key)} bytes, not {KEY_BYTES}")
    return key


def parse_field_keys(text: str) -> dict[str, bytes]:
    """`id:base64key,...` as {key id: key}, in order (the first is the current key)."""
    keys: dict[str, bytes] = {}
    for entry in (part.strip() for part in text.split(",")):
        key_id, separator, encoded = entry.partition(":")
        if not separator or not KEY_ID.fullmatch(key_id):
            raise ValueError(
                "ENGAGE_FIELD_KEYS entries are <key id>:<base64 key>, the id made of letters, "
                "digits, '.', '_' or '-' (at most 32)"
            )
        if key_id in keys:
            raise ValueError(f"ENGAGE_FIELD_KEYS names key {key_id!r} twice")
        keys[key_id] = parse_key(encoded, f"ENGAGE_FIELD_KEYS key {key_id!r}")
    return keys


@dataclass(frozen=True)
class Keyring:
    """The field keys (the first encrypts) and the hash key. Build with `get_keyring()`."""

    current_key_id: str
    ciphers: dict[str, AESGCM]
    hash_key: bytes

    @classmethod
    def from_keys(cls, field_keys: dict[str, bytes], hash_key: bytes) -> "Keyring":
        ciphers = {key_id: AESGCM(key) for key_id, key in field_keys.items()}
        return cls(current_key_id=next(iter(ciphers)), ciphers=ciphers, hash_key=hash_key)

    def encrypt(self, plaintext: str, context: str) -> str:
        """`plaintext` sealed with the current key, bound to `context` (the column)."""
        header = f"{VERSION}:{self.current_key_id}"
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ciphers[self.current_key_id].encrypt(
            nonce, plaintext.encode(), f"{header}:{context}".encode()
        )
        return f"{header}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, context: str) -> str:
        """The plaintext of `token` stored in `context`; DecryptionError when it cannot be."""
        version, key_id, payload = split_token(token, context)
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"{context}: key {key_id!r} is not in ENGAGE_FIELD_KEYS")
        try:
            raw = base64.b64decode(payload, validate=True)
            plaintext = cipher.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], f"{version}:{key_id}:{context}".encode()
            )
        except (binascii.Error, ValueError, InvalidTag):
            raise DecryptionError(
                f"{context}: a value sealed with key {key_id!r} failed authentication "
                "(tampered, damaged, or copied from another column)"
            ) from None
        return plaintext.decode()

    def keyed_hash(self, context: str, district_id: int, text: str) -> str:
        """HMAC-SHA256 (hex) of a value of `context` in one district: equal values hash equal
        within a district and never compare across districts or columns."""
        message = f"{context}\x1f{district_id}\x1f{text}".encode()
        return hmac.new(self.hash_key, message, hashlib.sha256).hexdigest()


def split_token(token: str, context: str = "") -> tuple[str, str, str]:
    """(version, key id, payload) of a stored ciphertext; DecryptionError for anything else."""
    parts = token.split(":", 2) if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError(f"{context}: the stored value is not a {VERSION} ciphertext")
    return parts[0], parts[1], parts[2]


@functools.cache
def get_keyring() -> Keyring:
    """The process's keyring, built once from the settings (or the embedded key file)."""
    keys_text, hash_text = settings.ENGAGE_FIELD_KEYS, settings.ENGAGE_FIELD_HASH_KEY
    if not (keys_text and hash_text):
        if settings.ENGAGE_FIELD_KEYS_REQUIRED:
            raise ImproperlyConfigured(
                "ENGAGE_FIELD_KEYS and ENGAGE_FIELD_HASH_KEY are required (docs/ENCRYPTION.md)"
            )
        embedded = read_or_create_key_file(Path(settings.ENGAGE_FIELD_KEY_FILE))
        keys_text = keys_text or embedded["field_keys"]
        hash_text = hash_text or embedded["hash_key"]
    try:
        return Keyring.from_keys(
            parse_field_keys(keys_text), parse_key(hash_text, "ENGAGE_FIELD_HASH_KEY")
        )
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None


@receiver(setting_changed)
def _forget_keyring(*, setting, **kwargs):
    if setting in SETTING_NAMES:
        get_keyring.cache_clear()


def read_or_create_key_file(path: Path) -> dict[str, str]:
    """The embedded mode's keys: read from `path`, or made once there (mode 0600).

    Two processes starting together agree: each writes a private temporary file and hard-links
    it into place, which only the first manages; the other reads the winner's file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {
            "field_keys": f"local-{secrets.token_hex(4)}:{new_key()}",
            "hash_key": new_key(),
        }
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(content, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    try:
        content = json.loads(path.read_text())
        return {"field_keys": content["field_keys"], "hash_key": content["hash_key"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise ImproperlyConfigured(f"{path} is not a readable Engage key file") from None


def field_key_problems() -> list[str]:
    """What is wrong with the configured keys (engage.E011): a missing one where production
    requires it, a malformed one anywhere."""
    problems = []
    required = settings.ENGAGE_FIELD_KEYS_REQUIRED
    field_keys: dict[str, bytes] = {}
    if settings.ENGAGE_FIELD_KEYS:
        try:
            field_keys = parse_field_keys(settings.ENGAGE_FIELD_KEYS)
        except ValueError as error:
            problems.append(str(error))
    elif required:
        problems.append("ENGAGE_FIELD_KEYS is not set")
    if settings.ENGAGE_FIELD_HASH_KEY:
        try:
            hash_key = parse_key(settings.ENGAGE_FIELD_HASH_KEY, "ENGAGE_FIELD_HASH_KEY")
        except ValueError as error:
            problems.append(str(error))
        else:
            if hash_key in field_keys.values():
                problems.append("ENGAGE_FIELD_HASH_KEY is also one of the ENGAGE_FIELD_KEYS")
    elif required:
        problems.append("ENGAGE_FIELD_HASH_KEY is not set")
    return problems
