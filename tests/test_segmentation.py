"""Article text -> statement spans, and re-anchoring quotes in corrected text."""

import json

import pytest
from django.conf import settings

from evidence.segmentation import is_heading, reanchor, sentences, statements


def texts(text):
    return [span.text for span in statements(text)]


def test_the_seed_article_segments_into_exactly_the_curated_statements():
    text = (settings.SHARED_DATA_DIR / "seed-article.txt").read_text(encoding="utf-8")
    curated = json.loads((settings.SHARED_DATA_DIR / "seed-claims.json").read_text(encoding="utf-8"))
    assert [(s.start, s.end) for s in statements(text)] == [(c["start"], c["end"]) for c in curated]


def test_every_span_is_exact():
    text = "  First one.  Second one!\n\nIs the third one here?  "
    for span in statements(text):
        assert text[span.start : span.end] == span.text
    assert texts(text) == ["First one.", "Second one!", "Is the third one here?"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Use a scale, e.g. a kitchen scale. Then weigh.", ["Use a scale, e.g. a kitchen scale.", "Then weigh."]),
        ("Dr. Smith agreed. The U.S. FDA did not.", ["Dr. Smith agreed.", "The U.S. FDA did not."]),
        ("Take 1.5 g at most. Wait 2.5 hours.", ["Take 1.5 g at most.", "Wait 2.5 hours."]),
        ("See Kruegel et al. 2016 for details.", ["See Kruegel et al. 2016 for details."]),
        ("A. C. Kruegel wrote it. It was cited.", ["A. C. Kruegel wrote it.", "It was cited."]),
        ("“Go slow,” she said. “Really.” He agreed.", ["“Go slow,” she said.", "“Really.”", "He agreed."]),
        ("It works (in mice). Humans differ.", ["It works (in mice).", "Humans differ."]),
        (
            "Pain, anxiety, etc. Kratom is used for many things.",
            ["Pain, anxiety, etc.", "Kratom is used for many things."],
        ),
        ("It is sold online... sometimes mislabelled.", ["It is sold online... sometimes mislabelled."]),
        ("Is it safe? Nobody knows!", ["Is it safe?", "Nobody knows!"]),
        ("The dose was 2 g/day. 7-OH levels rose.", ["The dose was 2 g/day.", "7-OH levels rose."]),
    ],
)
def test_sentence_boundaries(text, expected):
    assert texts(text) == expected


def test_headings_are_not_statements_but_list_items_are():
    text = (
        "Kratom for Pain\n"
        "- What is Kratom and How Does it Work?\n"
        "- Kratom is sold as powder.\n"
        "1. Start low. Go slow.\n"
        "What should you ask your doctor?\n"
        "Safety First\n"
    )
    assert texts(text) == ["Kratom is sold as powder.", "Start low.", "Go slow.", "What should you ask your doctor?"]


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("The Pros and Cons of Using Kratom for Management", True),
        ("What is Kratom and How Does it Work for Chronic Pain?", True),
        ("Does kratom relieve pain in people who take it daily?", False),
        ("Kratom is a plant.", False),
        ("Benefits include:", False),
        (" ".join(["word"] * 25), False),
    ],
)
def test_heading_detection(line, heading):
    assert is_heading(line) is heading


def test_windows_line_endings_are_handled():
    text = "Title Line\r\nFirst sentence. Second sentence.\r\n"
    assert texts(text) == ["First sentence.", "Second sentence."]
    assert all(text[s.start : s.end] == s.text for s in statements(text))


def test_sentences_of_one_paragraph():
    assert sentences("One. Two.") == [(0, 4), (5, 9)]
    assert sentences("No final stop") == [(0, 13)]


def test_reanchoring_moves_keeps_and_loses():
    old = "Kratom is a plant. It grows in Asia. It is sold online."
    new = "Intro added. Kratom is a plant. It is sold online in the U.S."
    result = reanchor(new, [(1, "Kratom is a plant.", 0), (2, "It grows in Asia.", 19), (3, "It is sold online", 37)])
    assert result.spans == {1: (13, 31), 3: (32, 49)}
    assert result.lost == [2]
    assert old.index("It grows") == 19


def test_reanchoring_prefers_the_occurrence_nearest_the_old_place():
    text = "Yes. Kratom helps. No. Kratom helps."
    assert reanchor(text, [(1, "Kratom helps.", 22)]).spans == {1: (23, 36)}
    assert reanchor(text, [(1, "Kratom helps.", 3)]).spans == {1: (5, 18)}
