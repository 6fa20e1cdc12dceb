"""Checking a text without storing it: its statements, each with candidate sources and the curated
statements of the same wording with their status (computed by `reports`, as on every page).

Candidates come from `suggestions.suggest_sources` for now; a better statement matcher can take its place
without changing what callers receive.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import reports
from .models import Claim, Source
from .segmentation import Span, statements
from .suggestions import suggest_sources

MAX_STATEMENTS = 200  # a long text is checked up to here; the caller is told how many were left
CANDIDATES = 3


@dataclass(frozen=True)
class CheckedStatement:
    span: Span
    candidates: list[Source]
    curated: list[reports.Statement]


@dataclass(frozen=True)
class Check:
    statements: list[CheckedStatement]
    unchecked: int  # statements past MAX_STATEMENTS


def check_text(text: str) -> Check:
    spans = statements(text)
    checked = spans[:MAX_STATEMENTS]
    curated: dict[str, list[reports.Statement]] = {}
    same_wording = Claim.objects.for_review().filter(text__in={span.text for span in checked})
    for statement in reports.statements_of(same_wording):
        curated.setdefault(statement.claim.text, []).append(statement)
    public = Source.objects.public()
    return Check(
        [
            CheckedStatement(span, suggest_sources(span.text, public, CANDIDATES), curated.get(span.text, []))
            for span in checked
        ],
        len(spans) - len(checked),
    )
