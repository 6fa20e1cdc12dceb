"""Article text in, statement spans out; and re-anchoring claims when the text is corrected. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

LIST_MARKER = re.compile(r"[-*•–]\s+|\d{1,3}[.)]\s+")
# A sentence ends at . ! or ? (possibly repeated), then any closing quotes or brackets, then white space.
SENTENCE_END = re.compile(r"[.!?]+[\"'”’»)\]]*(?=\s)")
# What may open the next sentence: a capital, a digit, or an opening quote or bracket.
SENTENCE_START = re.compile(r"\s+[\"'“‘«(\[]*[A-Z0-9À-ÖØ-Þ]")
# Words whose period does not end a sentence. "etc." is left out on purpose: it usually does.
ABBREVIATIONS = frozenset(
    "e.g. i.e. vs. cf. al. dr. mr. mrs. ms. prof. st. no. nos. fig. figs. approx. ca. inc. ltd. jr. sr. "
    "u.s. u.k. e.u. u.n. a.m. p.m. vol. vols. p. pp. ed. eds. min. max. mg. ml. kg. ref. refs. dept. univ.".split()
)
INITIAL = re.compile(r"^[A-Z]\.$")
HEADING_MAX_WORDS = 20


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def statements(text: str) -> list[Span]:
    """Every sentence of the text with its exact offsets; headings are skipped, list items kept."""
    spans = []
    for line_start, line in _lines(text):
        body_start = line_start + _leading(line)
        body = text[body_start : line_start + len(line.rstrip())]
        marker = LIST_MARKER.match(body)
        if marker:
            body_start += marker.end()
            body = body[marker.end() :]
        if not body or is_heading(body):
            continue
        spans += [Span(body_start + start, body_start + end, body[start:end]) for start, end in sentences(body)]
    return spans


def _lines(text: str) -> Iterable[tuple[int, str]]:
    position = 0
    for line in text.split("\n"):
        yield position, line
        position += len(line) + 1


def _leading(line: str) -> int:
    return len(line) - len(line.lstrip())


def is_heading(line: str) -> bool:
    """A short line without a sentence's final stop, or a question in Title Case, is a heading."""
    words = line.split()
    if len(words) > HEADING_MAX_WORDS:
        return False
    stripped = line.rstrip("\"'”’»)] ")
    if stripped.endswith((".", "!", ":", ";")):
        return False
    if stripped.endswith("?"):
        long_words = [word for word in words if len(word.strip("?\"'“”‘’")) > 3]
        capitalised = sum(word.lstrip("\"'“‘(")[:1].isupper() for word in long_words)
        return bool(long_words) and capitalised / len(long_words) >= 0.6
    return True


def sentences(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in one paragraph, white space excluded."""
    bounds = []
    start = _leading(paragraph)
    for match in SENTENCE_END.finditer(paragraph):
        if match.end() <= start or not _ends_sentence(paragraph, match):
            continue
        bounds.append((start, match.end()))
        start = match.end() + _leading(paragraph[match.end() :])
    end = len(paragraph.rstrip())
    if start < end:
        bounds.append((start, end))
    return bounds


def _ends_sentence(paragraph: str, match: re.Match) -> bool:
    if not SENTENCE_START.match(paragraph, match.end()):
        return False
    if paragraph[match.start()] != ".":
        return True
    word = paragraph[: match.start() + 1].split()[-1].lstrip("\"'“‘([")
    return word.lower() not in ABBREVIATIONS and not INITIAL.match(word)


@dataclass(frozen=True)
class Anchoring:
    """Where each claim's quote stands in corrected text: moved or unchanged spans, and those lost."""

    spans: dict[int, tuple[int, int]]
    lost: list[int]


def reanchor(new_text: str, claims: Iterable[tuple[int, str, int | None]]) -> Anchoring:
    """Find each (claim id, quoted text, old start) in the new text: the occurrence nearest its old place."""
    spans, lost = {}, []
    for claim_id, quote, old_start in claims:
        occurrences = _occurrences(new_text, quote)
        if not occurrences:
            lost.append(claim_id)
            continue
        start = min(occurrences, key=lambda offset: abs(offset - (old_start or 0)))
        spans[claim_id] = (start, start + len(quote))
    return Anchoring(spans, lost)


def _occurrences(text: str, quote: str) -> list[int]:
    found, position = [], text.find(quote) if quote else -1
    while position != -1:
        found.append(position)
        position = text.find(quote, position + 1)
    return found
