"""When every word finds less than a page: the sources that match some of the words, best first.

They keep every other filter in force, and never repeat a source of the every-word list; the page shows
them under a line that says they match only some of the words.
"""

from __future__ import annotations

from evidence import search
from evidence.filters import SourceFilter, SourceSearch
from evidence.models import Source


def some_words(found: SourceSearch, limit: int, every_word: list[int] | None = None) -> list[Source]:
    """`every_word`: the ids of every source matching every word, when known (fewer than a page: the page
    read them), so that the search is not matched again to leave them out."""
    q = found.data.get("q", "")
    if not found.searching or not found.valid or len(found.understood.groups) < 2:
        return []  # with a single term, "some of the words" is the same search
    others = found.data.copy()
    for name in ("q", "page"):
        others.pop(name, None)
    candidates = SourceFilter(others, queryset=search.search(Source.objects.public(), q, every=False)).qs
    candidates = candidates.exclude(pk__in=found.matches.values("pk") if every_word is None else every_word)
    return list(search.by_relevance(candidates, q, every=False)[:limit])
