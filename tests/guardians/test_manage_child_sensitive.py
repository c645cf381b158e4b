"""A child's sensitive fields in people management: school admins set the disadvantage status
(stored encrypted, with its keyed hash) and see it with the birth date; teachers see neither."""

import pytest
from django.db import connection
from django.urls import reverse

from guardians.models import Child
from privacy.fields import keyed_hash_lookup
from privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

LABEL = b"Disadvantaged (pupil premium or free school meals)"


def edit_data(**changes):
    data = {
        "first_name": "Mia",
        "last_name": "Alvarez",
        "preferred_name": "",
        "grade_level": "03",
        "pupil_number": "P-MIA",
        "birth_date": "",
        "is_disadvantaged": "unknown",
    }
    return data | changes


def test_school_admin_records_a_childs_disadvantage_status(world, client, login):
    login(world.priya)
    url = reverse("manage:child_edit", args=[world.mia.id])
    form = client.get(url).context["form"]
    assert form["is_disadvantaged"].value() is None
    assert '<option value="unknown" selected>Unknown</option>' in str(form["is_disadvantaged"])

    response = client.post(url, edit_data(is_disadvantaged="true"))

    assert response.status_code == 302
    assert Child.objects.get(id=world.mia.id).is_disadvantaged is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_disadvantaged FROM guardians_child WHERE id = %s", [world.mia.id])
        assert cursor.fetchone()[0].startswith("v1:test-1:")
    lookup = keyed_hash_lookup(Child, "is_disadvantaged", True, district_id=world.lakeside.id)
    assert list(Child.objects.filter(**lookup).values_list("id", flat=True)) == [world.mia.id]
    event = AuditEvent.objects.get(action="child.updated", target_id=str(world.mia.id))
    assert event.metadata == {"fields": ["is_disadvantaged"]}
    page = client.get(reverse("manage:child_detail", args=[world.mia.id])).content
    assert LABEL + b"</dt><dd>Yes</dd>" in page


def test_setting_it_back_to_unknown_clears_value_and_hash(world, client, login):
    login(world.priya)
    url = reverse("manage:child_edit", args=[world.mia.id])
    client.post(url, edit_data(is_disadvantaged="false"))
    assert Child.objects.get(id=world.mia.id).is_disadvantaged is False

    client.post(url, edit_data(is_disadvantaged="unknown"))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_disadvantaged, is_disadvantaged_hash FROM guardians_child WHERE id = %s",
            [world.mia.id],
        )
        assert cursor.fetchone() == (None, None)
    page = client.get(reverse("manage:child_detail", args=[world.mia.id])).content
    assert LABEL + b"</dt><dd>Not recorded</dd>" in page


def test_a_new_child_may_be_added_with_it(world, client, login):
    login(world.priya)
    client.post(
        reverse("manage:child_add"),
        {
            "first_name": "Olivia",
            "last_name": "Ortiz",
            "is_disadvantaged": "false",
            "classroom_id": world.room2.id,
        },
    )
    assert Child.objects.get(first_name="Olivia").is_disadvantaged is False


def test_teachers_see_neither_the_status_nor_the_birth_date(world, client, login):
    login(world.priya)
    client.post(
        reverse("manage:child_edit", args=[world.mia.id]),
        edit_data(is_disadvantaged="true", birth_date="2018-04-12"),
    )
    login(world.tom)
    page = client.get(reverse("manage:child_detail", args=[world.mia.id])).content
    assert LABEL not in page and b"Date of birth" not in page
