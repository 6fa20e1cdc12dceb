"""Title case rules: which words keep their capitals in every style, and APA-style sentence case.

Titles are stored as the source gives them (often Title Case). Formatted references get sentence case
made here, with the words that must keep their capitals protected; CSL processors get those words in
`<span class="nocase">` (so a title-case style cannot change them either) and BibTeX gets them braced.

A word keeps its capitals when it is
- on the list in data/proper_nouns.txt (taxa, places, peoples, organisations, months), written there
  as it must appear: in sentence case "mitragyna speciosa" becomes "Mitragyna speciosa" (exports
  keep the source's spelling, braced or in a nocase span);
- an acronym or a word with a capital after its first letter or with a digit (DEA, U.S., McCurdy,
  mRNA, CYP2D6, 7-OH), or the pronoun / numeral "I";
- the first word of the title, or the first word after a colon, question mark or full stop.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

PROPER_NOUNS_FILE = Path(__file__).with_name("data") / "proper_nouns.txt"
# A word: letters and digits, with inner apostrophes, dots (U.S.) and hyphens (opioid-like).
WORD = re.compile(r"[^\W_][\w'’.-]*")  # trailing punctuation is cut off in _words
WORD_TAIL = "'’.-"
# Whether a title may hold a word that keeps its case: an inner capital, a digit or "I" (else only a
# listed name can, which pieces() checks first).
MAY_KEEP_CASE = re.compile(r"\B[^\W\d_a-z]|\d|\bI\b|\w\.[^\W\d_a-z]")
SENTENCE_BREAK = re.compile(r"^[\"”’')\]]*\s*[:?!.—]\s*[\"“‘'(\[]*$")
# A full stop after these (or after an initial, or inside U.S.) ends no sentence.
# (Korth. and L. are botanical authorities: Mitragyna speciosa Korth.)
ABBREVIATIONS = {"vs", "al", "cf", "etc", "approx", "e.g", "i.e", "no", "vol", "st", "dr", "korth"}
# Below this share of capitalised words, a title is already in sentence case and its capitals are
# taken to be names ("Ramathibodi Poison Center"): only title-case titles are lowered.
TITLE_CASE_SHARE = 0.6
MIN_WORD_FOR_CASE_VOTE = 3  # and no small word: "of", "and", "the", "with" are lower case in title case too
# Words a title-case title leaves in lower case (so a lower-case word after a capital is no species).
SMALL_WORDS = set(
    "a an and as at but by down for from in into nor of off on onto or over per so than the till to up upon via "
    "vs with within without yet among about after before between during through under".split()
)
NOCASE_START, NOCASE_END = '<span class="nocase">', "</span>"


@lru_cache(maxsize=1)
def proper_nouns() -> tuple[str, ...]:
    lines = PROPER_NOUNS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def _terms_by_first_word() -> dict[str, tuple[str, ...]]:
    terms: dict[str, list[str]] = {}
    for term in proper_nouns():
        terms.setdefault(LETTERS.findall(term.lower())[0], []).append(term)
    return {word: tuple(found) for word, found in terms.items()}


@lru_cache(maxsize=4096)
def _pattern_of(terms: tuple[str, ...]) -> re.Pattern:
    """One pattern for the listed names a title may hold, longest first ("Mitragyna speciosa" before
    "Mitragyna"); a pattern of the whole list is ~0.3 ms a title, these a few microseconds."""
    alternation = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-]|-\w)", re.IGNORECASE)


@lru_cache(maxsize=1)
def _canonical() -> dict[str, str]:
    return {term.lower(): term for term in proper_nouns()}


HAS_DIGIT = re.compile(r"\d")
LETTERS = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=65_536)
def keeps_its_case(word: str) -> bool:
    """An acronym, a word with an inner capital or a digit, or "I"."""
    rest = word[1:]
    return word == "I" or rest != rest.lower() or HAS_DIGIT.search(word) is not None


class Piece(NamedTuple):
    text: str
    name: bool  # on the proper-noun list
    word: bool
    canonical: str = ""  # a name as the list writes it
    # A name, or a word with a part that keeps its case (7-OH, US-based): no style may change it.
    keeps_case: bool = False


def _listed_terms(title: str) -> tuple[str, ...]:
    """The listed names whose first word the title has (a superset of those it holds)."""
    by_first = _terms_by_first_word()
    words = set(LETTERS.findall(title.lower()))
    return tuple(term for word in sorted(words & by_first.keys()) for term in by_first[word])


def may_keep_case(title: str) -> bool:
    """False when no word of the title can keep its case (most titles in sentence case): no need to cut it."""
    return bool(MAY_KEEP_CASE.search(title)) or bool(_listed_terms(title))


def protected_spans(title: str) -> list[tuple[int, int]]:
    """(start, end) of each listed name and each word that keeps its case, in order: what pieces() marks,
    found without cutting the whole title (exports write every title; this is their fast path)."""
    if not may_keep_case(title):
        return []
    terms = _listed_terms(title)
    names = [match.span() for match in _pattern_of(terms).finditer(title)] if terms else []
    words = []
    if MAY_KEEP_CASE.search(title):
        for match in WORD.finditer(title):
            word = match.group().rstrip(WORD_TAIL)
            if any(keeps_its_case(part) for part in word.split("-")):
                words.append((match.start(), match.start() + len(word)))
    if not names:
        return words
    inside = [(start, end) for start, end in words if not any(a <= start < b for a, b in names)]
    return sorted(names + inside)


def pieces(title: str) -> list[Piece]:
    """The title cut into protected names, other words and the text between them."""
    terms = _listed_terms(title)
    if not terms:
        return _words(title)
    canonical = _canonical()
    result: list[Piece] = []
    position = 0
    for match in _pattern_of(terms).finditer(title):
        result += _words(title[position : match.start()])
        result.append(Piece(match.group(), True, True, canonical[match.group().lower()], True))
        position = match.end()
    return result + _words(title[position:])


def _words(text: str) -> list[Piece]:
    result, position = [], 0
    for match in WORD.finditer(text):
        if match.start() > position:
            result.append(Piece(text[position : match.start()], False, False))
        word = match.group().rstrip(WORD_TAIL)
        result.append(Piece(word, False, True, "", any(keeps_its_case(part) for part in word.split("-"))))
        position = match.start() + len(word)
    if position < len(text):
        result.append(Piece(text[position:], False, False))
    return result


def is_title_case(title: str) -> bool:
    votes = [
        piece.text[0].isupper()
        for index, piece in enumerate(pieces(title))
        if piece.word
        and not piece.keeps_case
        and len(piece.text) >= MIN_WORD_FOR_CASE_VOTE
        and piece.text.lower() not in SMALL_WORDS
        and index > 0
    ]
    return bool(votes) and sum(votes) >= TITLE_CASE_SHARE * len(votes)


def sentence_case(title: str) -> str:
    """APA 7 sentence case: lower case except the first word, the first after a colon, and what keeps
    its capitals (above). A title already in sentence case keeps its capitals (they are names)."""
    return "".join(text for text, _ in _cased_pieces(title))


def nocase_markup(title: str, escape: Callable[[str], str] = str, *, to_sentence_case: bool = False) -> str:
    """The title for a CSL processor: words that keep their capitals in nocase spans, the rest escaped.
    A span takes in the whole run of non-spaces around it ("(WHO)", "Organization's"): citeproc-py's
    title case re-joins the words of each span with spaces, which would write "( WHO )"."""
    if not to_sentence_case:
        text, kept = title, protected_spans(title)
        if not kept:
            return escape(title)
    else:
        text, kept = "", []
        for piece, keep in _cased_pieces(title):
            if keep:
                kept.append((len(text), len(text) + len(piece)))
            text += piece
    runs: list[list[int]] = []
    for start, end in kept:
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        if runs and (start <= runs[-1][1] or text[runs[-1][1] : start].isspace()):
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    out, position = [], 0
    for start, end in runs:
        out += [escape(text[position:start]), NOCASE_START, escape(text[start:end]), NOCASE_END]
        position = end
    return "".join([*out, escape(text[position:])])


def _cased_pieces(title: str, *, to_sentence_case: bool = True):
    """(text, keeps its case) for each piece of the title, in sentence case when asked."""
    lower = to_sentence_case and is_title_case(title)
    cut = pieces(title)
    genera = _genera(cut) if lower else set()
    before, previous = "", None
    for index, piece in enumerate(cut):
        if not piece.word:
            before += piece.text
            yield piece.text, False
            continue
        starts_sentence = previous is None or _ends_sentence(previous, before)
        before, previous = "", piece.text
        text = piece.text
        if piece.name:  # formatted references write it as the list does; exports keep the source's form
            yield (piece.canonical if to_sentence_case else text), True
            continue
        if lower and index not in genera:
            parts = text.split("-")
            # At a sentence's start the first part with letters keeps its capital (7-Hydroxy…, Self-…).
            first = next((i for i, part in enumerate(parts) if not part.isdigit()), 0) if starts_sentence else -1
            text = "-".join(part if i == first else _lowered(part) for i, part in enumerate(parts))
        if starts_sentence and to_sentence_case:
            text = text[:1].upper() + text[1:]
        yield text, piece.keeps_case


def _genera(cut: list[Piece]) -> set[int]:
    """In a title-case title, a capitalised word followed by a lower-case word that is not a small word
    is a genus and its species ("Tyrannosaurus rex"): the genus keeps its capital."""
    words = [(index, piece) for index, piece in enumerate(cut) if piece.word]
    found = set()
    for (index, piece), (next_index, following) in itertools.pairwise(words):
        between = "".join(p.text for p in cut[index + 1 : next_index])
        if (
            between == " "
            and piece.text[:1].isupper()
            and piece.text[1:].islower()
            and following.text.isalpha()
            and following.text.islower()
            and len(following.text) > 2
            and following.text not in SMALL_WORDS
        ):
            found.add(index)
    return found


def _ends_sentence(previous_word: str, between: str) -> bool:
    if not SENTENCE_BREAK.search(between):
        return False
    full_stop = "." in between and not any(char in between for char in ":?!—")
    abbreviated = "." in previous_word or len(previous_word) == 1 or previous_word.lower() in ABBREVIATIONS
    return not (full_stop and abbreviated)


def _lowered(word: str) -> str:
    return word if keeps_its_case(word) else word.lower()


def strip_nocase(text: str) -> str:
    """A CSL title as text: nocase spans (ours and Zotero's) removed, their content kept."""
    return NOCASE_SPAN.sub(r"\1", text)


NOCASE_SPAN = re.compile(r'<span class="nocase">(.*?)</span>', re.IGNORECASE | re.DOTALL)
