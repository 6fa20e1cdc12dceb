"""Reads from PostgreSQL streaming replicas, writes to the primary (docs/deployment.md, "Scaling out").

Only a request that may read a replica does: a GET or HEAD (or OPTIONS) from a browser that has not written
in the last REPLICA_STICKY_SECONDS (a cookie the middleware sets when a request wrote). Everything else
reads from the primary: other methods, the rest of a request once it has written, reads inside a
transaction on the primary, and whatever runs outside a request (commands, migrations, the shell), so
nothing reads its own write from a replica that has not replayed it yet.

A replica that does not answer (connect_timeout, REPLICA_CONNECT_TIMEOUT) is left alone for
REPLICA_RETRY_SECONDS; its readers read from the primary meanwhile."""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

logger = logging.getLogger(__name__)

STICKY_COOKIE = "read_primary_until"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Statements that change nothing. Any other statement on the primary is taken as a write; a WITH query is
# one only when it modifies data (PostgreSQL's data-modifying CTEs).
READ_ONLY_STATEMENTS = frozenset({"SELECT", "SHOW", "EXPLAIN", "SET", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"})
DATA_MODIFYING = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|MERGE\s+INTO)\b", re.IGNORECASE)

# Replicas found down, and until when (time.monotonic()) they are left alone: shared by a worker's threads.
_down_until: dict[str, float] = {}


def is_write(sql: str) -> bool:
    words = sql.lstrip(" (\n\t\r").split(None, 1)
    if not words:
        return False
    first_word = words[0].upper()
    if first_word == "WITH":
        return bool(DATA_MODIFYING.search(sql))
    return first_word not in READ_ONLY_STATEMENTS


@dataclass
class RequestReads:
    """What the router knows about the request being served."""

    may_read_replica: bool
    replica: str | None = None  # chosen at the first read, then kept for the whole request
    chosen: bool = False
    wrote: bool = False

    def notice_writes(self, execute, sql, params, many, context):
        if not self.wrote and is_write(sql):
            self.wrote = True
        return execute(sql, params, many, context)

    def read_alias(self) -> str:
        if self.wrote or not self.may_read_replica or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if not self.chosen:
            self.replica, self.chosen = answering_replica(), True
        return self.replica or DEFAULT_DB_ALIAS


_current: ContextVar[RequestReads | None] = ContextVar("replica_reads", default=None)


def answering_replica() -> str | None:
    """A replica that answers (connected, or its persistent connection still usable), or None for none."""
    now = time.monotonic()
    candidates = [alias for alias in settings.DATABASE_REPLICAS if _down_until.get(alias, 0) <= now]
    random.shuffle(candidates)  # spreads the readers of every worker over the replicas
    for alias in candidates:
        connection = connections[alias]
        try:
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DatabaseError as error:
            _down_until[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
            logger.error(
                "Replica %s does not answer (%s): reading from the primary for the next %s s",
                alias,
                str(error).strip(),
                settings.REPLICA_RETRY_SECONDS,
            )
            continue
        return alias
    return None


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = _current.get()
        return reads.read_alias() if reads else DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, first, second, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas follow the primary's schema through replication


class ReadFromReplicas:
    """Middleware: decides whether the request may read from a replica, notices whether it writes, and keeps
    a browser that wrote on the primary for REPLICA_STICKY_SECONDS. Does nothing without replicas."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        reads = RequestReads(may_read_replica=request.method in READING_METHODS and not recently_wrote(request))
        with routed_by(reads):
            response = self.get_response(request)
        if response.streaming and not getattr(response, "file_to_stream", None):
            # A streamed export reads as it is sent, after this returns: with the same routing.
            response.streaming_content = streamed_by(reads, response.streaming_content)
        if reads.wrote:
            seconds = settings.REPLICA_STICKY_SECONDS
            response.set_cookie(
                STICKY_COOKIE,
                str(math.ceil(time.time() + seconds)),  # never less than the window
                max_age=seconds,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response


@contextmanager
def routed_by(reads: RequestReads):
    token = _current.set(reads)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(reads.notice_writes):
            yield
    finally:
        _current.reset(token)


def streamed_by(reads: RequestReads, content: Iterator[bytes]) -> Iterator[bytes]:
    with routed_by(reads):
        yield from content


def recently_wrote(request) -> bool:
    try:
        return int(request.COOKIES.get(STICKY_COOKIE, "0")) > time.time()
    except ValueError:
        return False


@contextmanager
def one_snapshot(alias: str) -> Iterator:
    """A cursor on `alias` whose statements read one snapshot of the data: on PostgreSQL, in a transaction at
    REPEATABLE READ (inside one already open, at its level); on SQLite, where a transaction would begin
    IMMEDIATE and take the write lock (settings), in autocommit: there only one statement is one snapshot."""
    database = connections[alias]
    postgresql = database.vendor == "postgresql"
    outermost = not database.in_atomic_block
    with transaction.atomic(using=alias) if postgresql else nullcontext(), database.cursor() as cursor:
        if postgresql and outermost:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield cursor
