"""Django's Redis cache, made optional: when Redis does not answer, a read is a miss and a write does nothing,
so pages are served uncached instead of failing (Django's own RedisCache raises). The outage is logged and
remembered for REDIS_RETRY_SECONDS, so the pages served meanwhile do not each wait for a connection first.

A value written while Redis is unreachable is lost, and so is a data-version bump: entries cached under the
old version before the outage would be read again after it. Every entry therefore has a TIMEOUT
(CACHE_TIMEOUT_SECONDS), which bounds how long that can last (docs/deployment.md, failure modes)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
# Redis servers found unreachable, and until when (time.monotonic()) they are left alone. Module-level:
# Django makes one cache object per thread, and every thread of a worker should know of the outage.
_unreachable_until: dict[str, float] = {}


class TolerantRedisCache(RedisCache):
    serves_uncached_when_down = True

    def _or_else(self, action: Callable[[], Any], fallback: Any) -> Any:
        if time.monotonic() < _unreachable_until.get(self._server_key, 0):
            return fallback
        try:
            return action()
        except UNREACHABLE as error:
            retry = settings.REDIS_RETRY_SECONDS
            _unreachable_until[self._server_key] = time.monotonic() + retry
            logger.error("Redis does not answer (%s): serving uncached for the next %s s", error, retry)
            return fallback

    @property
    def _server_key(self) -> str:
        return ",".join(self._servers)

    def get(self, key, default=None, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).get(key, default, version), default)

    def get_many(self, keys, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).get_many(keys, version), {})

    def has_key(self, key, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).has_key(key, version), False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).add(key, value, timeout, version), False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).set(key, value, timeout, version), None)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).set_many(data, timeout, version), list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).touch(key, timeout, version), False)

    def delete(self, key, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).delete(key, version), False)

    def delete_many(self, keys, version=None):
        return self._or_else(lambda: super(TolerantRedisCache, self).delete_many(keys, version), None)

    def incr(self, key, delta=1, version=None):
        # A missing key is a ValueError for every Django cache; an unreachable one is treated as missing.
        result = self._or_else(lambda: super(TolerantRedisCache, self).incr(key, delta, version), None)
        if result is None:
            raise ValueError(f"Key {key!r} not found: Redis does not answer")
        return result

    def clear(self):
        return self._or_else(lambda: super(TolerantRedisCache, self).clear(), False)
