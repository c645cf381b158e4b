"""`manage.py seed_scale` at a tiny size: exact counts, consistent tenant columns, determinism,
encrypted columns written as ciphertext, and --replace."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from activities.models import Submission
from engage.seeding import ScaleSpec, count_district_rows, seed_scale
from guardians.models import Child, Enrollment, GuardianLink
from tenants.models import District, School, User

TINY = {"schools": 2, "classrooms": 6, "children": 30, "guardians": 40, "submissions": 200}
SPEC = ScaleSpec(**TINY)

pytestmark = pytest.mark.django_db


def _seed(slug: str = "tiny", seed: int = 1, **options) -> str:
    out = StringIO()
    arguments = [f"--{name}={value}" for name, value in TINY.items()]
    call_command("seed_scale", *arguments, district=slug, seed=seed, stdout=out, **options)
    return out.getvalue()


def test_a_tiny_seed_has_exact_counts_and_prints_a_summary():
    output = _seed()
    district = District.objects.get(slug="tiny")
    counts = count_district_rows(district)
    assert counts == {
        "schools": 2,
        "classrooms": 6,
        "children": 30,
        "guardians": 40,
        "links": counts["links"],
        "enrollments": 30,
        "activities": 6 * SPEC.activities,
        "submissions": 200,
        "messages": 2 * 3,
        "deliveries": counts["deliveries"],
    }
    # Families of 1-3 children with 1-2 guardians: every child has one or two guardians.
    per_child = Counter(
        GuardianLink.objects.filter(district=district).values_list("child_id", flat=True)
    )
    assert len(per_child) == 30
    assert set(per_child.values()) <= {1, 2}
    assert counts["links"] == sum(per_child.values())
    assert counts["deliveries"] > 0
    assert "Elapsed" in output and "200 submissions" in output


def test_tenant_columns_are_consistent():
    _seed()
    district = District.objects.get(slug="tiny")
    schools = set(School.objects.filter(district=district).values_list("id", flat=True))
    children = Child.objects.filter(district=district)
    assert {child.school_id for child in children} <= schools
    enrolled = set(
        Enrollment.objects.filter(district=district).values_list("child_id", "classroom_id")
    )
    submissions = Submission.objects.filter(district=district)
    assert submissions.count() == 200
    for submission in submissions:
        assert (submission.child_id, submission.classroom_id) in enrolled
        assert submission.activity.district_id == district.id
        assert submission.school_id == submission.classroom.school_id
    assert (
        not GuardianLink.objects.filter(district=district)
        .exclude(child__district=district)
        .exists()
    )


def test_the_same_seed_gives_the_same_district():
    seed_scale(SPEC, slug="one", seed=7, write=lambda line: None)
    seed_scale(SPEC, slug="two", seed=7, write=lambda line: None)
    seed_scale(SPEC, slug="three", seed=8, write=lambda line: None)
    one, two, three = (District.objects.get(slug=s) for s in ("one", "two", "three"))

    def names(district):
        return list(
            Child.objects.filter(district=district)
            .order_by("pupil_number")
            .values_list("pupil_number", "first_name", "last_name", "grade_level")
        )

    assert count_district_rows(one) == count_district_rows(two)
    assert names(one) == names(two)
    assert names(one) != names(three)


def test_disadvantage_is_encrypted_with_its_keyed_hash():
    _seed()
    district = District.objects.get(slug="tiny")
    table = Child._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT is_disadvantaged, is_disadvantaged_hash FROM {table} "
            "WHERE district_id = %s AND is_disadvantaged IS NOT NULL",
            [district.id],
        )
        rows = cursor.fetchall()
    assert rows
    assert all(value not in ("True", "False", "true", "false", "1", "0") for value, _ in rows)
    assert all(hashed for _, hashed in rows)
    flags = set(Child.objects.filter(district=district).values_list("is_disadvantaged", flat=True))
    assert flags <= {True, False, None} and True in flags


def test_an_existing_district_is_refused_unless_replace():
    _seed()
    first_ids = set(
        User.objects.filter(email__endswith="@tiny.seed.invalid").values_list("id", flat=True)
    )
    with pytest.raises(CommandError, match="exists; pass --replace"):
        _seed()
    _seed(replace=True)
    district = District.objects.get(slug="tiny")
    assert count_district_rows(district)["submissions"] == 200
    assert District.objects.filter(slug="tiny").count() == 1
    users = set(
        User.objects.filter(email__endswith="@tiny.seed.invalid").values_list("id", flat=True)
    )
    assert users and not users & first_ids
    assert User.objects.filter(email__endswith="@tiny.seed.invalid").count() == 40 + 6


def test_a_district_not_seeded_here_is_never_replaced():
    District.objects.create(name="Real district", slug="real")
    with pytest.raises(CommandError, match="not seeded by seed_scale"):
        _seed("real", replace=True)
    assert District.objects.get(slug="real").name == "Real district"


def test_participation_is_skewed_and_some_guardians_never_joined():
    seed_scale(
        ScaleSpec(**{**TINY, "children": 300, "guardians": 400, "submissions": 3000}),
        slug="skew",
        seed=1,
    )
    district = District.objects.get(slug="skew")
    per_child = Counter(
        Submission.objects.filter(district=district).values_list("child_id", flat=True)
    )
    counts = sorted(
        per_child.get(c, 0)
        for c in Child.objects.filter(district=district).values_list("id", flat=True)
    )
    assert counts[0] == 0  # some families never take part
    assert counts[-1] >= 2 * counts[len(counts) // 2]  # the most active do far more
    guardians = User.objects.filter(
        email__endswith="@skew.seed.invalid", email__startswith="family"
    )
    assert guardians.filter(last_login__isnull=True).exists()
    assert guardians.filter(last_login__isnull=False).exists()
    assert guardians.filter(phone__isnull=True).exists()  # email-only families
