"""Words as the search sees them: tokens, stopwords and stems, the same for queries and the thesaurus."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

# Letters and digits only: "_" and punctuation separate words, as in both databases' tokenizers.
WORD = re.compile(r"[^\W_]+", re.UNICODE)
APOSTROPHES = re.compile(r"['’]")
MAX_WORD_LENGTH = 64  # longer "words" are noise (or an attack) and are not searched for
# PostgreSQL's English stopword list (the words its full-text search ignores); SQLite's FTS5 ignores none,
# so the query drops them itself and both databases then look for the same words.
STOPWORDS = frozenset(
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers "
    "herself it its itself they them their theirs themselves what which who whom this that these those am is "
    "are was were be been being have has had having do does did doing a an the and but if or because as until "
    "while of at by for with about against between into through during before after above below to from up "
    "down in out on off over under again further then once here there when where why how all any both each few "
    "more most other some such no nor not only own same so than too very s t can will just don should now".split()
)
# A stemmer keeps the word it is stemming in itself: shared by a worker's threads (gunicorn --threads,
# runserver), two at once gave each other's stems and IndexErrors (a 500 under load). One per thread.
_stemmers = threading.local()


def words(text: str) -> tuple[str, ...]:
    """The lower-case words of a text, as searched for ("7-OH" is two words, "can't" is "can" and "t")."""
    return tuple(word for word in WORD.findall(text.lower()) if len(word) <= MAX_WORD_LENGTH)


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    if not hasattr(_stemmers, "english"):
        _stemmers.english = snowballstemmer.stemmer("english")
    return _stemmers.english.stemWord(word)


def key(text: str) -> tuple[str, ...]:
    """How a typed term is looked up in the thesaurus: stemmed words, apostrophes dropped ("can't" = "cant")."""
    return tuple(stem(word) for word in words(APOSTROPHES.sub("", text)))


def is_stopword_phrase(phrase: tuple[str, ...]) -> bool:
    return all(word in STOPWORDS for word in phrase)
