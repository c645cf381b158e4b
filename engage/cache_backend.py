"""Django's Redis cache, reusing one redis client per connection pool, without memcached's key
checks.

Django's RedisCacheClient builds a new `redis.Redis` for every cache operation, and building one
sets up ~170 response callbacks: about 0.3 ms, several times per request. A client is
thread-safe (it borrows connections from its pool), so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def validate_key(self, key):
        """Redis takes any key. Django's check warns about keys memcached would refuse, scanning
        every character of every key of every call (a signed-in page reads about ten)."""
