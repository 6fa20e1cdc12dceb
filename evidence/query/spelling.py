"""Spelling correction: a query word that matches nothing is replaced by the nearest indexed word.

"Nearest" is the smallest edit distance between stems (letters inserted, deleted, replaced or swapped),
at most 1 for words of up to five letters and 2 for longer ones; ties go to the word more sources use.
The candidates are the words of the index itself (SQLite: the FTS5 vocabulary table; PostgreSQL: a table of
the search vectors' lexemes, rebuilt when the data change, pre-selected by pg_trgm similarity through its
trigram index) and every word of the lexicon. A word
the lexicon knows (a synonym, a lay word) is never "corrected", even if no source uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.http import QueryDict

from evidence import search

from .parse import parse
from .thesaurus import Lexicon, lexicon, understand
from .words import stem

MIN_LENGTH = 4  # shorter words are too often abbreviations to guess at
TRIGRAM_THRESHOLD = 0.3  # pg_trgm's default similarity threshold, which its `%` operator uses
POSTGRES_VOCABULARY = "evidence_search_vocabulary"  # migration 0017
VOCABULARY_LOCK = 7_318_204_611  # any number no other advisory lock of the database uses


@dataclass(frozen=True)
class Correction:
    original: str
    corrected: str  # the query with each misspelt word replaced
    replaced: dict[str, str]  # misspelt word -> its correction


def correct(q: str, known: Lexicon | None = None) -> Correction | None:
    if not q:
        return None
    known = known if known is not None else lexicon()
    # Only a word the lexicon did not expand, alone in its group: "damage" in "liver damage" is part of a
    # known phrase, and a quoted phrase is meant as typed.
    suspects = [
        word
        for group in understand(q, known).groups
        if not group.expanded and len(group.typed) == 1 and len(group.typed[0]) == 1
        for word in group.typed[0]
        if len(word) >= MIN_LENGTH and word.isalpha() and word in _bare_words(q)
    ]
    unknown = _unmatched(list(dict.fromkeys(suspects)))
    if not unknown:
        return None
    surface = _surface_forms(known)
    replaced = {}
    for word, candidates in _candidates(unknown).items():
        best = _nearest(word, candidates, surface)
        if best:
            replaced[word] = best
    if not replaced:
        return None
    corrected = " ".join(_replace(token, replaced) for token in q.split())
    return Correction(q, corrected, replaced)


def search_instead_url(data: QueryDict, correction: Correction) -> str:
    """The same search with the query as typed, never corrected."""
    params = data.copy()
    params.pop("page", None)
    params["q"] = correction.original
    params["verbatim"] = "1"
    return "?" + params.urlencode()


def _replace(token: str, replaced: dict[str, str]) -> str:
    bare = token.lstrip("-").lower()
    return token[: len(token) - len(token.lstrip("-"))] + replaced[bare] if bare in replaced else token


def _bare_words(q: str) -> set[str]:
    return {term.words[0] for term in parse(q) if len(term.words) == 1 and not term.quoted and not term.negated}


def _surface_forms(known: Lexicon) -> dict[str, list[str]]:
    """stem -> the readable words with that stem, to show "depression" rather than "depress"."""
    forms: dict[str, list[str]] = {}
    for word in sorted(known.surface_words):
        if word.isalpha():
            forms.setdefault(stem(word), []).append(word)
    return forms


def _unmatched(words: list[str]) -> list[str]:
    """The words no source contains (one query)."""
    if not words:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT word FROM unnest(%s::text[]) AS word WHERE NOT EXISTS (SELECT 1 FROM evidence_source "
                f"WHERE {search.POSTGRES_COLUMN} @@ to_tsquery('{search.POSTGRES_CONFIG}', quote_literal(word)))",
                [words],
            )
            return [row[0] for row in cursor.fetchall()]
        stems = {word: _porter(word) for word in words}
        placeholders = ", ".join(["%s"] * len(stems))
        cursor.execute(f"SELECT term FROM {search.FTS_VOCABULARY} WHERE term IN ({placeholders})", list(stems.values()))
        present = {row[0] for row in cursor.fetchall()}
    return [word for word in words if stems[word] not in present]


def _candidates(words: list[str]) -> dict[str, list[tuple[str, int]]]:
    """For each word, indexed stems that may be its correction, with how many sources use them (one query)."""
    found: dict[str, list[tuple[str, int]]] = {word: [] for word in words}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            fresh_vocabulary()
            # `%%` is pg_trgm's similarity operator (threshold 0.3, TRIGRAM_THRESHOLD), answered by the index.
            cursor.execute(
                f"SELECT typed, word, ndoc FROM unnest(%s::text[]) AS typed "
                f"JOIN {POSTGRES_VOCABULARY} ON word %% typed WHERE similarity(word, typed) >= %s",
                [[stem(word) for word in words], TRIGRAM_THRESHOLD],
            )
            by_stem = {stem(word): word for word in words}
            for typed, candidate, count in cursor.fetchall():
                found[by_stem[typed]].append((candidate, count))
            return found
        # Edits rarely touch both of the first two letters: only stems sharing one of them are read.
        conditions = " OR ".join(["substr(term, 1, 1) = %s OR substr(term, 2, 1) = %s"] * len(words))
        params = [letter for word in words for letter in (word[0], word[1])]
        cursor.execute(f"SELECT term, doc FROM {search.FTS_VOCABULARY} WHERE {conditions}", params)
        rows = cursor.fetchall()
    for word in words:
        found[word] = [(term, count) for term, count in rows if abs(len(term) - len(word)) <= 3]
    return found


def fresh_vocabulary() -> None:
    """PostgreSQL: rebuild the vocabulary table from the search vectors (`ts_stat`, a second at 100,000
    sources) when the data have changed since it was built, once per data version, not once per misspelt
    search. Under a transaction-scoped advisory lock, so that two workers never rebuild it together."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT n, vocabulary_at FROM evidence_dataversion WHERE id = 1")
        row = cursor.fetchone()
        if row is not None and row[0] == row[1]:
            return
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [VOCABULARY_LOCK])
        cursor.execute("SELECT n, vocabulary_at FROM evidence_dataversion WHERE id = 1")
        row = cursor.fetchone()
        if row is not None and row[0] == row[1]:
            return  # another worker rebuilt it while this one waited
        cursor.execute(f"DELETE FROM {POSTGRES_VOCABULARY}")
        cursor.execute(
            f"INSERT INTO {POSTGRES_VOCABULARY} (word, ndoc) "
            f"SELECT word, ndoc FROM ts_stat('SELECT {search.POSTGRES_COLUMN} FROM evidence_source')"
        )
        # Marked with the version it was read at: a write committed meanwhile raises n again, and the next
        # correction rebuilds. Without the row (a freshly emptied database) it is rebuilt every time.
        cursor.execute("UPDATE evidence_dataversion SET vocabulary_at = %s WHERE id = 1", [row[0] if row else None])


