"""Evidence matching: the sources a statement may bear on, from the search engine, or none.

A statement is understood like a query (its terms expanded with synonyms), the sources matching any term
are read in the engine's rank order (at most RETRIEVED), and each is scored by how much of the statement
it covers: the share of the statement's terms it contains, each term weighted by its rarity in the base
(inverse document frequency), so that "kratom" counts little and "hepatotoxicity" much. A candidate is
shown only when its coverage reaches THRESHOLD, calibrated on the seed article (`search_quality
--statements`); a statement with none says "no evidence found in the base". Candidates are only ever
shown: nothing is linked or counted without a curator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from django.db import connection

from evidence import search
from evidence.models import Source
from evidence.reports import ArticleReport
from evidence.support import Status

from .thesaurus import Group, Query, understand
from .words import STOPWORDS, stem, words

RETRIEVED = 30
SHOWN = 5
# Chosen on the seed article (docs/flagging.md): the lowest coverage that keeps every statement without a
# curated link free of candidates while finding a curated source in the top five for most linked ones.
THRESHOLD = 0.15
MIN_TERMS = 2
SCORED_FIELDS = ("title", "summary", "keywords", "abstract", "linked_terms")


@dataclass(frozen=True)
class Candidate:
    source: Source
    coverage: float


def candidates(text: str, limit: int = SHOWN) -> list[Candidate]:
    """The sources most likely to bear on `text`, best first, each clearing THRESHOLD (two queries)."""
    return candidates_of_texts([text], limit)[0]


def candidates_of_texts(texts: list[str], limit: int = SHOWN) -> list[list[Candidate]]:
    """`candidates()` of each text, all in two queries whatever their number: the rarity of every term of
    every text in one, each text's RETRIEVED best-ranked sources in the other (the review page of an article
    of many unsupported statements)."""
    queries = [[group for group in understand(text).groups if _content(group)] for text in texts]
    searched = [index for index, groups in enumerate(queries) if groups]
    if not searched:
        return [[] for _ in texts]
    total, frequencies = _frequencies([group for groups in queries for group in groups])
    retrieved = _retrieved({index: Query(tuple(queries[index])) for index in searched})
    return [
        _scored(groups, _rarity([frequencies[group] for group in groups], total), retrieved.get(index, []))[:limit]
        for index, groups in enumerate(queries)
    ]


def _scored(groups: list[Group], weights: list[float], retrieved: list[Source]) -> list[Candidate]:
    """The retrieved sources that clear THRESHOLD, by the share of the (weighted) terms each covers."""
    total = sum(weights)
    scored = []
    for source in retrieved:
        stems = _stems(" ".join(getattr(source, field) for field in SCORED_FIELDS))
        matched = [weight for group, weight in zip(groups, weights, strict=True) if _matches(group, stems)]
        # One shared word is a coincidence, not a topic: a candidate shares at least MIN_TERMS of the terms.
        if len(matched) >= min(MIN_TERMS, len(groups)):
            scored.append(Candidate(source, sum(matched) / total if total else 0.0))
    kept = [c for c in scored if c.coverage >= THRESHOLD]
    return sorted(kept, key=lambda c: (-c.coverage, c.source.key))


def _retrieved(queries: dict[int, Query]) -> dict[int, list[Source]]:
    """For each numbered query (its terms or-ed), the RETRIEVED public sources the engine ranks first, ties
    by key (PostgreSQL: by `ts_rank_cd`, which ranks evidence for a statement better than the sources list's
    `ts_rank`, docs/browsing.md): one query for all of them."""
    public, public_params = Source.objects.public().values("pk").query.sql_with_params()
    columns = ", ".join(f"s.{name}" for name in ("id", "key", "year", *SCORED_FIELDS))  # year: /check/ shows it
    rows = ", ".join(["(%s, %s)"] * len(queries))
    if connection.vendor == "postgresql":
        values = [value for n, query in queries.items() for value in (n, search.tsquery(query, every=False))]
        sql = (
            f"SELECT q.n AS n, r.* FROM (VALUES {rows}) AS q(n, terms) CROSS JOIN LATERAL ("
            f"SELECT {columns} FROM evidence_source s WHERE s.{search.POSTGRES_COLUMN} @@ "
            f"to_tsquery('{search.POSTGRES_CONFIG}', q.terms) AND s.id IN ({public}) ORDER BY "
            f"ts_rank_cd(s.{search.POSTGRES_COLUMN}, to_tsquery('{search.POSTGRES_CONFIG}', q.terms)) DESC, s.key "
            f"LIMIT {RETRIEVED}) AS r ORDER BY q.n"
        )
    else:
        values = [value for n, query in queries.items() for value in (n, search.fts5_query(query, every=False))]
        weights = ", ".join(str(weight) for weight in search.FTS5_WEIGHTS)
        fts = search.FTS_TABLE
        sql = (
            f"WITH q(n, terms) AS (VALUES {rows}) SELECT * FROM (SELECT q.n AS n, {columns}, ROW_NUMBER() OVER "
            f"(PARTITION BY q.n ORDER BY bm25({fts}, {weights}), s.key) AS place FROM q JOIN {fts} ON {fts} "
            f"MATCH q.terms JOIN evidence_source s ON s.id = {fts}.rowid WHERE s.id IN ({public})) "
            f"WHERE place <= {RETRIEVED} ORDER BY n, place"
        )
    found: dict[int, list[Source]] = {}
    for source in Source.objects.raw(sql, [*values, *public_params]):
        found.setdefault(source.n, []).append(source)
    return found


def _content(group: Group) -> bool:
    return any(word not in STOPWORDS for phrase in group.typed for word in phrase)


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in words(text))


def _matches(group: Group, stems: tuple[str, ...]) -> bool:
    joined = " " + " ".join(stems) + " "
    return any(f" {' '.join(stem(w) for w in phrase)} " in joined for phrase in group.alternatives)


def _frequencies(groups: list[Group]) -> tuple[int, dict[Group, int]]:
    """The number of sources, and how many sources match each group, counted by the engine: one query for
    any number of groups."""
    distinct = list(dict.fromkeys(groups))
    rows = ", ".join(["(%s, %s)"] * len(distinct))
    if connection.vendor == "postgresql":
        values = [v for n, group in enumerate(distinct) for v in (n, search.tsquery(Query((group,))))]
        sql = (
            f"SELECT q.n, (SELECT count(*) FROM evidence_source WHERE {search.POSTGRES_COLUMN} "
            f"@@ to_tsquery('{search.POSTGRES_CONFIG}', q.terms)) FROM (VALUES {rows}) AS q(n, terms)"
        )
    else:
        values = [v for n, group in enumerate(distinct) for v in (n, search.fts5_query(Query((group,))))]
        sql = (
            f"WITH q(n, terms) AS (VALUES {rows}) SELECT q.n, (SELECT count(*) FROM {search.FTS_TABLE} "
            f"WHERE {search.FTS_TABLE} MATCH q.terms) FROM q"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} UNION ALL SELECT -1, count(*) FROM evidence_source", values)
        counted = dict(cursor.fetchall())
    return counted.pop(-1), {group: counted[n] for n, group in enumerate(distinct)}


def _rarity(frequencies: list[int], total: int) -> list[float]:
    """log(N / df) for each of a statement's groups."""
    known = sorted(math.log((total + 1) / frequency) for frequency in frequencies if frequency)
    # A term no source uses ("attention", "quokka") weighs as much as a typical known term: weighing it most
    # would sink every statement with ordinary words; weighing it nothing would let one common word match all.
    typical = known[len(known) // 2] if known else 0.0
    return [math.log((total + 1) / frequency) if frequency else typical for frequency in frequencies]


def with_candidates(report: ArticleReport) -> ArticleReport:
    """The report with candidates proposed for each unsupported statement, never counted: two queries for all
    of them (`candidates_of_texts`)."""
    unsupported = [s for s in report.statements if s.status is Status.UNSUPPORTED]
    if not unsupported:
        return report
    linked = [{evidence.source_id for evidence in s.evidence} for s in unsupported]
    found = candidates_of_texts([s.claim.text for s in unsupported], SHOWN + max(map(len, linked)))
    proposed = {
        s.claim.pk: tuple([c.source.key for c in candidates if c.source.pk not in sources][:SHOWN])
        for s, sources, candidates in zip(unsupported, linked, found, strict=True)
    }
    statements = [
        replace(s, candidates=proposed[s.claim.pk]) if s.claim.pk in proposed else s for s in report.statements
    ]
    return ArticleReport(report.article, statements)
