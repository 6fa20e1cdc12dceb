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
    query = understand(text)
    groups = [group for group in query.groups if _content(group)]
    if not groups:
        return []
    ranked = search.by_relevance(Source.objects.public(), Query(tuple(groups)), every=False)
    retrieved = list(ranked.only("pk", "key", "year", *SCORED_FIELDS)[:RETRIEVED])  # year: /check/ shows it
    if not retrieved:
        return []
    weights = _rarity(groups)
    total = sum(weights)
    scored = []
    for source in retrieved:
        stems = _stems(" ".join(getattr(source, field) for field in SCORED_FIELDS))
        matched = [weight for group, weight in zip(groups, weights, strict=True) if _matches(group, stems)]
        # One shared word is a coincidence, not a topic: a candidate shares at least MIN_TERMS of the terms.
        if len(matched) >= min(MIN_TERMS, len(groups)):
            scored.append(Candidate(source, sum(matched) / total if total else 0.0))
    kept = [c for c in scored if c.coverage >= THRESHOLD]
    return sorted(kept, key=lambda c: (-c.coverage, c.source.key))[:limit]


def _content(group: Group) -> bool:
    return any(word not in STOPWORDS for phrase in group.typed for word in phrase)


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in words(text))


def _matches(group: Group, stems: tuple[str, ...]) -> bool:
    joined = " " + " ".join(stems) + " "
    return any(f" {' '.join(stem(w) for w in phrase)} " in joined for phrase in group.alternatives)


def _rarity(groups: list[Group]) -> list[float]:
    """log(N / df) for each group, df counted by the engine in one query."""
    selects, params = [], []
    for group in groups:
        one = Query((group,))
        if connection.vendor == "postgresql":
            selects.append(
                f"(SELECT count(*) FROM evidence_source WHERE {search.POSTGRES_COLUMN} "
                f"@@ to_tsquery('{search.POSTGRES_CONFIG}', %s))"
            )
            params.append(search.tsquery(one))
        else:
            selects.append(f"(SELECT count(*) FROM {search.FTS_TABLE} WHERE {search.FTS_TABLE} MATCH %s)")
            params.append(search.fts5_query(one))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT count(*) FROM evidence_source), {', '.join(selects)}", params)
        total, *frequencies = cursor.fetchone()
    known = sorted(math.log((total + 1) / frequency) for frequency in frequencies if frequency)
    # A term no source uses ("attention", "quokka") weighs as much as a typical known term: weighing it most
    # would sink every statement with ordinary words; weighing it nothing would let one common word match all.
    typical = known[len(known) // 2] if known else 0.0
    return [math.log((total + 1) / frequency) if frequency else typical for frequency in frequencies]


def with_candidates(report: ArticleReport) -> ArticleReport:
    """The report with candidates proposed for each unsupported statement (two queries each), never counted."""
    statements = []
    for statement in report.statements:
        if statement.status is Status.UNSUPPORTED:
            linked = {evidence.source_id for evidence in statement.evidence}
            found = [
                c.source.key for c in candidates(statement.claim.text, SHOWN + len(linked)) if c.source.pk not in linked
            ]
            statement = replace(statement, candidates=tuple(found[:SHOWN]))
        statements.append(statement)
    return ArticleReport(report.article, statements)