def _nearest(word: str, candidates: list[tuple[str, int]], surface: dict[str, list[str]]) -> str | None:
    """The correction of `word`: the indexed stem (or lexicon word) nearest to it, shown as a word."""
    target = stem(word)
    limit = 1 if len(word) <= 5 else 2
    scored = []
    for candidate, count in candidates:  # stems, compared with the typed word's stem
        distance = edit_distance(target, candidate, limit)
        if 0 < distance <= limit:
            scored.append((distance, -count, candidate))
    for forms in surface.values():  # words, compared with the word as typed
        for form in forms:
            distance = edit_distance(word, form, limit)
            if 0 < distance <= limit:
                scored.append((distance, 0, form))
    if not scored:
        return None
    best = min(scored)[2]
    if any(best in forms for forms in surface.values()):
        return best
    # A stem is shown as the word closest to what was typed among the lexicon's words with that stem, or as
    # the stem with the typed word's ending put back.
    forms = surface.get(best, [])
    return (
        min(forms, key=lambda form: (edit_distance(word, form, len(word) + len(form)), len(form)))
        if forms
        else _regrow(best, word)
    )


def _regrow(candidate_stem: str, typed: str) -> str:
    """A stem shown as a word: the typed word's own ending put back ("depres" + "ion" for "depresion")."""
    typed_stem = stem(typed)
    return candidate_stem + typed[len(typed_stem) :] if typed.startswith(typed_stem) else candidate_stem


def _porter(word: str) -> str:
    """The stem SQLite's FTS5 porter tokenizer indexes for a word."""
    from snowballstemmer import stemmer

    return stemmer("porter").stemWord(word.lower())


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two adjacent letters counts 1), or limit + 1 if larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
