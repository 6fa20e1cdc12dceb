"""How good the search is on a judged development set: nDCG@10, recall@10 and queries finding nothing.

The set (tests/data/search_dev_set.json) holds realistic queries with graded relevance judgments over the
demo sources (3 = about exactly this, 2 = substantially relevant, 1 = marginally relevant, unlisted = 0).
The ranking judged is the sources page's own, in the order a reader sees it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

CUTOFF = 10
PAGE_SIZE = 25  # the sources page lists the some-words matches when every word finds fewer
DEV_SET = Path(settings.BASE_DIR) / "tests" / "data" / "search_dev_set.json"


@dataclass(frozen=True)
class QueryScore:
    query: str
    ndcg: float
    recall: float
    found: int  # how many sources the search returned (all of them, not only the first ten)
    missed: list[str]  # relevant sources not among the first ten


@dataclass(frozen=True)
class Quality:
    scores: list[QueryScore]

    @property
    def ndcg(self) -> float:
        return sum(score.ndcg for score in self.scores) / len(self.scores)

    @property
    def recall(self) -> float:
        return sum(score.recall for score in self.scores) / len(self.scores)

    @property
    def zero_results(self) -> int:
        return sum(1 for score in self.scores if score.found == 0)

    def as_dict(self) -> dict:
        return {
            "queries": len(self.scores),
            f"ndcg@{CUTOFF}": round(self.ndcg, 3),
            f"recall@{CUTOFF}": round(self.recall, 3),
            "zero_results": self.zero_results,
            "per_query": [
                {
                    "query": s.query,
                    "ndcg": round(s.ndcg, 3),
                    "recall": round(s.recall, 3),
                    "found": s.found,
                    "missed": s.missed,
                }
                for s in self.scores
            ],
        }


def load_dev_set(path: Path = DEV_SET) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["queries"]


def ndcg(ranked: list[str], judged: dict[str, int], cutoff: int = CUTOFF) -> float:
    """Normalised discounted cumulative gain, with the exponential gain 2^grade - 1."""

    def dcg(grades: list[int]) -> float:
        return sum((2**grade - 1) / math.log2(position + 2) for position, grade in enumerate(grades[:cutoff]))

    ideal = dcg(sorted(judged.values(), reverse=True))
    return dcg([judged.get(key, 0) for key in ranked]) / ideal if ideal else 0.0


def recall(ranked: list[str], judged: dict[str, int], cutoff: int = CUTOFF) -> float:
    relevant = {key for key, grade in judged.items() if grade > 0}
    return len(relevant & set(ranked[:cutoff])) / len(relevant) if relevant else 0.0


def measure(rank: Callable[[str], list[str]], dev_set: list[dict]) -> Quality:
    """Score `rank` (query -> every source key it finds, best first) on the development set."""
    scores = []
    for case in dev_set:
        ranked = rank(case["query"])
        judged = case["relevant"]
        top = set(ranked[:CUTOFF])
        missed = sorted(key for key, grade in judged.items() if grade > 0 and key not in top)
        scores.append(QueryScore(case["query"], ndcg(ranked, judged), recall(ranked, judged), len(ranked), missed))
    return Quality(scores)


def page_ranking(q: str) -> list[str]:
    """The keys of every source the sources page lists for `q`, in the page's order."""
    from django.http import QueryDict

    from evidence.filters import find_sources

    from .fallback import some_words

    data = QueryDict(mutable=True)
    data["q"] = q
    found = find_sources(data)
    every = list(found.results.values_list("key", flat=True))
    return every + [source.key for source in some_words(found, PAGE_SIZE)] if len(every) < PAGE_SIZE else every


@dataclass(frozen=True)
class MatchingQuality:
    linked: int  # statements with a curated link
    hits: int  # ... of which a curated source is among the candidates shown (at most five)
    unlinked: int  # statements without one
    correctly_empty: int  # ... of which no candidate is shown: "no evidence found in the base"

    def as_dict(self) -> dict:
        return {
            "linked_statements": self.linked,
            "hit@5": round(self.hits / self.linked, 3) if self.linked else None,
            "unlinked_statements": self.unlinked,
            "no_evidence_found_correct": self.correctly_empty,
        }


def statement_matching(claims) -> MatchingQuality:
    """Score evidence matching on statements whose curated links are the truth (the seed article's)."""
    from .matching import candidates

    linked = hits = unlinked = empty = 0
    for claim in claims:
        truth = {evidence.source.key for evidence in claim.evidence.all()}
        shown = {candidate.source.key for candidate in candidates(claim.text)}
        if truth:
            linked += 1
            hits += bool(truth & shown)
        else:
            unlinked += 1
            empty += not shown
    return MatchingQuality(linked, hits, unlinked, empty)
