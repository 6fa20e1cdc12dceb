"""A search box's text read once, in web-search syntax: words, "quoted phrases", `or` between terms, -word.

The parse is pure (no database): evidence.query.thesaurus expands what it returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .words import words

MAX_QUERY_LENGTH = 500
# An optional minus, then a "quoted phrase" (its closing quote optional) or a run of non-space characters.
SEARCH_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True)
class Term:
    text: str  # as typed, without quotes or minus
    words: tuple[str, ...]
    quoted: bool = False
    negated: bool = False
    after_or: bool = False  # joined to the term before it by `or`


def clean_query(q: str) -> str:
    """What a search box sends, made safe: no NUL bytes (PostgreSQL refuses them), bounded length."""
    return q.replace("\x00", " ").strip()[:MAX_QUERY_LENGTH]


def parse(q: str) -> list[Term]:
    terms: list[Term] = []
    after_or = False
    for match in SEARCH_TERM.finditer(clean_query(q)):
        minus, phrase, bare = match.groups()
        if phrase is None and bare.lower() == "or":
            after_or = bool(terms)
            continue
        text = phrase if phrase is not None else bare
        found = words(text)
        if not found:
            continue
        terms.append(Term(text, found, quoted=phrase is not None, negated=bool(minus), after_or=after_or))
        after_or = False
    return terms
