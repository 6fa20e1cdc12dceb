"""Reads from PostgreSQL streaming replicas (evidence/routing.py). The first tests run everywhere; those
marked `replica` run against the real replica of DATABASE_REPLICA_URLS that `.ci/replica start` makes
(CI sets REQUIRE_REPLICA=1, so a missing replica fails there instead of skipping).

They use the live server, through HTTP: a replica alias reads the replica's copy of the primary's test
database (tests/conftest.py), which only committed data reaches, and the test thread may not query it."""

from __future__ import annotations

import json
import logging
import os
import socket
import time

import psycopg2
import pytest
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from rest_framework.authtoken.models import Token

from evidence import routing
from evidence.models import Source
from evidence.roles import ensure_curator_group
from tests.test_settings import settings_in_subprocess


@pytest.mark.parametrize(
    "sql, writes",
    [
        ('SELECT "evidence_source"."id" FROM "evidence_source"', False),
        ("  (SELECT 1) UNION (SELECT 2)", False),
        ('WITH matches AS (SELECT id FROM "evidence_source") SELECT count(*) FROM matches', False),
        ('SAVEPOINT "s1"', False),
        ("SET LOCAL work_mem = '64MB'", False),
        ('INSERT INTO "django_session" ("session_key") VALUES (%s)', True),
        ('UPDATE "evidence_source" SET "title" = %s', True),
        ('DELETE FROM "evidence_evidence" WHERE id = 1', True),
        ('WITH gone AS (DELETE FROM "evidence_evidence" RETURNING id) SELECT count(*) FROM gone', True),
        ("CREATE TEMPORARY TABLE t (id int)", True),
        ("", False),
    ],
)
def test_writes_are_told_from_reads(sql, writes):
    assert routing.is_write(sql) is writes


def test_each_replica_url_is_an_alias_read_through_the_router_and_none_leaves_the_settings_alone():
    code = (
        "import json; print(json.dumps([settings.DATABASE_REPLICAS, getattr(settings, 'DATABASE_ROUTERS', []),"
        " {alias: [db['PORT'], db['OPTIONS'], db['TEST']['MIRROR']] for alias, db in settings.DATABASES.items()}]))"
    )
    primary = "postgres://postgres@127.0.0.1:5432/evidence"
    replicas = "postgres://postgres@10.0.0.2:5432/evidence, postgres://postgres@10.0.0.3:5433/evidence"
    made = settings_in_subprocess(code, DATABASE_URL=primary, DATABASE_REPLICA_URLS=replicas)
    assert made.returncode == 0, made.stderr
    aliases, routers, databases = json.loads(made.stdout)
    assert aliases == ["replica_1", "replica_2"] and routers == ["evidence.routing.PrimaryReplicaRouter"]
    assert databases["replica_2"] == [5433, {"connect_timeout": 2}, "default"]  # a test mirror: no test database
    alone = settings_in_subprocess(code, DATABASE_URL=primary, DATABASE_REPLICA_URLS="")
    assert json.loads(alone.stdout)[:2] == [[], []]
    mixed = settings_in_subprocess("", DATABASE_URL=primary, DATABASE_REPLICA_URLS="sqlite:////tmp/copy.sqlite3")
    assert "DATABASE_REPLICA_URLS must name databases of the same kind as DATABASE_URL" in mixed.stderr


@pytest.fixture
def one_replica(db, settings):
    """The middleware's bookkeeping, with the primary standing in for a replica (it answers like one)."""
    settings.DATABASE_REPLICAS = ["default"]


def test_a_request_that_writes_keeps_its_browser_on_the_primary_for_the_sticky_window(one_replica, client):
    page = client.get("/claims/")
    assert page.status_code == 200 and routing.STICKY_COOKIE not in page.cookies
    login = client.post("/admin/login/", {"username": "curator", "password": "test-curator-password"})
    assert login.status_code == 302  # a session row written, and the user's last_login
    cookie = login.cookies[routing.STICKY_COOKIE]
    assert cookie["max-age"] == settings.REPLICA_STICKY_SECONDS and cookie["httponly"]
    assert time.time() < int(cookie.value) <= time.time() + settings.REPLICA_STICKY_SECONDS + 1


