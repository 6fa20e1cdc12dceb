"""A data version and a cache keyed on it: cached figures are never stale and need no invalidation lists.

Every committed write to the evidence base raises one number, stored in the database (DataVersion, one row)
so that every gunicorn worker and every box reads the same one: model signals queue the raise when a record
is saved or deleted, and the writers that bypass signals (bulk inserts, queryset updates, raw deletes) call
`changed()` themselves. The raise runs once per transaction, after it commits (`transaction.on_commit`), as
`UPDATE … SET n = n + 1`, so a long import never holds the row.

A page reads the version once per request (memoised on the request) and keeps what it counts in Django's
cache framework (`django.core.cache.cache`: local memory by default, Redis when configured) under a key
that includes it. When the data change, the version moves on and the old entries are simply never read
again; the cache's own expiry and size limit clear them out.

Not cached: what a signed-in user sees, and what is read inside a transaction (`key_for` says why).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.apps import apps
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import tallies
from .models import DataVersion, PendingTally, SourceTally, Tally

logger = logging.getLogger(__name__)
REQUEST_ATTRIBUTE = "_evidence_data_version"
# A worker computing a missing entry holds its lock at most this long (if it dies, the lock expires): longer
# than gunicorn's 60 s timeout, so a lock is never taken over while its worker may still be computing…
LOCK_SECONDS = 90
# …and the others wait for its value at most this long before computing it themselves.
WAIT_SECONDS = 15
TALLIES = (Tally, SourceTally, PendingTally)


def current_version() -> int | None:
    """The data version as committed now, or None when the row is missing (a freshly emptied database)."""
    return DataVersion.objects.filter(pk=1).values_list("n", flat=True).first()


def data_version(request) -> int | None:
    """The data version for this request: read once, then memoised on the request."""
    if not hasattr(request, REQUEST_ATTRIBUTE):
        setattr(request, REQUEST_ATTRIBUTE, current_version())
    return getattr(request, REQUEST_ATTRIBUTE)


def _bump() -> None:
    if not DataVersion.objects.filter(pk=1).update(n=F("n") + 1):
        # The row went with a flush: start again from a random number, never from one a cache may still hold.
        DataVersion.objects.get_or_create(pk=1, defaults={"n": secrets.randbits(48)})


def _queued(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this transaction has already queued its raise (a rolled-back savepoint drops its callbacks,
    so the list says exactly what will run at commit). `run_on_commit` is Django's own list of them."""
    connection = connections[using]
    return connection.in_atomic_block and any(entry[1] is _bump for entry in connection.run_on_commit)


def changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """The evidence base was written to: raise the data version when this transaction commits (at once
    outside a transaction). Writers that bypass model signals call this themselves."""
    if not _queued(using):
        transaction.on_commit(_bump, using=using)
        # The home page's and the overview's tallies too (evidence/tallies.py): a failed fold leaves its
        # sources pending, which the pages still read right, so the writer is not told.
        transaction.on_commit(partial(tallies.fold, using), using=using, robust=True)


