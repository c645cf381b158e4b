"""The per-district send rate: a token bucket in a real Redis (its own server on a free port)."""

import pytest
import redis

from notifications import ratelimit
from tests.fakes.services import RedisServer


class Bucket:
    """One bucket in the script's own Redis; `age` moves its last refill into the past (time
    passing) or the future (a clock that went backwards)."""

    def __init__(self, url: str, rate: int = 10):
        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(ratelimit.TOKEN_BUCKET)
        self.rate = rate

    def __call__(self, want: int) -> float:
        return float(self.script(keys=["b"], args=[self.rate, self.rate, want]))

    def age(self, seconds: float) -> None:
        self.client.hincrbyfloat("b", "at", -seconds)


@pytest.fixture
def bucket():
    with RedisServer() as server:
        yield Bucket(server.url)


def test_token_bucket_allows_a_burst_then_paces(bucket):
    assert bucket(10) == 0  # a full bucket: 10 at once
    assert bucket(1) == pytest.approx(0.1, abs=0.01)  # empty: one more token in 0.1 s
    bucket.age(0.5)
    assert bucket(5) == 0  # half a second refills 5
    assert bucket(2) == pytest.approx(0.2, abs=0.01)
    bucket.age(10)
    assert bucket(10) == 0  # refills to the burst, never beyond
    assert bucket(1) == pytest.approx(0.1, abs=0.01)


def test_a_refill_stamped_in_the_future_never_empties_the_bucket(bucket):
    """The clock is Redis's: a last refill ahead of it (a clock that went backwards) counts as no
    time passed, not as negative tokens that would stall every send."""
    assert bucket(4) == 0
    bucket.age(-3600)
    assert bucket(6) == 0  # the 6 left are still there
    assert bucket(1) == pytest.approx(0.1, abs=0.01)


def test_take_is_a_no_op_without_redis(settings):
    settings.REDIS_URL = ""
    ratelimit.take("1:sms", 1, 1000)  # returns at once
