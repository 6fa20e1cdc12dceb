"""Issue 18: one computation per missing cache entry at a time (caching.kept_or_computed). Readers asking for
the same cold page at once wait for the first one's result instead of each computing it; a first reader whose
result is not kept, or who fails, does not leave the others waiting. Threads stand in for gunicorn workers:
with Redis each has its own connection to a real redis-server, as workers do."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache

from evidence import caching
from tests.test_redis_cache import redis_server  # noqa: F401  (a fixture: a real redis-server of the test's own)

KEY = "evidence:synthetic-stampede:1:0"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def readers_at_once(n: int, compute, keep=lambda value: value) -> list[tuple[bool, object]]:
    """`n` readers asking for KEY at the same moment; what each got."""
    start, results = threading.Barrier(n), [None] * n

    def read(index: int) -> None:
        start.wait()
        results[index] = caching.kept_or_computed(KEY, compute, keep)

    threads = [threading.Thread(target=read, args=(index,)) for index in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def slow_count(calls: list, seconds: float = 0.3, result="page"):
    def compute():
        calls.append(threading.get_ident())
        time.sleep(seconds)
        return result

    return compute


def test_readers_of_one_missing_entry_wait_for_the_first_instead_of_computing_it_again():
    calls = []
    results = readers_at_once(5, slow_count(calls))
    assert len(calls) == 1
    assert sorted(results) == [(False, "page")] + [(True, "page")] * 4
    assert caching.kept_or_computed(KEY, slow_count(calls)) == (True, "page")


def test_with_redis_workers_on_their_own_connections_compute_it_once(redis_server):  # noqa: F811
    calls = []
    results = readers_at_once(4, slow_count(calls))
    assert len(calls) == 1 and [value for _, value in results] == ["page"] * 4
    assert not cache.has_key(f"{KEY}:computing")  # the lock is released, not left to expire


def test_a_result_not_kept_sends_the_waiting_readers_to_compute_it_themselves_at_once():
    calls = []
    began = time.monotonic()
    results = readers_at_once(3, slow_count(calls, result="a 404"), keep=lambda value: None)
    assert results == [(False, "a 404")] * 3 and len(calls) == 3
    assert time.monotonic() - began < caching.WAIT_SECONDS / 3  # nobody waited for a value that never comes


def test_a_first_reader_that_fails_does_not_leave_the_others_waiting():
    calls = []

    def fails_first():
        calls.append(1)
        time.sleep(0.2)
        if len(calls) == 1:
            raise RuntimeError("synthetic failure")
        return "page"

    outcomes = []

    def read():
        try:
            outcomes.append(caching.kept_or_computed(KEY, fails_first))
        except RuntimeError as error:
            outcomes.append(str(error))

    first = threading.Thread(target=read)
    first.start()
    time.sleep(0.05)  # the first holds the lock
    began = time.monotonic()
    read()
    first.join()
    assert sorted(map(str, outcomes)) == ["(False, 'page')", "synthetic failure"]
    assert time.monotonic() - began < 2


def test_with_redis_down_every_reader_computes_without_waiting(redis_server):  # noqa: F811
    redis_server.stop()
    calls = []
    began = time.monotonic()
    results = readers_at_once(3, slow_count(calls, seconds=0.1))
    assert [value for _, value in results] == ["page"] * 3 and len(calls) == 3
    assert time.monotonic() - began < 2
