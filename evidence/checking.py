"""Checking a text without storing it: its statements, each matched against the evidence base as a statement's
page matches an unsupported one, so that the API says what the page says.

- Candidate sources: evidence matching (`evidence.query.matching.candidates`, what `with_candidates` gives the
  claim page and `flag_article`), only those clearing its coverage threshold: "Not yet reviewed: N candidate
  sources" or "No evidence found in the base".
- Curated statements saying the same (`evidence.query.same`, the claim page's "Same as statement N of …"),
  each with its status computed by `reports`, as on every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import reports
from .query import matching, same
from .segmentation import Span, statements

MAX_STATEMENTS = 200  # a long text is checked up to here; the caller is told how many were left


@dataclass(frozen=True)
class CheckedStatement:
    span: Span
    candidates: list[matching.Candidate]
    same: list[same.SameStatement]

    @property
    def candidates_line(self) -> str:
        """The claim page's line for an unreviewed statement's candidates."""
        return reports.candidates_line(tuple(candidate.source.key for candidate in self.candidates))


@dataclass(frozen=True)
class Check:
    statements: list[CheckedStatement]
    unchecked: int  # statements past MAX_STATEMENTS


def check_text(text: str) -> Check:
    """Two queries per statement for its candidates, and a fixed number for the curated statements of all."""
    spans = statements(text)
    checked = spans[:MAX_STATEMENTS]
    saying = same.statements_saying([span.text for span in checked])
    return Check(
        [
            CheckedStatement(span, matching.candidates(span.text), found)
            for span, found in zip(checked, saying, strict=True)
        ],
        len(spans) - len(checked),
    )