def key(name: str, version: int | str, *parts: Any) -> str:
    """A cache key for `name` at `version`, the parts (a normalised query, a page number) hashed in."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"evidence:{name}:{version}:{digest}"


def key_for(request, name: str, *parts: Any) -> str | None:
    """The request's cache key for `name` and the parts, or None when this request must not use the cache:
    a signed-in user (curators see drafts and what they have just written); a read inside a transaction
    (its snapshot may be older or newer than the cached figures, and a write of its own is not committed
    yet); a database without the version row (freshly emptied: nothing to key on until the next write)."""
    user = getattr(request, "user", None)
    if (user is not None and user.is_authenticated) or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    version = data_version(request)
    return None if version is None else key(name, version, *parts)


def get(entry_key: str | None) -> Any:
    """The cached value, or None: also when the cache does not answer (a shared cache that is down must
    leave the pages served, uncached)."""
    if not entry_key:
        return None
    try:
        return cache.get(entry_key)
    except Exception:  # each backend raises its own errors (OSError, redis' ConnectionError, …)
        logger.warning("The cache did not answer: served uncached", exc_info=True)
        return None


def put(entry_key: str | None, value: Any) -> None:
    if not entry_key:
        return
    try:
        cache.set(entry_key, value)  # for the cache's TIMEOUT (CACHE_TIMEOUT_SECONDS)
    except Exception:
        logger.warning("The cache did not answer: not kept", exc_info=True)


def kept_or_computed[T](
    entry_key: str | None, compute: Callable[[], T], keep: Callable[[T], Any] = lambda value: value
) -> tuple[bool, Any]:
    """(True, the kept value) when the cache has `entry_key`, else (False, compute()) with keep(its result)
    put under the key (unless keep gives None: not for keeping).

    One computation per missing key at a time, across every worker and box sharing the cache: the first
    takes a lock (`cache.add`), the others wait for its value (up to WAIT_SECONDS, polling) instead of each
    computing the same page. Right after a write every page is missing at once; without this, 50 readers
    asking for the same cold search each ran it, and the two cores queued them all (p95 3.8 s)."""
    if entry_key is None:  # not for the cache (key_for says why)
        return False, compute()
    value = get(entry_key)
    if value is not None:
        return True, value
    lock = f"{entry_key}:computing"
    leading = _add(lock, LOCK_SECONDS)
    if not leading:
        value = _wait_for(entry_key, lock)
        if value is not None:
            return True, value
    try:
        return False, _computed_and_kept(entry_key, compute, keep)
    finally:
        if leading:
            _delete(lock)


def _computed_and_kept[T](entry_key: str, compute: Callable[[], T], keep: Callable[[T], Any]) -> T:
    result = compute()
    kept = keep(result)
    if kept is not None:
        put(entry_key, kept)
    return result


def _wait_for(entry_key: str, lock: str) -> Any:
    """The value another worker is computing, once it is kept; None when it is not kept within WAIT_SECONDS
    or its worker gave up (its lock gone: an error, or a result not for keeping)."""
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.01
    while time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
        value = get(entry_key)
        if value is not None or not _exists(lock):
            return value
    return None


def _add(lock: str, seconds: int) -> bool:
    """Whether this worker took the lock. A cache that raises (not ours: TolerantRedisCache answers False
    when Redis is down, and the waiter finds no lock and computes) counts as taken: nobody shares it."""
    try:
        return cache.add(lock, 1, seconds)
    except Exception:
        return True


def _exists(lock: str) -> bool:
    try:
        return cache.has_key(lock)
    except Exception:
        return False


def _delete(lock: str) -> None:
    try:
        cache.delete(lock)
    except Exception:
        logger.warning("The cache did not answer: a lock left to expire", exc_info=True)


def cached(request, name: str, parts: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), kept in the cache under `name`, the parts and the request's data version (see key_for)."""
    return kept_or_computed(key_for(request, name, *parts), compute)[1]


def by_content(name: str, parts: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), kept under `name` and the parts it is made from (and nothing else: a formatted reference
    from its record), for every user and whatever the data version: when the parts change, so does the key.
    A new release's code may compute differently: RELEASE is in every key (settings.CACHES)."""
    return kept_or_computed(key(name, "content", *parts), compute)[1]


def _record_written(sender, **kwargs) -> None:
    changed(kwargs.get("using") or DEFAULT_DB_ALIAS)


def _relation_written(sender, action: str, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if action.startswith("post_"):
        changed(using)


def connect_signals() -> None:
    """Every model of the evidence app, historical records included, raises the version when saved or
    deleted, and every many-to-many relation between them when changed. (Connected model by model: a
    receiver for every sender would stop Django's fast deletes of unrelated tables such as sessions.)"""
    for model in apps.get_app_config("evidence").get_models():
        if model in (DataVersion, *TALLIES):  # what a write leaves behind, not a write of its own
            continue
        uid = f"evidence-data-version-{model._meta.label_lower}"
        post_save.connect(_record_written, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_record_written, sender=model, dispatch_uid=uid + "-delete")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                _relation_written, sender=field.remote_field.through, dispatch_uid=f"{uid}-{field.name}"
            )
