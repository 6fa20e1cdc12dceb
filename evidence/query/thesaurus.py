"""Query expansion: each term of a parsed query searched with its synonyms.

Three sources of synonyms, read into one lexicon (typed term -> terms searched as well):
- the compounds' names and synonyms (Compound.synonyms, curated in the admin): any name finds all;
- the shipped thesaurus, evidence/data/thesaurus.json: a concept's preferred and entry terms are searched
  whenever a query names any of them or one of its lay words (lay words themselves are only read);
- curators' thesaurus entries (ThesaurusEntry, in the admin): a term and the synonyms searched with it.

Expansion is one step (a synonym's own synonyms are not followed), so a cycle in the entries cannot loop,
and its size is bounded (MAX_GROUPS terms, MAX_ALTERNATIVES each). The lexicon is read from the database at
most once a minute per process, and at once after a curator edits a compound or an entry in this process.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from .parse import Term, parse
from .words import STOPWORDS, is_stopword_phrase, key, stem, words

THESAURUS_FILE = Path(__file__).resolve().parent.parent / "data" / "thesaurus.json"
MAX_GROUPS = 16
MAX_ALTERNATIVES = 24
MAX_KEY_WORDS = 6
LEXICON_TTL = 60.0  # seconds

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """One term of the query (or several joined by `or`): a source matches it if it has any alternative."""

    typed: tuple[Phrase, ...]
    alternatives: tuple[Phrase, ...]

    @property
    def expanded(self) -> bool:
        return len(self.alternatives) > len(self.typed)


@dataclass(frozen=True)
class Query:
    groups: tuple[Group, ...]
    excluded: tuple[Phrase, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def searched_stems(self) -> frozenset[str]:
        """The stems of every word searched for: what the results page highlights."""
        return frozenset(
            stem(word)
            for group in self.groups
            for phrase in group.alternatives
            for word in phrase
            if word not in STOPWORDS
        )


@dataclass
class Lexicon:
    expansions: dict[Phrase, list[Phrase]] = field(default_factory=dict)  # key(term) -> phrases searched

    def add(self, typed: str, searched: list[str]) -> None:
        phrases = self.expansions.setdefault(key(typed), [])
        for text in searched:
            phrase = words(text)
            if phrase and phrase not in phrases:
                phrases.append(phrase)

    def lookup(self, typed_key: Phrase) -> list[Phrase]:
        return self.expansions.get(typed_key, [])

    @property
    def surface_words(self) -> set[str]:
        """Every word the lexicon can search for: spelling corrections may be made to one of them."""
        return {word for phrases in self.expansions.values() for phrase in phrases for word in phrase}


def is_searchable_synonym(name: str) -> bool:
    """Short letter-only abbreviations ("MG") are read in queries but not searched for: "MG" is mg/kg in text."""
    return not (len(name) <= 2 and name.isalpha())


def shipped_concepts(path: Path = THESAURUS_FILE) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["concepts"]


def build_lexicon(concepts: list[dict], compounds: list[tuple[str, str, list[str]]], entries: list[tuple[str, str]]):
    """concepts from the shipped file; compounds as (slug, name, synonyms); entries as (term, synonyms text)."""
    lexicon = Lexicon()
    for concept in concepts:
        searched = [concept["preferred"], *concept["entry"]]
        for typed in [*searched, *concept["lay"]]:
            lexicon.add(typed, searched)
    for slug, name, synonyms in compounds:
        names = [slug.replace("-", " ") if slug.isalpha() else slug, *synonyms]
        if "/" not in name:  # "Kratom leaf / product" describes, it is not a name anyone types
            names.insert(0, name)
        searched = [n for n in names if is_searchable_synonym(n)]
        for typed in names:
            lexicon.add(typed, searched)
    for term, synonyms in entries:
        lexicon.add(term, [term, *(line.strip() for line in synonyms.splitlines() if line.strip())])
    return lexicon


_cache: dict = {"lexicon": None, "loaded_at": 0.0}


def lexicon() -> Lexicon:
    if _cache["lexicon"] is None or time.monotonic() - _cache["loaded_at"] > LEXICON_TTL:
        from evidence.models import Compound, ThesaurusEntry

        compounds = [(c.slug, c.name, c.synonym_list) for c in Compound.objects.all()]
        entries = list(ThesaurusEntry.objects.values_list("term", "synonyms"))
        _cache["lexicon"] = build_lexicon(shipped_concepts(), compounds, entries)
        _cache["loaded_at"] = time.monotonic()
    return _cache["lexicon"]


def forget_lexicon() -> None:
    """Read the lexicon afresh at the next search (a compound or a thesaurus entry changed)."""
    _cache["lexicon"] = None


def understand(q: str, known: Lexicon | None = None) -> Query:
    """q parsed and each term expanded; runs of plain words are matched to the longest thesaurus phrase."""
    terms = parse(q)
    if not terms:
        return Query(())
    known = known if known is not None else lexicon()
    groups: list[list[Phrase]] = []  # alternatives of each group, typed first
    typed: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    position = 0
    while position < len(terms):
        term = terms[position]
        if term.negated:
            excluded.append(term.words)
            position += 1
            continue
        span, expansions = _longest_match(terms, position, known)
        phrase = tuple(word for t in terms[position : position + span] for word in t.words)
        position += span
        if not expansions and is_stopword_phrase(phrase) and not term.quoted:
            continue  # "the", "in": ignored, as PostgreSQL ignores them
        # A stopword is never searched for on its own ("who" finds no source, PostgreSQL drops it).
        alternatives = [phrase, *(e for e in expansions if e != phrase and not is_stopword_phrase(e))]
        if term.after_or and groups:
            typed[-1].append(phrase)
            groups[-1].extend(a for a in alternatives if a not in groups[-1])
        else:
            typed.append([phrase])
            groups.append(alternatives)
    return Query(
        tuple(
            Group(tuple(t), tuple(alternatives[:MAX_ALTERNATIVES]))
            for t, alternatives in zip(typed[:MAX_GROUPS], groups[:MAX_GROUPS], strict=True)
        ),
        tuple(excluded[:MAX_GROUPS]),
    )


def _longest_match(terms: list[Term], start: int, known: Lexicon) -> tuple[int, list[Phrase]]:
    """How many terms from `start` form the longest phrase the lexicon knows, and its expansions.

    A phrase spans plain terms only: a quoted phrase, an exclusion or an `or` ends it. A quoted phrase is
    searched as typed, never expanded: quotes are how a reader asks for exactly those words.
    """
    if terms[start].quoted:
        return 1, []
    end = start + 1
    while end < len(terms) and end - start < MAX_KEY_WORDS and _plain(terms[end]):
        end += 1
    if not _plain(terms[start]):
        end = start + 1
    for stop in range(end, start, -1):
        text = " ".join(t.text for t in terms[start:stop])
        found = known.lookup(key(text))
        if found:
            return stop - start, found
    return 1, []


def _plain(term: Term) -> bool:
    return not (term.quoted or term.negated or term.after_or)
