"""Shared fixtures: the demo data loaded once per test database, and the people who use the site."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from evidence.query.thesaurus import forget_lexicon
from evidence.roles import ensure_curator_group

CURATOR_PASSWORD = "test-curator-password"


def count_queries(client: Client, url: str) -> int:
    """The SQL queries one request of a page runs (the page must answer 200)."""
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, tmp_path_factory):
    # An in-memory SQLite test database is one connection, which the live server hands to every request
    # thread: concurrent requests would share one transaction. A file gives each its own, as in production.
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The real demo data is what most tests look at; loading it once keeps the suite quick.
    # (pytest-django runs live-server tests, which empty the database, after all the others.)
    with django_db_blocker.unblock():
        call_command("load_demo", curator_password=CURATOR_PASSWORD, verbosity=0)
    # A replica is read-only: the test runner makes no test database there (the aliases are test mirrors,
    # which it points at the primary's). Streaming replication copies the primary's whole cluster, test
    # database included, so each replica alias is pointed back at its replica, to that copy.
    for alias in settings.DATABASE_REPLICAS:
        replica = connections.settings[alias]  # the dict each thread's connection is made from
        replica["NAME"] = connection.settings_dict["NAME"]
        connections[alias].close()
        connections[alias].settings_dict = replica


@pytest.fixture(autouse=True)
def reads_from_the_primary_unless_marked_replica(request):
    """With DATABASE_REPLICA_URLS set (CI's PostgreSQL run), only tests marked `replica` read from a replica.
    The others write through the ORM and at once read through a page, which a replica a few milliseconds
    behind would make flaky (as it would a real curator's page, without the sticky window), and run inside
    a transaction that a replica cannot see."""
    if settings.DATABASE_REPLICAS and request.node.get_closest_marker("replica") is None:
        with override_settings(DATABASE_REPLICAS=[]):
            yield
    else:
        yield


@pytest.fixture(autouse=True)
def fresh_search_lexicon():
    """Each test reads the search lexicon from its own database (a rolled-back test sends no signal)."""
    forget_lexicon()
    yield
    forget_lexicon()


@pytest.fixture
def reader() -> Client:
    """An anonymous visitor."""
    return Client()


@pytest.fixture
def curator_user(db):
    user = get_user_model().objects.get(username="curator")
    assert user.groups.filter(name="Curator").exists()
    return user


@pytest.fixture
def curator(curator_user) -> Client:
    """A member of the Curator group, logged in."""
    client = Client()
    client.force_login(curator_user)
    return client


@pytest.fixture
def admin_user_client(db) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("boss", password="boss-password-123"))
    return client


@pytest.fixture
def fresh_curator(db):
    """A curator made in the test, for tests that must not depend on the demo set-up."""
    user = get_user_model().objects.create_user("second-curator", password="x-password-42", is_staff=True)
    user.groups.add(ensure_curator_group())
    return user
