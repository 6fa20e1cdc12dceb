"""What a worker's threads share (gunicorn --threads, runserver) must be safe to use from all of them at once.
Found under load: the search's stemmer, shared by every thread of a worker, gave wrong stems and IndexErrors
when two threads stemmed at the same time, and a search answered 500. Found on a second read: a parsed
citation style, shared the same way, took the output format of whichever thread rendered last."""

import sys
import threading

import snowballstemmer

from evidence.bibliography.formatted import TRIAL_RECORD, format_references
from evidence.query import words

VOCABULARY = ["hydroxymitragynine", "withdrawals", "dependence", "analgesia", "injuries", "opioids", "tolerance"]


def at_once(work, threads: int = 8) -> None:
    """`work` run by several threads that take turns as often as they can: the interleaving a race needs."""
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        running = [threading.Thread(target=work) for _ in range(threads)]
        for thread in running:
            thread.start()
        for thread in running:
            thread.join()
    finally:
        sys.setswitchinterval(switching)


def test_threads_formatting_references_at_once_get_what_one_thread_gets():
    # A synthetic record (formatted.TRIAL_RECORD); HTML for a page, text for a download, at the same moment.
    expected = {output: format_references([TRIAL_RECORD], "apa", output) for output in ("html", "text")}
    assert "<i>" in expected["html"][0] and "<i>" not in expected["text"][0]
    wrong = []

    def format_many() -> None:
        for _ in range(20):
            for output in ("html", "text"):
                got = format_references([TRIAL_RECORD], "apa", output)
                if got != expected[output]:
                    wrong.append((output, got))

    at_once(format_many, threads=4)
    assert wrong == []


def test_threads_stemming_at_once_get_the_stems_one_thread_gets():
    expected = {word: snowballstemmer.stemmer("english").stemWord(word) for word in VOCABULARY}
    wrong, errors = [], []

    def stem_many() -> None:
        for word in VOCABULARY * 100:
            try:
                got = words.stem.__wrapped__(word)  # past the memo, to the stemmer itself
            except Exception as error:  # noqa: BLE001 (any error is the finding)
                errors.append(repr(error))
            else:
                if got != expected[word]:
                    wrong.append((word, got))

    at_once(stem_many)
    assert wrong == [] and errors == []
