"""What a load balancer asks: can this instance reach its database (and its cache, where a shared one is
configured)? Each check answers "ok" or "failing"; why it failed goes to the log, not to the caller.

A part the site serves without answers "degraded" instead: a read replica that is down (reads go to the
primary) and a Redis cache that is down (pages are served uncached). Taking every box out of the load
balancer because the one shared Redis is down would turn a slower site into no site."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Caches inside the process cannot be unreachable; only a shared one (Redis, memcached, files, a table) is checked.
IN_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


def database_answers(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.exception("Health check: the database %r does not answer", alias)
        return False


def cache_answers(alias: str) -> bool:
    probe = f"health-check-{uuid.uuid4().hex}"
    try:
        cache = caches[alias]
        cache.set(probe, "ok", timeout=10)
        answered = cache.get(probe) == "ok"
        cache.delete(probe)
    except Exception:  # each backend raises its own errors (OSError, redis and memcached ones)
        logger.exception("Health check: the cache %r does not answer", alias)
        return False
    if not answered:
        logger.error("Health check: the cache %r did not keep a value", alias)
    return answered


def shared_caches(configured: dict[str, dict]) -> list[str]:
    return [alias for alias, options in configured.items() if options["BACKEND"] not in IN_PROCESS_CACHES]


def run_checks(configured_caches: dict[str, dict]) -> dict[str, str]:
    checks = {"database": "ok" if database_answers() else "failing"}
    checks.update({alias: "ok" if database_answers(alias) else "degraded" for alias in settings.DATABASE_REPLICAS})
    for alias in shared_caches(configured_caches):
        backend = import_string(configured_caches[alias]["BACKEND"])
        failed = "degraded" if getattr(backend, "serves_uncached_when_down", False) else "failing"
        checks[f"cache {alias}"] = "ok" if cache_answers(alias) else failed
    return checks
