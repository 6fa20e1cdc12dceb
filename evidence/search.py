"""Full-text search over sources: one interface, PostgreSQL and SQLite underneath.

A query is understood once (evidence.query: parsed, expanded with synonyms) and compiled here for each
database. PostgreSQL: a weighted tsvector (title and authors A, keywords and linked terms B, abstract and
summary C) stored in a generated column with a GIN index, through a text search configuration that also
removes accents, ranked by ts_rank. SQLite: an FTS5 table over the same columns, kept in step by
triggers, ranked by bm25 with the same relative weights. Created by migrations 0004, 0008 and 0014.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from .query.parse import MAX_QUERY_LENGTH, clean_query  # noqa: F401 - the search's public interface
from .query.thesaurus import Query, understand

SEARCHED_COLUMNS = ("title", "author_names", "keywords", "abstract", "summary", "linked_terms")
POSTGRES_WEIGHTS = {
    "title": "A",
    "author_names": "A",
    "keywords": "B",
    "abstract": "C",
    "summary": "C",
    "linked_terms": "B",
}
# bm25 weights per FTS5 column, in the ratios of PostgreSQL's default A/B/C weights (1.0, 0.4, 0.2).
FTS5_WEIGHTS = (1.0, 1.0, 0.4, 0.2, 0.2, 0.4)
FTS_TABLE = "evidence_source_fts"
FTS_VOCABULARY = "evidence_source_fts_vocabulary"  # fts5vocab over FTS_TABLE: each indexed stem, with its count
# English stemming, with accents removed first (migration 0014): "Varadi" finds "Váradi", as on SQLite.
POSTGRES_CONFIG = "evidence_english"
# A slash becomes a space: PostgreSQL's parser reads "substitute/harm-reduction" as one file-path
# token, where FTS5 (and a reader) sees two words. Columns unqualified: the search may run inside a
# subquery where the ORM renames the table (U0). The index matches the expression whatever the
# spelling: PostgreSQL compares parsed columns, not text.
POSTGRES_VECTOR = " || ".join(
    f"setweight(to_tsvector('{POSTGRES_CONFIG}'::regconfig, "
    f"translate(coalesce(\"{column}\", ''), '/', ' ')), '{weight}')"
    for column, weight in POSTGRES_WEIGHTS.items()
)
# The vector stored in a generated column (migration 0008) with a GIN index on it: with the statistics of a
# corpus where a term matches most rows, PostgreSQL scans the table rather than the index, and computing
# the expression for each of 100,000 rows took 8 s; reading a stored vector does not.
POSTGRES_COLUMN = "search_vector"
POSTGRES_COLUMN_INDEX = "evidence_source_search_vector"


def sqlite_triggers(columns: tuple[str, ...]) -> dict[str, str]:
    """The triggers that keep FTS_TABLE in step with evidence_source, over these columns."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    delete = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {names}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {FTS_TABLE}(rowid, {names}) VALUES (new.id, {new});"
    return {
        f"{FTS_TABLE}_insert": f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON evidence_source "
        f"BEGIN {insert} END",
        f"{FTS_TABLE}_delete": f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON evidence_source "
        f"BEGIN {delete} END",
        f"{FTS_TABLE}_update": f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE ON evidence_source "
        f"BEGIN {delete} {insert} END",
    }


SQLITE_TRIGGERS = sqlite_triggers(SEARCHED_COLUMNS)


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


def search(queryset: QuerySet, q: str | Query, every: bool = True) -> QuerySet:
    """Sources matching every term of q with its synonyms (`every=False`: any term); `by_relevance` orders them."""
    query = understand(q) if isinstance(q, str) else q
    if not query:  # no word to look for (only punctuation, or only exclusions): the same on both databases
        return queryset.none()
    if connection.vendor == "postgresql":
        condition = f"{POSTGRES_COLUMN} @@ to_tsquery('{POSTGRES_CONFIG}', %s)"
        return queryset.filter(RawSQL(condition, [tsquery(query, every)], BooleanField()))
    # A subquery of ids, not a join: the result may itself become a subquery (the facet counts use it so),
    # where the ORM renames the sources table and a join condition naming it would break.
    match = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    return queryset.filter(pk__in=RawSQL(match, [fts5_query(query, every)]))


