"""Candidate sources for a claim, ranked by how much of the claim's wording their records share.

PostgreSQL ranks with its own full-text search (ts_rank over weighted title, keywords, abstract and
summary). SQLite has no such ranking, so the same weights are applied here in Python, with a light
stemmer and inverse document frequency standing in for PostgreSQL's dictionary. Suggestions are only
ever shown: a curator links one with a click, nothing is linked automatically.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from functools import reduce

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import QuerySet

from .models import Source

LIMIT = 5
# PostgreSQL's default weights for the A, B and C ranks of a search vector.
FIELD_WEIGHTS = {"title": 1.0, "keywords": 0.4, "abstract": 0.2, "summary": 0.2}
FIELD_RANKS = {"title": "A", "keywords": "B", "abstract": "C", "summary": "C"}
WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
PLAIN_WORD = re.compile(r"[a-z0-9]+")  # safe inside a raw tsquery
STOPWORDS = frozenset(
    "a an and are as at be been but by can could do does for from has have how in into is it its may more "
    "most much not of on or than that the their them these this those to was were what when which while "
    "who will with without would also other such its it's your you our we they".split()
)


def terms(text: str) -> list[str]:
    """Content words, lightly stemmed: `receptors` and `receptor` match, `the` is ignored."""
    return [stem(word) for word in WORD.findall(text.lower()) if word not in STOPWORDS and len(word) > 2]


def stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def suggest_sources(text: str, candidates: QuerySet[Source], limit: int = LIMIT) -> list[Source]:
    if not terms(text):
        return []
    if connection.vendor == "postgresql":
        return _postgres_ranking(text, candidates, limit)
    return _portable_ranking(text, candidates, limit)


def _postgres_ranking(text: str, candidates: QuerySet[Source], limit: int) -> list[Source]:
    vector = reduce(
        operator.add, (SearchVector(field, weight=rank, config="english") for field, rank in FIELD_RANKS.items())
    )
    # Any one of the claim's words may match; ts_rank then prefers records sharing more, in heavier fields.
    words = sorted({word for word in PLAIN_WORD.findall(text.lower()) if word not in STOPWORDS and len(word) > 2})
    query = SearchQuery(" | ".join(words), search_type="raw", config="english")
    ranked = candidates.annotate(rank=SearchRank(vector, query)).filter(rank__gt=0).order_by("-rank", "key")
    return list(ranked[:limit])


def _portable_ranking(text: str, candidates: QuerySet[Source], limit: int) -> list[Source]:
    query = set(terms(text))
    rows = list(candidates.values_list("pk", "key", *FIELD_WEIGHTS))
    keys = {row[0]: row[1] for row in rows}
    documents = {
        row[0]: {field: Counter(terms(value)) for field, value in zip(FIELD_WEIGHTS, row[2:], strict=True)}
        for row in rows
    }
    document_frequency = Counter(
        term for fields in documents.values() for term in set().union(*fields.values()) if term in query
    )
    scores = {}
    for pk, fields in documents.items():
        score = sum(
            FIELD_WEIGHTS[field] * (1 + math.log(counts[term])) * math.log(1 + len(rows) / document_frequency[term])
            for field, counts in fields.items()
            for term in query
            if counts[term]
        )
        if score > 0:
            scores[pk] = score
    best = sorted(scores, key=lambda pk: (-scores[pk], keys[pk]))[:limit]
    by_pk = Source.objects.in_bulk(best)
    return [by_pk[pk] for pk in best]
