"""The cache (evidence/cache.py, settings): Redis where REDIS_URL is set, shared by every worker and box, and
pages served uncached when Redis is down. Against a real redis-server each test starts and stops (Debian's
redis-server; CI sets REQUIRE_REDIS=1, so a missing one fails there instead of skipping)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.test_settings import settings_in_subprocess

PUBLIC_PAGES = ["/", "/sources/?q=kratom", "/claims/", "/adverse-effects/"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own on the loopback, keeping nothing on disk."""

    def __init__(self, port: int):
        self.port, self.process = port, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout != b"PONG\n":
            assert time.monotonic() < deadline, "redis-server did not start within 10 s"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server():
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        message = "redis-server is missing: apt-get install redis-server"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(free_port())
    server.start()
    try:
        with override_settings(CACHES=redis_caches(f"redis://127.0.0.1:{server.port}/0"), REDIS_RETRY_SECONDS=1):
            yield server
    finally:
        server.stop()


def redis_caches(url: str) -> dict:
    """The CACHES the settings module makes from REDIS_URL (read from it, so the test follows any change)."""
    made = settings_in_subprocess("import json; print(json.dumps(settings.CACHES))", REDIS_URL=url)
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


def test_without_redis_url_the_cache_is_in_process_and_with_it_redis_with_its_key_prefix():
    local = settings_in_subprocess("print(settings.CACHES['default']['BACKEND'])", REDIS_URL="")
    assert local.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache"
    shared = redis_caches("redis://cache.internal:6379/2")["default"]
    assert shared["BACKEND"] == "evidence.cache.TolerantRedisCache"
    assert shared["LOCATION"] == "redis://cache.internal:6379/2"
    prefixed = settings_in_subprocess(
        "print(settings.CACHES['default']['KEY_PREFIX'])", REDIS_URL="redis://127.0.0.1:6379/0", CACHE_KEY_PREFIX="run7"
    )
    assert prefixed.stdout.strip() == "run7"  # parallel runs on one Redis do not read each other's values


@pytest.mark.django_db
def test_pages_are_served_uncached_while_redis_is_down(redis_server, reader, caplog):
    cache.set("synthetic-key", "kept")
    assert cache.get("synthetic-key") == "kept"  # the real Redis keeps values
    assert reader.get("/health/").json()["checks"]["cache default"] == "ok"

    redis_server.stop()
    with caplog.at_level(logging.ERROR, logger="evidence.cache"):
        for page in PUBLIC_PAGES:
            assert reader.get(page).status_code == 200, page
        assert cache.get("synthetic-key", "missed") == "missed"
        cache.set("synthetic-key", "lost")  # no error: nothing is written
        assert cache.get_or_set("synthetic-computed", lambda: 42) == 42
        with pytest.raises(ValueError):
            cache.incr("synthetic-counter")  # as for any missing key
        health = reader.get("/health/")
    assert "Redis does not answer" in caplog.text
    assert health.status_code == 200
    assert health.json() == {"status": "degraded", "checks": {"database": "ok", "cache default": "degraded"}}


@pytest.mark.django_db
def test_an_outage_is_remembered_for_a_moment_then_redis_is_tried_again(redis_server, caplog):
    redis_server.stop()
    with caplog.at_level(logging.ERROR, logger="evidence.cache"):
        assert cache.get("synthetic-key") is None
        redis_server.start()  # back, but not asked until REDIS_RETRY_SECONDS (1 s here) have passed
        cache.set("synthetic-key", "written during the outage")
        assert cache.get("synthetic-key") is None
        time.sleep(1.1)
        assert cache.get("synthetic-key") is None  # the write above was skipped, not sent
        cache.set("synthetic-key", "written after")
        assert cache.get("synthetic-key") == "written after"
    assert caplog.text.count("Redis does not answer") == 1  # one outage, logged once
