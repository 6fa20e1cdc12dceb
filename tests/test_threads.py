"""What a worker's threads share (gunicorn --threads, runserver) must be safe to use from all of them at once.
Found under load: the search's stemmer, shared by every thread of a worker, gave wrong stems and IndexErrors
when two threads stemmed at the same time, and a search answered 500."""

import sys
import threading

import snowballstemmer

from evidence.query import words

VOCABULARY = ["hydroxymitragynine", "withdrawals", "dependence", "analgesia", "injuries", "opioids", "tolerance"]


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

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns as often as they can: the interleaving the bug needs
    try:
        threads = [threading.Thread(target=stem_many) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switching)
    assert wrong == [] and errors == []