def by_relevance(queryset: QuerySet, q: str | Query, every: bool = True) -> QuerySet:
    """The search's results, best match first (ties by key)."""
    query = understand(q) if isinstance(q, str) else q
    if not query:
        return queryset.none()
    if connection.vendor == "postgresql":
        rank = f"ts_rank({POSTGRES_COLUMN}, to_tsquery('{POSTGRES_CONFIG}', %s))"
        return queryset.annotate(rank=RawSQL(rank, [tsquery(query, every)], FloatField())).order_by("-rank", "key")
    weights = ", ".join(str(weight) for weight in FTS5_WEIGHTS)
    # The FTS table joined once (bm25 computed once per match), not a ranking subquery per row: at
    # 100,000 sources a broad term took 12 s that way, 0.1 s this way. Django's ORM cannot join a
    # virtual table, hence extra(). bm25() is lower for better matches: negated, higher is better.
    ranked = queryset.extra(
        select={"rank": f"-bm25({FTS_TABLE}, {weights})"},
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = evidence_source.id", f"{FTS_TABLE} MATCH %s"],
        params=[fts5_query(query, every)],
    )
    return ranked.order_by("-rank", "key")


def fts5_query(query: Query | str, every: bool = True) -> str:
    """An understood query as an FTS5 query: each group's alternatives or-ed, groups and-ed (or or-ed).

    Every alternative becomes a quoted FTS5 string of plain words, so user input can never be read as FTS5
    syntax; a term of several words (a phrase, or "7-hydroxymitragynine") must match as adjacent words.
    """
    query = understand(query) if isinstance(query, str) else query
    if not query:
        return ""
    groups = [
        "(" + " OR ".join(f'"{" ".join(phrase)}"' for phrase in group.alternatives) + ")" for group in query.groups
    ]
    joined = " AND ".join(groups) if every else "(" + " OR ".join(groups) + ")"
    return joined + "".join(f' NOT "{" ".join(phrase)}"' for phrase in query.excluded)


def tsquery(query: Query, every: bool = True) -> str:
    """The same as a PostgreSQL tsquery text. Each word is quoted and made of letters and digits only, so
    nothing typed can be read as tsquery syntax; PostgreSQL stems each word and drops stopwords."""

    def phrase_text(phrase: tuple[str, ...]) -> str:
        return " <-> ".join(f"'{word}'" for word in phrase)

    groups = ["(" + " | ".join(phrase_text(p) for p in group.alternatives) + ")" for group in query.groups]
    joined = " & ".join(groups) if every else "(" + " | ".join(groups) + ")"
    return joined + "".join(f" & !({phrase_text(phrase)})" for phrase in query.excluded)


def matched_sql(query: Query, ranked: bool) -> tuple[str, list[str]]:
    """The every-word match as one SELECT of (id, key, rank), for a statement that reads it several times
    (evidence/listing.py). `ranked=False` leaves the rank at 0, saving its computation for every match."""
    weights = ", ".join(str(weight) for weight in FTS5_WEIGHTS)
    if connection.vendor == "postgresql":
        condition = f"{POSTGRES_COLUMN} @@ to_tsquery('{POSTGRES_CONFIG}', %s)"
        rank = f"ts_rank({POSTGRES_COLUMN}, to_tsquery('{POSTGRES_CONFIG}', %s))" if ranked else "0"
        params = [tsquery(query)] * (2 if ranked else 1)
        return f"SELECT id, key, {rank} AS rank FROM evidence_source WHERE {condition}", params
    rank = f"-bm25({FTS_TABLE}, {weights})" if ranked else "0"
    sql = (
        f"SELECT source.id AS id, source.key AS key, {rank} AS rank FROM {FTS_TABLE} "
        f"JOIN evidence_source AS source ON source.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH %s"
    )
    return sql, [fts5_query(query)]
