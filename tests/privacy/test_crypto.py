"""Encryption at rest (PROMISES S1): AES-256-GCM fields with their own keys, key ids in every
ciphertext, columns bound by associated data, keyed hashes for lookups, a resumable rotation
command, and the production check (engage.E011)."""

import base64
import datetime
import hashlib
import hmac
import io
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from guardians.actions.joining import (
    do_create_join_code,
    do_request_to_join,
    do_save_join_profile,
)
from guardians.actions.manage import do_update_child
from guardians.models import Child, GuardianProfile, JoinRequest
from privacy.audit import Actor
from privacy.checks import check_field_keys
from privacy.crypto import DecryptionError, Keyring, get_keyring
from privacy.fields import keyed_hash_lookup
from tenants.scope import list_scopes_for_user
from tests.engage.test_settings import dummy_production_env, run_production

SYSTEM = Actor.system()
KEY_1 = settings.ENGAGE_FIELD_KEYS.split(":", 1)[1]  # "test-1", fixed in engage/settings/test.py
KEY_2 = base64.b64encode(bytes(range(32))).decode()
KEY_0 = base64.b64encode(bytes(32)).decode()
MIA_BIRTH = datetime.date(2018, 4, 12)


def raw(table: str, column: str, row_id: int):
    """The stored column, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [row_id])
        return cursor.fetchone()[0]


def write_raw(table: str, column: str, row_id: int, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, row_id])


def expected_hash(context: str, district_id: int, text: str) -> str:
    key = base64.b64decode(settings.ENGAGE_FIELD_HASH_KEY)
    message = f"{context}\x1f{district_id}\x1f{text}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def rotate(*options: str) -> str:
    out = io.StringIO()
    call_command("rotate_field_keys", *options, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- the fields --------------------------------------------------------------------------------


def test_S1_values_round_trip_and_the_database_holds_only_ciphertext(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, is_disadvantaged=True, actor=SYSTEM)

    child = Child.objects.get(id=world.mia.id)
    assert (child.birth_date, child.is_disadvantaged) == (MIA_BIRTH, True)
    stored = raw("guardians_child", "birth_date", child.id)
    assert "2018" not in stored
    version, key_id, payload = stored.split(":")
    assert (version, key_id) == ("v1", "test-1")
    sealed = base64.b64decode(payload)
    assert len(sealed) == 12 + len("2018-04-12") + 16  # nonce, ciphertext, tag
    plaintext = AESGCM(base64.b64decode(KEY_1)).decrypt(
        sealed[:12], sealed[12:], b"v1:test-1:guardians.child.birth_date"
    )
    assert plaintext == b"2018-04-12"
    flag = raw("guardians_child", "is_disadvantaged", child.id)
    assert flag.startswith("v1:test-1:") and len(base64.b64decode(flag.split(":")[2])) == 29


def test_a_guardians_ethnicity_is_encrypted_empty_or_not(world):
    profile = do_save_join_profile(
        world.ana, world.lakeside, values={"ethnicity": "Hispanic"}, is_skipped=False, actor=SYSTEM
    )
    empty = do_save_join_profile(
        world.ben, world.lakeside, values={}, is_skipped=True, actor=SYSTEM
    )

    stored = raw("guardians_guardianprofile", "ethnicity", profile.id)
    assert stored.startswith("v1:test-1:") and "Hispanic" not in stored
    assert raw("guardians_guardianprofile", "ethnicity", empty.id).startswith("v1:test-1:")
    profiles = dict(GuardianProfile.objects.values_list("guardian_id", "ethnicity"))
    assert profiles == {world.ana.id: "Hispanic", world.ben.id: ""}


def test_two_encryptions_of_one_value_differ(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    do_update_child(world.noah, birth_date=MIA_BIRTH, actor=SYSTEM)
    first = raw("guardians_child", "birth_date", world.mia.id)
    second = raw("guardians_child", "birth_date", world.noah.id)
    assert first != second  # a fresh nonce each time: equal values do not show as equal


def test_none_is_stored_as_null(world):
    assert raw("guardians_child", "birth_date", world.mia.id) is None
    assert raw("guardians_child", "birth_date_hash", world.mia.id) is None
    assert Child.objects.get(id=world.mia.id).is_disadvantaged is None


def test_a_tampered_ciphertext_fails_loudly(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    stored = raw("guardians_child", "birth_date", world.mia.id)
    header, payload = stored.rsplit(":", 1)
    sealed = bytearray(base64.b64decode(payload))
    sealed[15] ^= 1
    write_raw(
        "guardians_child",
        "birth_date",
        world.mia.id,
        f"{header}:{base64.b64encode(sealed).decode()}",
    )

    with pytest.raises(DecryptionError) as error:
        Child.objects.get(id=world.mia.id)
    assert str(error.value) == (
        "guardians.child.birth_date: a value sealed with key 'test-1' failed authentication "
        "(tampered, damaged, or copied from another column)"
    )


def test_a_plaintext_value_in_an_encrypted_column_fails_loudly(world):
    write_raw("guardians_child", "birth_date", world.mia.id, "2018-04-12")
    with pytest.raises(DecryptionError) as error:
        Child.objects.get(id=world.mia.id)
    assert str(error.value) == "guardians.child.birth_date: the stored value is not a v1 ciphertext"


def test_a_value_copied_into_another_column_does_not_decrypt(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    join_request = make_join_request(world, None)
    write_raw(
        "guardians_joinrequest",
        "child_birth_date",
        join_request.id,
        raw("guardians_child", "birth_date", world.mia.id),
    )

    with pytest.raises(DecryptionError) as error:
        JoinRequest.objects.get(id=join_request.id)
    assert str(error.value).startswith(
        "guardians.joinrequest.child_birth_date: a value sealed with key 'test-1' failed"
    )


def test_a_ciphertext_relabelled_with_another_key_id_does_not_decrypt():
    keyring = Keyring.from_keys(
        {"a": base64.b64decode(KEY_1), "b": base64.b64decode(KEY_1)}, bytes(32)
    )
    token = keyring.encrypt("2018-04-12", "guardians.child.birth_date")
    assert keyring.decrypt(token, "guardians.child.birth_date") == "2018-04-12"
    with pytest.raises(DecryptionError):  # same key bytes, but the header is authenticated too
        keyring.decrypt(token.replace("v1:a:", "v1:b:"), "guardians.child.birth_date")


def test_encrypted_fields_cannot_be_filtered_except_by_isnull(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    with pytest.raises(FieldError) as error:
        Child.objects.filter(birth_date=MIA_BIRTH).count()
    assert str(error.value) == (
        "guardians.child.birth_date is encrypted: filter on it only with __isnull, or on its "
        "keyed-hash column (privacy.fields.keyed_hash_lookup); not with __exact."
    )
    with pytest.raises(FieldError, match="not with __year"):
        Child.objects.filter(birth_date__year=2018).count()
    with pytest.raises(FieldError, match="it has no __year"):
        Child.objects.filter(birth_date__year__gt=2017).count()
    with pytest.raises(FieldError, match="not with __gt"):
        Child.objects.filter(birth_date__gt=MIA_BIRTH).count()
    with pytest.raises(FieldError, match=r"^guardians\.child\.is_disadvantaged is encrypted"):
        Child.objects.filter(is_disadvantaged=True).count()
    assert list(Child.objects.filter(birth_date__isnull=False).values_list("id", flat=True)) == [
        world.mia.id
    ]


# --- keyed hashes ------------------------------------------------------------------------------


def test_keyed_hashes_find_equal_values_within_a_district_only(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, is_disadvantaged=True, actor=SYSTEM)
    do_update_child(world.noah, is_disadvantaged=False, actor=SYSTEM)
    do_update_child(world.zoe, birth_date=MIA_BIRTH, is_disadvantaged=True, actor=SYSTEM)
    lake, hill = world.lakeside.id, world.hillcrest.id

    assert raw("guardians_child", "birth_date_hash", world.mia.id) == expected_hash(
        "guardians.child.birth_date", lake, "2018-04-12"
    )
    assert raw("guardians_child", "is_disadvantaged_hash", world.noah.id) == expected_hash(
        "guardians.child.is_disadvantaged", lake, "0"
    )
    mia_hash = raw("guardians_child", "birth_date_hash", world.mia.id)
    zoe_hash = raw("guardians_child", "birth_date_hash", world.zoe.id)
    assert mia_hash != zoe_hash  # the same date in another district

    def ids(district_id, source, value):
        lookup = keyed_hash_lookup(Child, source, value, district_id=district_id)
        return sorted(Child.objects.filter(district_id=district_id, **lookup).values_list("id"))

    assert ids(lake, "birth_date", MIA_BIRTH) == [(world.mia.id,)]
    assert ids(hill, "birth_date", MIA_BIRTH) == [(world.zoe.id,)]
    assert ids(lake, "is_disadvantaged", True) == [(world.mia.id,)]
    assert ids(lake, "is_disadvantaged", False) == [(world.noah.id,)]


def test_changing_a_value_updates_its_hash_and_clearing_it_clears_the_hash(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    do_update_child(world.mia, birth_date=datetime.date(2018, 4, 13), actor=SYSTEM)
    assert raw("guardians_child", "birth_date_hash", world.mia.id) == expected_hash(
        "guardians.child.birth_date", world.lakeside.id, "2018-04-13"
    )
    do_update_child(world.mia, birth_date=None, actor=SYSTEM)
    assert raw("guardians_child", "birth_date_hash", world.mia.id) is None


# --- keys and rotation -------------------------------------------------------------------------


def test_old_keys_still_decrypt_and_the_first_key_encrypts(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    with override_settings(ENGAGE_FIELD_KEYS=f"test-2:{KEY_2},test-1:{KEY_1}"):
        assert Child.objects.get(id=world.mia.id).birth_date == MIA_BIRTH
        do_update_child(world.noah, birth_date=MIA_BIRTH, actor=SYSTEM)
        assert raw("guardians_child", "birth_date", world.noah.id).startswith("v1:test-2:")
    with override_settings(ENGAGE_FIELD_KEYS=f"test-2:{KEY_2}"):
        with pytest.raises(DecryptionError) as error:
            Child.objects.get(id=world.mia.id)
        assert (
            str(error.value)
            == "guardians.child.birth_date: key 'test-1' is not in ENGAGE_FIELD_KEYS"
        )


def make_join_request(world, birth_date):
    scope = list_scopes_for_user(world.tom)[0]
    code = do_create_join_code(scope, world.room1, actor=SYSTEM)
    return do_request_to_join(
        code,
        requester=world.ana,
        child_first_name="Pablo",
        child_last_name="Gomez",
        child_birth_date=birth_date,
        relationship="mother",
        actor=SYSTEM,
    )


def test_rotation_rewrites_exactly_the_rows_of_old_keys_and_a_rerun_changes_nothing(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, is_disadvantaged=True, actor=SYSTEM)
    do_update_child(world.noah, birth_date=datetime.date(2017, 1, 2), actor=SYSTEM)
    join_request = make_join_request(world, datetime.date(2019, 2, 3))
    with override_settings(ENGAGE_FIELD_KEYS=f"test-2:{KEY_2},test-1:{KEY_1}"):
        do_update_child(world.zoe, birth_date=MIA_BIRTH, actor=SYSTEM)
        zoe_before = raw("guardians_child", "birth_date", world.zoe.id)

        assert rotate("--batch", "1") == (
            "guardians.Child.birth_date: 2 re-encrypted with key test-2\n"
            "guardians.Child.is_disadvantaged: 1 re-encrypted with key test-2\n"
            "guardians.GuardianProfile.ethnicity: 0 re-encrypted with key test-2\n"
            "guardians.JoinRequest.child_birth_date: 1 re-encrypted with key test-2\n"
        )
        assert raw("guardians_child", "birth_date", world.zoe.id) == zoe_before
        assert rotate() == (
            "guardians.Child.birth_date: 0 re-encrypted with key test-2\n"
            "guardians.Child.is_disadvantaged: 0 re-encrypted with key test-2\n"
            "guardians.GuardianProfile.ethnicity: 0 re-encrypted with key test-2\n"
            "guardians.JoinRequest.child_birth_date: 0 re-encrypted with key test-2\n"
        )

    # the old key can go: everything reads with test-2 alone
    with override_settings(ENGAGE_FIELD_KEYS=f"test-2:{KEY_2}"):
        children = dict(Child.objects.values_list("id", "birth_date"))
        assert (children[world.mia.id], children[world.noah.id], children[world.zoe.id]) == (
            MIA_BIRTH,
            datetime.date(2017, 1, 2),
            MIA_BIRTH,
        )
        assert Child.objects.get(id=world.mia.id).is_disadvantaged is True
        assert JoinRequest.objects.get(id=join_request.id).child_birth_date == datetime.date(
            2019, 2, 3
        )
        for child_id in (world.mia.id, world.noah.id, world.zoe.id):
            assert raw("guardians_child", "birth_date", child_id).startswith("v1:test-2:")


def test_a_dry_run_counts_and_writes_nothing(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    before = raw("guardians_child", "birth_date", world.mia.id)
    with override_settings(ENGAGE_FIELD_KEYS=f"test-2:{KEY_2},test-1:{KEY_1}"):
        assert rotate("--dry-run").splitlines()[0] == (
            "guardians.Child.birth_date: 1 to re-encrypt with key test-2"
        )
    assert raw("guardians_child", "birth_date", world.mia.id) == before


def test_rotation_leaves_what_it_cannot_decrypt_fails_and_a_rerun_finishes(world):
    with override_settings(ENGAGE_FIELD_KEYS=f"test-0:{KEY_0}"):
        do_update_child(world.mia, birth_date=MIA_BIRTH, actor=SYSTEM)
    do_update_child(world.noah, birth_date=MIA_BIRTH, actor=SYSTEM)
    stuck = raw("guardians_child", "birth_date", world.mia.id)
    with override_settings(ENGAGE_FIELD_KEYS=f"test-2:{KEY_2},test-1:{KEY_1}"):
        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(CommandError, match=r"^1 values could not be decrypted"):
            call_command("rotate_field_keys", stdout=out, stderr=err)
        assert out.getvalue().splitlines()[0] == (
            "guardians.Child.birth_date: 1 re-encrypted with key test-2, 1 failed"
        )
        assert err.getvalue() == (
            f"  id {world.mia.id}: guardians.child.birth_date: key 'test-0' is not in "
            "ENGAGE_FIELD_KEYS\n"
        )
        assert raw("guardians_child", "birth_date", world.mia.id) == stuck
        assert raw("guardians_child", "birth_date", world.noah.id).startswith("v1:test-2:")

    with override_settings(ENGAGE_FIELD_KEYS=f"test-2:{KEY_2},test-0:{KEY_0}"):
        assert (
            rotate().splitlines()[0] == "guardians.Child.birth_date: 1 re-encrypted with key test-2"
        )
        assert (
            rotate().splitlines()[0] == "guardians.Child.birth_date: 0 re-encrypted with key test-2"
        )


def test_a_damaged_value_makes_the_command_exit_non_zero(world):
    write_raw("guardians_child", "birth_date", world.mia.id, "not a ciphertext")
    with pytest.raises(CommandError) as error:
        rotate()
    assert str(error.value) == "1 values could not be decrypted (see above)"
    assert error.value.returncode == 1  # manage.py exits with it


def test_rehash_recomputes_hashes_after_the_hash_key_changes(world):
    do_update_child(world.mia, birth_date=MIA_BIRTH, is_disadvantaged=False, actor=SYSTEM)
    do_update_child(world.zoe, birth_date=MIA_BIRTH, actor=SYSTEM)
    with override_settings(ENGAGE_FIELD_HASH_KEY=KEY_2):
        assert rotate("--rehash").splitlines()[4:] == [
            "guardians.Child.birth_date_hash: 2 recomputed",
            "guardians.Child.is_disadvantaged_hash: 1 recomputed",
        ]
        assert rotate("--rehash").splitlines()[4:] == [
            "guardians.Child.birth_date_hash: 0 recomputed",
            "guardians.Child.is_disadvantaged_hash: 0 recomputed",
        ]
        lookup = keyed_hash_lookup(Child, "birth_date", MIA_BIRTH, district_id=world.lakeside.id)
        assert list(Child.objects.filter(**lookup).values_list("id", flat=True)) == [world.mia.id]


# --- configuration -----------------------------------------------------------------------------


def test_the_embedded_key_file_is_made_once_and_reused(tmp_path):
    path = tmp_path / "var" / "field-keys.json"
    with override_settings(
        ENGAGE_FIELD_KEYS="", ENGAGE_FIELD_HASH_KEY="", ENGAGE_FIELD_KEY_FILE=path
    ):
        first = get_keyring()
        token = first.encrypt("2018-04-12", "guardians.child.birth_date")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        content = json.loads(path.read_text())
        assert sorted(content) == ["field_keys", "hash_key"]
        key_id, _, key = content["field_keys"].partition(":")
        assert key_id == first.current_key_id and len(base64.b64decode(key)) == 32
        assert key_id.startswith("local-") and len(key_id) == len("local-") + 8
        get_keyring.cache_clear()  # a new process
        second = get_keyring()
        assert second is not first
        assert second.current_key_id == first.current_key_id
        assert second.hash_key == first.hash_key == base64.b64decode(content["hash_key"])
        assert second.decrypt(token, "guardians.child.birth_date") == "2018-04-12"
        assert os.listdir(path.parent) == ["field-keys.json"]  # no temporary file left


def test_the_environment_keys_win_over_the_key_file(tmp_path):
    path = tmp_path / "field-keys.json"
    with override_settings(ENGAGE_FIELD_KEY_FILE=path):
        assert get_keyring().current_key_id == "test-1"
    assert not path.exists()


def test_production_never_makes_a_key_file(tmp_path):
    path = tmp_path / "field-keys.json"
    with (
        override_settings(
            ENGAGE_FIELD_KEYS="",
            ENGAGE_FIELD_HASH_KEY="",
            ENGAGE_FIELD_KEYS_REQUIRED=True,
            ENGAGE_FIELD_KEY_FILE=path,
        ),
        pytest.raises(ImproperlyConfigured) as error,
    ):
        get_keyring()
    assert str(error.value) == (
        "ENGAGE_FIELD_KEYS and ENGAGE_FIELD_HASH_KEY are required (docs/ENCRYPTION.md)"
    )
    assert not path.exists()


def _check(**overrides) -> list[tuple[str, str]]:
    with override_settings(**overrides):
        return [(error.id, error.msg) for error in check_field_keys()]


def test_the_check_requires_both_keys_in_production_only():
    assert _check() == []
    assert _check(ENGAGE_FIELD_KEYS="", ENGAGE_FIELD_HASH_KEY="") == []
    assert _check(
        ENGAGE_FIELD_KEYS="", ENGAGE_FIELD_HASH_KEY="", ENGAGE_FIELD_KEYS_REQUIRED=True
    ) == [
        ("engage.E011", "ENGAGE_FIELD_KEYS is not set."),
        ("engage.E011", "ENGAGE_FIELD_HASH_KEY is not set."),
    ]
    assert _check(ENGAGE_FIELD_KEYS_REQUIRED=True) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"ENGAGE_FIELD_KEYS": "k1:" + base64.b64encode(b"short").decode()},
            "ENGAGE_FIELD_KEYS key 'k1' is 5 bytes, not 32.",
        ),
        (
            {"ENGAGE_FIELD_KEYS": "k1:not base64!"},
            "ENGAGE_FIELD_KEYS key 'k1' is not valid base64.",
        ),
        (
            {"ENGAGE_FIELD_KEYS": KEY_2},
            "ENGAGE_FIELD_KEYS entries are <key id>:<base64 key>, the id made of letters, digits, '.', '_' or '-' (at most 32).",
        ),
        (
            {"ENGAGE_FIELD_KEYS": f"k1:{KEY_1},k1:{KEY_2}"},
            "ENGAGE_FIELD_KEYS names key 'k1' twice.",
        ),
        (
            {"ENGAGE_FIELD_HASH_KEY": base64.b64encode(bytes(31)).decode()},
            "ENGAGE_FIELD_HASH_KEY is 31 bytes, not 32.",
        ),
        (
            {"ENGAGE_FIELD_HASH_KEY": KEY_1},
            "ENGAGE_FIELD_HASH_KEY is also one of the ENGAGE_FIELD_KEYS.",
        ),
    ],
)
def test_the_check_refuses_malformed_keys_in_every_mode(overrides, message):
    assert _check(**overrides) == [("engage.E011", message)]
    assert _check(**overrides, ENGAGE_FIELD_KEYS_REQUIRED=True) == [("engage.E011", message)]


def test_production_settings_fail_the_deploy_check_without_the_field_keys():
    env = dummy_production_env()
    del env["ENGAGE_FIELD_KEYS"], env["ENGAGE_FIELD_HASH_KEY"]
    result = run_production(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 1
    assert "?: (engage.E011) ENGAGE_FIELD_KEYS is not set." in result.stderr
    assert "?: (engage.E011) ENGAGE_FIELD_HASH_KEY is not set." in result.stderr
    assert "System check identified 2 issues" in result.stderr
