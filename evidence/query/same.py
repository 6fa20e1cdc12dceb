"""A new statement that says what a statement of another article already says, and its evidence reused.

Two statements are "the same" when their content words (stemmed, stopwords left out) overlap by at least
SIMILARITY (Jaccard). Only statements with evidence links are proposed: they are what a curator can reuse.
Copying makes draft links, which count for nothing until a curator reviews them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

from evidence.models import Claim, Evidence
from evidence.reports import statements_of
from evidence.support import Status
from evidence.vocabularies import CurationStatus

from .words import STOPWORDS, stem, words

SIMILARITY = 0.6
SHOWN = 3


@dataclass(frozen=True)
class SameStatement:
    claim: Claim
    number: int  # its place in its own article, counted from 1
    similarity: float
    status: Status


def content_stems(text: str) -> frozenset[str]:
    return frozenset(stem(word) for word in words(text) if word not in STOPWORDS and not word.isdigit())


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def same_statements(claim: Claim, limit: int = SHOWN) -> list[SameStatement]:
    """Statements of other articles saying the same, most similar first (a fixed number of queries)."""
    return statements_saying([claim.text], Claim.objects.exclude(article_id=claim.article_id), limit)[0]


def statements_saying(
    texts: list[str], among: QuerySet[Claim] | None = None, limit: int = SHOWN
) -> list[list[SameStatement]]:
    """For each text, the statements with evidence (of `among`, all by default) saying the same, most similar
    first: the linked statements are read once for all the texts, the matches assessed together."""
    mine = [content_stems(text) for text in texts]
    linked = (among if among is not None else Claim.objects.all()).filter(pk__in=Evidence.objects.values("claim"))
    theirs = {pk: content_stems(text) for pk, text in linked.values_list("pk", "text")} if any(mine) else {}
    best = [_most_similar(stems, theirs, limit) for stems in mine]
    chosen = set().union(*best)
    found = {s.claim.pk: s for s in statements_of(Claim.objects.for_review().filter(pk__in=chosen))} if chosen else {}
    return [
        sorted(
            (SameStatement(found[pk].claim, found[pk].number, score, found[pk].status) for pk, score in scores.items()),
            key=lambda same: -same.similarity,
        )
        for scores in best
    ]


def _most_similar(mine: frozenset[str], theirs: dict[int, frozenset[str]], limit: int) -> dict[int, float]:
    """The `limit` most similar statements (the later one first on a tie) that reach SIMILARITY."""
    if not mine:
        return {}
    scored = sorted(((similarity(mine, stems), pk) for pk, stems in theirs.items()), reverse=True)
    return {pk: score for score, pk in scored[:limit] if score >= SIMILARITY}


def copy_links_as_drafts(original: Claim, target: Claim, user) -> int:
    """Copy `original`'s evidence links to `target` as drafts (sources it already has are skipped)."""
    taken = set(target.evidence.values_list("source_id", flat=True))
    copied = 0
    with transaction.atomic():
        for link in original.evidence.all():
            if link.source_id in taken:
                continue
            # Saved one by one, not in bulk: each copy gets its history row, as an edit in the admin would.
            Evidence.objects.create(
                claim=target,
                source_id=link.source_id,
                stance=link.stance,
                finding=link.finding,
                locator=link.locator,
                quote=link.quote,
                curation_status=CurationStatus.DRAFT,
                added_by=user,
            )
            copied += 1
    return copied