def test_a_post_that_writes_nothing_sets_no_cookie_and_a_failed_login_one(one_replica, client):
    checked = client.post("/api/v1/check/", {"text": "Kratom is a plant."}, content_type="application/json")
    assert checked.status_code == 200 and routing.STICKY_COOKIE not in checked.cookies  # stores nothing
    refused = client.post("/admin/login/", {"username": "curator", "password": "not-the-password"})
    assert refused.status_code == 200 and routing.STICKY_COOKIE in refused.cookies  # django-axes counts it


def test_without_replicas_the_middleware_does_nothing(db, client, settings):
    settings.DATABASE_REPLICAS = []
    login = client.post("/admin/login/", {"username": "curator", "password": "test-curator-password"})
    assert login.status_code == 302 and routing.STICKY_COOKIE not in login.cookies


def test_outside_a_request_everything_reads_from_the_primary(one_replica):
    assert routing.PrimaryReplicaRouter().db_for_read(Source) == "default"
    assert routing.PrimaryReplicaRouter().allow_migrate("replica_1", "evidence") is False


# --- the real replica -----------------------------------------------------------------------------------


@pytest.fixture
def replica(live_server):
    """The first replica's alias and a superuser connection to its copy of the test database."""
    if not settings.DATABASE_REPLICAS or connections["default"].vendor != "postgresql":
        message = "no replica: set DATABASE_REPLICA_URLS (run .ci/replica start) on PostgreSQL"
        if os.environ.get("REQUIRE_REPLICA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    alias = settings.DATABASE_REPLICAS[0]
    params = connections.settings[alias]
    with psycopg2.connect(
        host=params["HOST"],
        port=params["PORT"],
        user=params["USER"],
        password=params["PASSWORD"],
        dbname=params["NAME"],
    ) as replica_connection:
        replica_connection.autocommit = True
        routing._down_until.clear()
        yield alias, replica_connection.cursor()
        replica_connection.cursor().execute("SELECT pg_wal_replay_resume()")


def replica_title(cursor, key: str) -> str | None:
    cursor.execute("SELECT title FROM evidence_source WHERE key = %s", [key])
    row = cursor.fetchone()
    return row[0] if row else None


def until(replayed, what: str) -> None:
    deadline = time.monotonic() + 30
    while not replayed():
        assert time.monotonic() < deadline, f"the replica did not replay {what} within 30 s"
        time.sleep(0.05)


@pytest.fixture
def synthetic_source(replica):
    _, cursor = replica
    source = Source.objects.create(key="ReplicaSynthetic", title="Replica test: before", year=2020)
    until(lambda: replica_title(cursor, source.key) == source.title, "the new source")
    return source


@pytest.fixture
def writer(replica) -> requests.Session:
    """An API client with a curator's token that keeps its cookies, like a browser; it may write."""
    _, cursor = replica
    user = get_user_model().objects.create_user("replica-curator", password="x-password-42", is_staff=True)
    user.groups.add(ensure_curator_group())
    token = Token.objects.create(user=user).key

    def token_replayed() -> bool:
        cursor.execute("SELECT 1 FROM authtoken_token WHERE key = %s", [token])
        return cursor.fetchone() is not None

    until(token_replayed, "the curator's token")
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    return session


def title_seen(session: requests.Session, base: str, key: str) -> str:
    response = session.get(f"{base}/api/v1/sources/{key}/", timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response.json()["title"]


def rename(session: requests.Session, base: str, key: str, title: str) -> requests.Response:
    etag = session.get(f"{base}/api/v1/sources/{key}/", timeout=30).headers["ETag"]
    response = session.patch(f"{base}/api/v1/sources/{key}/", json={"title": title}, headers={"If-Match": etag})
    assert response.status_code == 200, response.text[:500]
    return response


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=["default", *settings.DATABASE_REPLICAS])
def test_the_writer_reads_its_write_while_the_replica_lags_and_others_read_the_replica(
    live_server, replica, synthetic_source, writer
):
    _, cursor = replica
    key = synthetic_source.key
    cursor.execute("SELECT pg_wal_replay_pause()")  # real lag: the replica stops applying what it receives
    wrote = rename(writer, live_server.url, key, "Replica test: after")
    assert routing.STICKY_COOKIE in wrote.cookies
    assert replica_title(cursor, key) == "Replica test: before"  # the replica is behind

    assert title_seen(writer, live_server.url, key) == "Replica test: after"  # the writer's next request
    assert title_seen(requests.Session(), live_server.url, key) == "Replica test: before"  # a reader: the replica
    streamed = requests.get(f"{live_server.url}/sources/{key}/export.csv", timeout=30)  # read while sent
    assert streamed.status_code == 200 and "Replica test: before" in streamed.text
    assert "Replica test: after" in writer.get(f"{live_server.url}/sources/{key}/export.csv", timeout=30).text

    cursor.execute("SELECT pg_wal_replay_resume()")
    until(lambda: replica_title(cursor, key) == "Replica test: after", "the new title")
    assert title_seen(requests.Session(), live_server.url, key) == "Replica test: after"


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=["default", *settings.DATABASE_REPLICAS])
def test_after_the_sticky_window_the_writer_reads_the_replica_again(
    live_server, replica, synthetic_source, writer, settings
):
    settings.REPLICA_STICKY_SECONDS = 1
    _, cursor = replica
    cursor.execute("SELECT pg_wal_replay_pause()")
    rename(writer, live_server.url, synthetic_source.key, "Replica test: after")
    assert title_seen(writer, live_server.url, synthetic_source.key) == "Replica test: after"
    time.sleep(2.1)  # the window (rounded up to the next whole second) is over
    assert title_seen(writer, live_server.url, synthetic_source.key) == "Replica test: before"


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again at once: nothing listens there


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=["default", *settings.DATABASE_REPLICAS])
def test_reads_go_to_the_primary_while_the_replica_is_down(live_server, replica, synthetic_source, caplog):
    alias, _ = replica
    real_port = connections.settings[alias]["PORT"]
    connections.settings[alias]["PORT"] = dead_port()
    try:
        with caplog.at_level(logging.ERROR, logger="evidence.routing"):
            for _ in range(3):
                assert title_seen(requests.Session(), live_server.url, synthetic_source.key) == "Replica test: before"
            health = requests.get(f"{live_server.url}/health/", timeout=30)
    finally:
        connections.settings[alias]["PORT"] = real_port
    down = [record for record in caplog.records if record.name == "evidence.routing"]
    assert len(down) == 1, "a replica found down is remembered, not tried by every request"
    assert f"Replica {alias} does not answer" in down[0].getMessage()
    assert health.status_code == 200
    assert health.json()["status"] == "degraded" and health.json()["checks"][alias] == "degraded"


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases=["default", *settings.DATABASE_REPLICAS])
def test_a_search_reads_its_matches_and_their_rows_from_the_same_database_while_the_replica_lags(
    live_server, replica, synthetic_source
):
    _, cursor = replica
    cursor.execute("SELECT pg_wal_replay_pause()")
    Source.objects.create(key="ReplicaLagging", title="Replica test: written during the lag", year=2021)
    # An anonymous reader's search: its matches and the rows they name both from the lagging replica (the ids
    # from the primary and the rows from the replica were a KeyError, a 500).
    response = requests.get(f"{live_server.url}/sources/?q=replica", timeout=30)
    assert response.status_code == 200
    assert "ReplicaSynthetic" in response.text and "ReplicaLagging" not in response.text
    cursor.execute("SELECT pg_wal_replay_resume()")
    until(lambda: replica_title(cursor, "ReplicaLagging") is not None, "the new source")
    assert "ReplicaLagging" in requests.get(f"{live_server.url}/sources/?q=replica", timeout=30).text
