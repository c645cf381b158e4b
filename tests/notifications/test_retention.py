import datetime

import time_machine

from notifications.models import Delivery, Message
from notifications.retention import default_cutoffs, purge_delivery_logs, purge_message_bodies
from tests.notifications.helpers import send

OLD = datetime.datetime(2021, 3, 1, 15, 0, tzinfo=datetime.UTC)
RECENT = datetime.datetime(2026, 3, 1, 15, 0, tzinfo=datetime.UTC)
NOW = datetime.datetime(2026, 11, 23, 15, 0, tzinfo=datetime.UTC)


def test_bodies_go_first_and_the_compliance_log_stays(world):
    with time_machine.travel(OLD, tick=False):
        old = send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["email"])
    with time_machine.travel(RECENT, tick=False):
        recent = send(
            world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["email"]
        )
    bodies_before, _logs_before = default_cutoffs(NOW)
    assert purge_message_bodies(older_than=bodies_before) == 1
    assert purge_message_bodies(older_than=bodies_before) == 0  # idempotent
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.content == {} and old.body_purged_at is not None
    assert recent.content["en"]["body"] == "Bring a coat."
    log = old.deliveries.get()
    assert (log.address, log.status, log.sent_at) == ("ben@example.org", "sent", OLD)


def test_logs_go_after_four_years(world):
    with time_machine.travel(OLD, tick=False):
        old = send(
            world.lakeside,
            {"type": "guardians", "ids": [world.ben.id, world.ana.id]},
            channels=["email"],
        )
    with time_machine.travel(RECENT, tick=False):
        recent = send(
            world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["email"]
        )
    assert purge_delivery_logs(older_than=default_cutoffs(NOW)[1]) == {
        "deliveries": 2,
        "messages": 1,
    }
    assert purge_delivery_logs(older_than=default_cutoffs(NOW)[1]) == {
        "deliveries": 0,
        "messages": 0,
    }
    assert not Message.objects.filter(id=old.id).exists()
    assert Delivery.objects.filter(message=recent).count() == 1


def test_purge_is_limited_to_one_district(world):
    with time_machine.travel(OLD, tick=False):
        send(world.lakeside, {"type": "guardians", "ids": [world.ben.id]}, channels=["email"])
        other = send(
            world.hillcrest, {"type": "guardians", "ids": [world.dee.id]}, channels=["email"]
        )
    counts = purge_delivery_logs(older_than=NOW, district_id=world.lakeside.id)
    assert counts == {"deliveries": 1, "messages": 1}
    assert Delivery.objects.filter(message=other).count() == 1
