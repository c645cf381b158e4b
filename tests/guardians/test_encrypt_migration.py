"""guardians 0007 encrypts the birth dates and ethnicity stored before encryption, in chunks,
resumably; its reverse gives the plain values back."""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from guardians.actions.joining import do_save_join_profile
from guardians.models import Child, GuardianProfile, JoinRequest
from privacy.audit import Actor
from privacy.fields import keyed_hash_lookup
from tests.privacy.test_crypto import make_join_request, raw, write_raw

migration = importlib.import_module("guardians.migrations.0007_encrypt_stored_values")
SCHEMA_EDITOR = SimpleNamespace(connection=connection)


@pytest.fixture
def plain_values(world):
    """Mia, Zoe, a join request and Ana's profile as 0006 leaves them: plain values in text
    columns, no hashes."""
    join_request = make_join_request(world, None)
    profile = do_save_join_profile(
        world.ana, world.lakeside, values={}, is_skipped=False, actor=Actor.system()
    )
    write_raw("guardians_child", "birth_date", world.mia.id, "2018-04-12")
    write_raw("guardians_child", "birth_date", world.zoe.id, "2019-09-02")
    write_raw("guardians_joinrequest", "child_birth_date", join_request.id, "2019-02-03")
    write_raw("guardians_guardianprofile", "ethnicity", profile.id, "Hispanic or Latino")
    return SimpleNamespace(join_request_id=join_request.id, profile_id=profile.id)


def test_stored_dates_are_encrypted_with_their_hashes(world, plain_values, monkeypatch):
    monkeypatch.setattr(migration, "CHUNK", 1)  # every row its own chunk
    migration.encrypt_stored(apps, SCHEMA_EDITOR)

    for child_id in (world.mia.id, world.zoe.id):
        assert raw("guardians_child", "birth_date", child_id).startswith("v1:test-1:")
    assert raw(
        "guardians_joinrequest", "child_birth_date", plain_values.join_request_id
    ).startswith("v1:")
    children = dict(Child.objects.values_list("id", "birth_date"))
    assert (children[world.mia.id], children[world.zoe.id], children[world.noah.id]) == (
        datetime.date(2018, 4, 12),
        datetime.date(2019, 9, 2),
        None,
    )
    assert JoinRequest.objects.get().child_birth_date == datetime.date(2019, 2, 3)
    assert GuardianProfile.objects.get().ethnicity == "Hispanic or Latino"
    stored = raw("guardians_guardianprofile", "ethnicity", plain_values.profile_id)
    assert stored.startswith("v1:test-1:")
    lookup = keyed_hash_lookup(
        Child, "birth_date", datetime.date(2018, 4, 12), district_id=world.lakeside.id
    )
    assert list(Child.objects.filter(**lookup).values_list("id", flat=True)) == [world.mia.id]


def test_a_second_run_leaves_ciphertexts_alone(world, plain_values):
    migration.encrypt_stored(apps, SCHEMA_EDITOR)
    first = raw("guardians_child", "birth_date", world.mia.id)

    migration.encrypt_stored(apps, SCHEMA_EDITOR)

    assert raw("guardians_child", "birth_date", world.mia.id) == first


def test_the_reverse_writes_plain_values_back(world, plain_values):
    migration.encrypt_stored(apps, SCHEMA_EDITOR)

    migration.decrypt_stored(apps, SCHEMA_EDITOR)

    assert raw("guardians_child", "birth_date", world.mia.id) == "2018-04-12"
    assert raw("guardians_child", "birth_date_hash", world.mia.id) is None
    assert (
        raw("guardians_joinrequest", "child_birth_date", plain_values.join_request_id)
        == "2019-02-03"
    )
    assert raw("guardians_guardianprofile", "ethnicity", plain_values.profile_id) == (
        "Hispanic or Latino"
    )
