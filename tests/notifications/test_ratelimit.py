"""The per-district send rate: a token bucket in a real Redis (its own server on a free port)."""

import pytest
import redis

from notifications import ratelimit
from tests.fakes.services import RedisServer


@pytest.fixture
def bucket():
    with RedisServer() as server:
        script = redis.Redis.from_url(server.url).register_script(ratelimit.TOKEN_BUCKET)
        yield lambda now, want, rate=10: float(script(keys=["b"], args=[rate, rate, now, want]))


def test_token_bucket_allows_a_burst_then_paces(bucket):
    assert bucket(1000.0, 10) == 0  # a full bucket: 10 at once
    assert bucket(1000.0, 1) == pytest.approx(0.1)  # empty: one more token in 0.1 s
    assert bucket(1000.5, 5) == 0  # half a second refills 5
    assert bucket(1000.5, 2) == pytest.approx(0.2)
    assert bucket(1010.0, 10) == 0  # refills to the burst, never beyond
    assert bucket(1010.0, 1) == pytest.approx(0.1)


def test_take_is_a_no_op_without_redis(settings):
    settings.REDIS_URL = ""
    ratelimit.take("1:sms", 1, 1000)  # returns at once
