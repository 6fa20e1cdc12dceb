"""A new statement that says what a statement of another article already says, and its evidence reused.

Two statements are "the same" when their content words (stemmed, stopwords left out) overlap by at least
SIMILARITY (Jaccard). Only statements with evidence links are proposed: they are what a curator can reuse.
Copying makes draft links, which count for nothing until a curator reviews them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from evidence.models import Claim, Evidence
from evidence.reports import assess_claim
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
    """Statements of other articles saying the same, most similar first (three queries, and one per match)."""
    mine = content_stems(claim.text)
    if not mine:
        return []
    others = Claim.objects.exclude(article_id=claim.article_id).filter(pk__in=Evidence.objects.values("claim"))
    scored = sorted(
        ((similarity(mine, content_stems(text)), pk) for pk, text in others.values_list("pk", "text")),
        reverse=True,
    )
    best = {pk: score for score, pk in scored[:limit] if score >= SIMILARITY}
    found = []
    for other in Claim.objects.for_review().filter(pk__in=best):
        number = Claim.objects.filter(article_id=other.article_id, start__lt=other.start).count() + 1
        found.append(SameStatement(other, number, best[other.pk], assess_claim(other).status))
    return sorted(found, key=lambda same: -same.similarity)


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
