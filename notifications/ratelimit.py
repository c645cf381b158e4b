"""Per-district send rate: a token bucket in Redis, shared by every worker process.

Without Redis (the embedded mode) sending is in-process and unthrottled.
"""

import time

from django.conf import settings

# KEYS[1] bucket key; ARGV: rate per second, burst, tokens wanted.
# Returns the seconds to wait before the tokens are available (0: taken now).
# The clock is Redis's own (TIME), so workers whose clocks disagree share one bucket fairly, and
# a clock that goes backwards never empties the bucket (elapsed time is never negative).
TOKEN_BUCKET = """
local rate, burst, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= want then tokens = tokens - want else wait = (want - tokens) / rate end
if wait == 0 then
  redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
  redis.call('EXPIRE', KEYS[1], 60)
end
return tostring(wait)
"""

_script = None


def _redis_script():
    global _script
    if _script is None:
        import redis

        _script = redis.Redis.from_url(settings.REDIS_URL).register_script(TOKEN_BUCKET)
    return _script


def take(district_id: int, rate_per_second: int, tokens: int = 1) -> None:
    """Block until `tokens` sends are allowed for the district."""
    if not settings.REDIS_URL or rate_per_second <= 0:
        return
    key = f"engage:sendrate:{district_id}"
    while True:
        wait = float(_redis_script()(keys=[key], args=[rate_per_second, rate_per_second, tokens]))
        if wait <= 0:
            return
        time.sleep(min(wait, 1.0))
