"""Production logging: one JSON line per request with its id, the traceback of a server error in that line,
the id echoed to the client; checked in-process and on the stderr of a real gunicorn run with DEBUG=0."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from evidence.request_log import JsonLines

pytestmark = pytest.mark.django_db
FORCED_ERROR = "/test-only/server-error/"


def request_lines(caplog) -> list[dict]:
    formatter = JsonLines()
    return [json.loads(formatter.format(record)) for record in caplog.records if record.name == "evidence.requests"]


def test_every_answer_carries_a_request_id_and_a_sane_incoming_one_is_kept(reader):
    made = reader.get("/sources/")["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert reader.get("/sources/", headers={"X-Request-ID": "lb-7f3a-0001"})["X-Request-ID"] == "lb-7f3a-0001"


@pytest.mark.parametrize("incoming", ["two words", "x" * 129, "id\r\nX-Injected: 1", "<script>", ""])
def test_an_incoming_request_id_that_is_not_sane_is_replaced(reader, incoming):
    answered = reader.get("/sources/", headers={"X-Request-ID": incoming})["X-Request-ID"]
    assert answered != incoming and len(answered) == 32


def test_a_request_is_logged_as_one_json_line_with_who_what_and_how_long(curator, curator_user, caplog):
    with caplog.at_level(logging.INFO, logger="evidence.requests"):
        response = curator.get("/sources/?q=kratom", headers={"X-Request-ID": "trace-1"})
    [line] = request_lines(caplog)
    assert line["request_id"] == "trace-1" == response["X-Request-ID"]
    assert (line["user_id"], line["method"], line["path"], line["status"]) == (curator_user.pk, "GET", "/sources/", 200)
    assert line["level"] == "INFO" and line["duration_ms"] >= 0 and "traceback" not in line


def test_an_anonymous_miss_is_a_warning_without_a_user(reader, caplog):
    with caplog.at_level(logging.INFO, logger="evidence.requests"):
        reader.get("/sources/NoSuchKey1999/")
    [line] = request_lines(caplog)
    assert (line["level"], line["status"], line["user_id"]) == ("WARNING", 404, None)


@override_settings(ROOT_URLCONF="tests.failing_urls")
def test_a_server_error_is_one_error_line_holding_its_traceback(caplog):
    with caplog.at_level(logging.INFO):
        response = Client(raise_request_exception=False).get(FORCED_ERROR, headers={"X-Request-ID": "trace-500"})
    assert response.status_code == 500
    [line] = request_lines(caplog)
    assert (line["level"], line["status"], line["request_id"]) == ("ERROR", 500, "trace-500")
    assert "ForcedServerError: a server error forced by a test" in line["traceback"]


# --- gunicorn with production settings ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(tmp_path: Path, database_url: str):
    """gunicorn on a free loopback port with DEBUG=0 and the test-only URLconf; yields its address and the
    file its stderr goes to (read it once the server has stopped)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.failing_settings",
        "DEBUG": "0",
        "SECRET_KEY": "test-only-secret-key-for-a-gunicorn-run",
        "DATABASE_URL": database_url,
        # No replicas or Redis from the environment (CI's PostgreSQL run sets them): this server has its own database.
        "DATABASE_REPLICA_URLS": "",
        "REDIS_URL": "",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "ADMINS": "",
    }
    stderr = tmp_path / "gunicorn.stderr"
    with stderr.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "evidence.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    address = f"http://127.0.0.1:{port}"
    try:
        wait_for(address, server)
        yield address, stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for(address: str, server: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn stopped before serving"
        try:
            get(address + "/health/")
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"gunicorn did not answer within {seconds} s")


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def json_lines(stderr: Path) -> list[dict]:
    return [json.loads(line) for line in stderr.read_text().splitlines() if line.startswith("{")]


def test_under_gunicorn_a_server_error_writes_one_json_line_with_its_traceback(tmp_path):
    with gunicorn(tmp_path, f"sqlite:///{tmp_path / 'site.sqlite3'}") as (address, stderr):
        status, headers, body = get(address + FORCED_ERROR, {"X-Request-ID": "gunicorn-trace-500"})
        health = get(address + "/health/")
    assert status == 500 and headers["X-Request-ID"] == "gunicorn-trace-500"
    assert b"ForcedServerError" not in body  # DEBUG is off: the traceback is for the log only
    about_it = [line for line in json_lines(stderr) if line.get("request_id") == "gunicorn-trace-500"]
    assert len(about_it) == 1, stderr.read_text()
    [line] = about_it
    assert (line["level"], line["status"], line["path"]) == ("ERROR", 500, FORCED_ERROR)
    assert "Traceback (most recent call last)" in line["traceback"]
    assert "ForcedServerError: a server error forced by a test" in line["traceback"]
    assert health[0] == 200 and json.loads(health[2]) == {"status": "ok", "checks": {"database": "ok"}}


def test_under_gunicorn_health_answers_503_when_the_database_is_unreachable(tmp_path):
    # Port 9 (discard) on loopback: nothing listens there, so every connection is refused.
    with gunicorn(tmp_path, "postgres://postgres@127.0.0.1:9/unreachable") as (address, stderr):
        status, headers, body = get(address + "/health/")
    assert status == 503
    assert json.loads(body) == {"status": "failing", "checks": {"database": "failing"}}
    about_it = [line for line in json_lines(stderr) if line.get("request_id") == headers["X-Request-ID"]]
    assert [line["logger"] for line in about_it] == ["evidence.health", "evidence.requests"]
    assert "OperationalError" in about_it[0]["traceback"] and about_it[1]["status"] == 503
