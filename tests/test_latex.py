"""The LaTeX encoder's fast path (a per-character table) writes exactly what pylatexenc writes for a whole value."""

from pathlib import Path

import pytest
from django.conf import settings

from evidence.bibliography import latex
from evidence.bibliography.formats import parse
from evidence.bibliography.importer import tidy_record


def pylatexenc_whole_value(value: str) -> str:
    """What encode_latex wrote before the fast path: our escapes, then pylatexenc over the whole value."""
    escaped = "".join(latex.LATEX_SPECIALS.get(char, char) for char in value)
    return latex._encoder.unicode_to_latex(escaped)


BLOCKS = [(0x00A0, 0x0250), (0x0370, 0x0400), (0x0400, 0x0460), (0x1E00, 0x1F00), (0x2000, 0x2070), (0x2190, 0x2200)]
CHARACTERS = [chr(code) for start, end in BLOCKS for code in range(start, end)]


@pytest.mark.parametrize("start", range(0, len(CHARACTERS), 64))
def test_every_character_of_the_common_blocks_alone_and_between_letters(start):
    for char in CHARACTERS[start : start + 64]:
        for value in (char, f"a{char}b", f"{char} {char}", f"{{{char}}}_%"):
            assert latex.encode_latex(value) == pylatexenc_whole_value(value), repr(value)


def test_combining_accents_still_go_through_pylatexenc_whole():
    for value in ("Me\u0301ndez", "Ve\u030cra Nova\u0301", "n\u0303 & o\u0308"):
        assert latex.encode_latex(value) == pylatexenc_whole_value(value)


def real_world_values(non_ascii_only: bool = True) -> list[str]:
    values = []
    for path in sorted(Path(settings.SHARED_DATA_DIR).glob("realworld*/**/*")):
        if path.is_file():
            try:
                records = parse(path.read_bytes()).records
            except ValueError:
                continue  # a file refused as a whole (tested in test_realworld_files)
            for record in records:
                tidy_record(record)
                values += [record.title, record.container_title, record.abstract, record.publisher]
                values += [part for name in record.authors for part in (name.family, name.given)]
    return [value for value in values if value and not (non_ascii_only and value.isascii())]


def test_every_non_ascii_value_of_the_real_world_files():
    values = real_world_values()
    assert len(values) > 1000  # the files hold thousands of accented names and titles
    mismatches = [value for value in values if latex.encode_latex(value) != pylatexenc_whole_value(value)]
    assert mismatches == []


def pylatexenc_decode_whole(value: str) -> str:
    """What decode_latex gave before the fast path: pylatexenc over the whole value."""
    return latex._decoder.latex_to_text(latex.BARE_PERCENT.sub(r"\\%", value)).strip()


def raw_bibtex_values() -> list[str]:
    """Every field value, still LaTeX, of every real-world BibTeX file."""
    import bibtexparser

    values = []
    for path in sorted(Path(settings.SHARED_DATA_DIR).glob("realworld*/**/*.bib")):
        library = bibtexparser.parse_string(path.read_bytes().decode("utf-8", errors="replace"))
        values += [field.value for entry in library.entries for field in entry.fields if isinstance(field.value, str)]
    return [value for value in values if latex.LATEX_MARKUP.search(value) and len(value) < 20_000]


def test_decoding_every_marked_up_value_of_the_real_world_files_matches_pylatexenc_whole():
    values = raw_bibtex_values()
    fast = [value for value in values if not latex.OTHER_MARKUP.search(latex.SIMPLE_MARKUP.sub("", value))]
    assert len(values) > 5000 and len(fast) > 2000  # most marked-up values take the fast path
    mismatches, kept = [], 0
    for value in values:
        try:
            expected = pylatexenc_decode_whole(value)
        except RecursionError:
            continue
        changes = []
        decoded = latex.decode_latex(value, changes)
        if changes:  # a command pylatexenc would drop is kept as text on purpose (tests/test_hostile_input.py)
            kept += 1
        elif decoded != expected:
            mismatches.append(value)
    assert mismatches == []
    assert kept < 0.1 * len(values)  # TUGboat's own macros (\acro, \MF, \TUB …), mostly


def test_what_we_encode_decodes_back_through_the_fast_path():
    for char in CHARACTERS:
        value = f"Tit{char}le & 50% {{x}} -- {char}"
        encoded = latex.encode_latex(value)
        changes = []
        decoded = latex.decode_latex(encoded, changes)
        if changes:  # pylatexenc writes U+0149 as \nument{149}, which it reads back as "149": kept as text
            assert char == "\u0149" and changes == ["unknown LaTeX command `\\nument` kept as text"]
        else:
            assert decoded == pylatexenc_decode_whole(encoded), repr(value)


def test_the_quick_case_test_never_skips_a_title_that_needs_protection():
    from evidence.bibliography import bibtex

    def protected_in_full(title: str) -> str:
        return bibtex.CASE_PROTECTED.sub(
            lambda m: "{" + m.group(1) + "}" if bibtex._needs_protection(m.group(1)) else m.group(1), title
        )

    titles = real_world_values(non_ascii_only=False) + [
        "Kratom use",
        "DNA repair",
        "McCurdy and 7-OH",
        "3D models",
        "A 2020 survey",
        "iPhone users",
        "ÉCOLE x",
        "Studies of Mitragyna speciosa",
        "x86 and ARM",
        "a_b C_d",
    ]
    encoded = [latex.encode_latex(title) for title in titles]
    assert [bibtex._protect_case(title) for title in encoded] == [protected_in_full(title) for title in encoded]
