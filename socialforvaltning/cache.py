"""The page cache's two backends: one per process, bounded by bytes, and Redis shared between
servers, which an outage cannot turn into errors.

Both only ever hold copies of pages keyed by the registry's data version
(`socialforvaltning.middleware.ConditionalGetMiddleware`), so losing an entry costs time,
never an answer: that is why a Redis that is down may simply miss.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger("registry.cache")

_sizes: dict[str, dict[str, int]] = {}


class BoundedLocMemCache(LocMemCache):
    """Django's per-process cache, bounded by the bytes it holds rather than by a number of
    entries: pages range from 2 KB to whole-registry exports of many megabytes, so a count
    bounds nothing. The least recently used entries go first. OPTIONS: MAX_BYTES."""

    def __init__(self, name, params):
        super().__init__(name, params)
        self._max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 64 * 2**20))
        self._sizes = _sizes.setdefault(name, {})

    def _set(self, key, value, timeout=None):
        size = len(value)
        self._delete(key)
        if size > self._max_bytes // 4:  # one export must not push out everything else
            return
        held = sum(self._sizes.values())  # once, not per entry dropped
        while self._cache and held + size > self._max_bytes:
            oldest, _ = self._cache.popitem()  # the front holds the most recently used
            self._expire_info.pop(oldest, None)
            held -= self._sizes.pop(oldest, 0)
        super()._set(key, value, timeout)
        self._sizes[key] = size

    def _delete(self, key):
        self._sizes.pop(key, None)
        return super()._delete(key)

    def _cull(self):
        super()._cull()
        for key in set(self._sizes) - set(self._cache):
            del self._sizes[key]

    def clear(self):
        with self._lock:
            self._sizes.clear()
        super().clear()

    def held_bytes(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def health(self) -> str:
        return "ok"


class ResilientRedisCache(RedisCache):
    """Django's Redis cache, for pages only: when Redis cannot be reached, a read misses and a
    write is dropped, so pages are built uncached instead of failing. The outage is logged
    once, and its end once; for a few seconds after a failure Redis is not asked at all, so
    a server that does not answer costs no request a timeout."""

    RETRY_AFTER_SECONDS = 5.0

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**_DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._down_until = 0.0
        self._down = False

    def _guarded(self, call, fallback):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            result = call()
        except (RedisError, OSError) as error:
            self._down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
            if not self._down:
                self._down = True
                log.error("page cache unavailable, serving uncached pages: %s", error)
            return fallback
        if self._down:
            self._down = False
            log.warning("page cache available again")
        return result

    def get(self, key, default=None, version=None):
        parent = super()

        def read():
            try:
                return parent.get(key, default, version)
            except (RedisError, OSError):
                raise
            except Exception as error:  # an entry that does not unpickle is a miss
                log.warning("page cache entry %s unreadable, ignored: %r", key, error)
                return default

        return self._guarded(read, default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        parent = super()
        self._guarded(lambda: parent.set(key, value, timeout, version), None)

    def delete(self, key, version=None):
        parent = super()
        return self._guarded(lambda: parent.delete(key, version), False)

    def health(self) -> str:
        try:
            self._cache.get_client(write=False).ping()
        except (RedisError, OSError):
            return "unavailable"
        return "ok"


# A local Redis answers in well under a millisecond: a quarter of a second is an outage.
_DEFAULT_OPTIONS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.25}
