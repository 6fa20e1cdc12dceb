"""Full-text search over sources: one interface, PostgreSQL and SQLite underneath.

PostgreSQL: a weighted tsvector (title and authors A, keywords B, abstract and summary C) stored in a
generated column with a GIN index, ranked by ts_rank. SQLite: an FTS5 table over the same
columns, kept in step by triggers, ranked by bm25 with the same relative weights. Created by
migrations 0004 and (the PostgreSQL column) 0008.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

SEARCHED_COLUMNS = ("title", "author_names", "keywords", "abstract", "summary")
POSTGRES_WEIGHTS = {"title": "A", "author_names": "A", "keywords": "B", "abstract": "C", "summary": "C"}
# bm25 weights per FTS5 column, in the ratios of PostgreSQL's default A/B/C weights (1.0, 0.4, 0.2).
FTS5_WEIGHTS = (1.0, 1.0, 0.4, 0.2, 0.2)
FTS_TABLE = "evidence_source_fts"
# Columns unqualified: the search may run inside a subquery where the ORM renames the table (U0). The
# index matches the expression whatever the spelling: PostgreSQL compares parsed columns, not text.
POSTGRES_VECTOR = " || ".join(
    f"setweight(to_tsvector('english'::regconfig, coalesce(\"{column}\", '')), '{weight}')"
    for column, weight in POSTGRES_WEIGHTS.items()
)
POSTGRES_INDEX = "evidence_source_search"  # migration 0004's index on the expression; 0008 replaced it
# The vector stored in a generated column (migration 0008) with a GIN index on it: with the statistics of a
# corpus where a term matches most rows, PostgreSQL scans the table rather than the index, and computing
# the expression for each of 100,000 rows took 8 s; reading a stored vector does not.
POSTGRES_COLUMN = "search_vector"
POSTGRES_COLUMN_INDEX = "evidence_source_search_vector"
WORD = re.compile(r"\w+", re.UNICODE)
# A search term: an optional minus, then a "quoted phrase" or a run of non-space characters.
SEARCH_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')
MAX_QUERY_LENGTH = 500


_COLUMNS = ", ".join(SEARCHED_COLUMNS)
_NEW = ", ".join(f"new.{column}" for column in SEARCHED_COLUMNS)
_OLD = ", ".join(f"old.{column}" for column in SEARCHED_COLUMNS)
SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_insert": f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON evidence_source BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
    f"{FTS_TABLE}_delete": f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON evidence_source BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); END",
    f"{FTS_TABLE}_update": f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE ON evidence_source BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
}


def ensure_sqlite_index(connection) -> bool:
    """Recreate the FTS5 triggers if SQLite dropped them, and rebuild the index; True if it had to.

    SQLite cannot alter most columns in place, so a migration that changes evidence_source rebuilds the
    table, and its triggers go with the old one (0005 did exactly that). Run after every migrate.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = %s", [FTS_TABLE])
        if cursor.fetchone() is None:  # before migration 0004
            return False
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'evidence_source'")
        present = {row[0] for row in cursor.fetchall()}
        missing = [sql for name, sql in SQLITE_TRIGGERS.items() if name not in present]
        for sql in missing:
            cursor.execute(sql)
        if missing:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    return bool(missing)


def clean_query(q: str) -> str:
    """What a search box sends, made safe: no NUL bytes (PostgreSQL refuses them), bounded length."""
    return q.replace("\x00", " ").strip()[:MAX_QUERY_LENGTH]


def search(queryset: QuerySet, q: str) -> QuerySet:
    """Sources matching every word of q (`by_relevance` orders them)."""
    q = clean_query(q)
    match = fts5_query(q)
    if not match:  # no word to look for (only punctuation, or only exclusions): the same on both databases
        return queryset.none()
    if connection.vendor == "postgresql":
        return queryset.filter(RawSQL(f"{POSTGRES_COLUMN} @@ websearch_to_tsquery('english', %s)", [q], BooleanField()))
    # A subquery of ids, not a join: the result may itself become a subquery (the facet counts use it so),
    # where the ORM renames the sources table and a join condition naming it would break.
    return queryset.filter(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match]))


def by_relevance(queryset: QuerySet, q: str) -> QuerySet:
    """The search's results, best match first (ties by key)."""
    q = clean_query(q)
    if connection.vendor == "postgresql":
        rank = RawSQL(f"ts_rank({POSTGRES_COLUMN}, websearch_to_tsquery('english', %s))", [q], FloatField())
        return queryset.annotate(rank=rank).order_by("-rank", "key")
    weights = ", ".join(str(weight) for weight in FTS5_WEIGHTS)
    # The FTS table joined once (bm25 computed once per match), not a ranking subquery per row: at
    # 100,000 sources a broad term took 12 s that way, 0.1 s this way. Django's ORM cannot join a
    # virtual table, hence extra(). bm25() is lower for better matches: negated, higher is better.
    ranked = queryset.extra(
        select={"rank": f"-bm25({FTS_TABLE}, {weights})"},
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = evidence_source.id", f"{FTS_TABLE} MATCH %s"],
        params=[fts5_query(q)],
    )
    return ranked.order_by("-rank", "key")


def fts5_query(q: str) -> str:
    """PostgreSQL's websearch syntax (words, "phrases", or, -word) as an FTS5 query.

    Every term becomes a quoted FTS5 string, so user input can never be read as FTS5 syntax; a term of
    several words (a phrase, or "7-hydroxymitragynine") must match as adjacent words, as on PostgreSQL.
    """
    groups: list[list[str]] = []
    excluded: list[str] = []
    after_or = False
    for match in SEARCH_TERM.finditer(q):
        negated, phrase, bare = match.groups()
        words = WORD.findall(phrase if phrase is not None else bare)
        if phrase is None and bare.lower() == "or":
            after_or = bool(groups)
            continue
        if not words:
            continue
        term = '"' + " ".join(words) + '"'
        if negated:
            excluded.append(term)
        elif after_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        after_or = False
    if not groups:
        return ""
    query = " AND ".join("(" + " OR ".join(group) + ")" for group in groups)
    return query + "".join(f" NOT {term}" for term in excluded)
