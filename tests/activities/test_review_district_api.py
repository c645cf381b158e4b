"""A district admin reads one school's submissions through the API, stating a reason each time."""

import pytest

from activities.actions.submissions import do_submit
from activities.queries.family import access_child_activity
from privacy.audit import Actor
from privacy.models import AuditEvent
from tests.activities.helpers import family_scope, quiz_for

pytestmark = pytest.mark.django_db


def url(school):
    return f"/api/v1/review/district/schools/{school.id}/submissions/"


def test_every_read_states_its_reason(world, client, login):
    quiz = quiz_for(world)
    scope = family_scope(world.ana)
    child, activity = access_child_activity(scope, world.mia.id, quiz.id)
    answers = {str(q.id): 1 if q.kind == "choice" else "7" for q in activity.questions.all()}
    do_submit(scope, child, activity, answers=answers, actor=Actor(user=world.ana))
    login(world.dana)
    response = client.post(
        url(world.a1), {"reason": "Complaint from a parent"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert [item["child_first_name"] for item in response.json()] == ["Mia"]
    event = AuditEvent.objects.get(action="school.opened")
    assert (event.school_id, event.metadata) == (world.a1.id, {"reason": "Complaint from a parent"})
    assert (
        client.post(url(world.a1), {"reason": " "}, content_type="application/json").status_code
        == 400
    )
    assert AuditEvent.objects.filter(action="school.opened").count() == 1
    login(world.hank)  # another district
    assert (
        client.post(
            url(world.a1), {"reason": "Curious"}, content_type="application/json"
        ).status_code
        == 404
    )
    login(world.priya)  # a school admin does not open schools
    assert (
        client.post(url(world.a1), {"reason": "x" * 5}, content_type="application/json").status_code
        == 403
    )
