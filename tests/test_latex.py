"""The LaTeX encoder's fast path (a per-character table) writes exactly what pylatexenc writes for a whole value."""

import re
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings

from evidence.bibliography import latex
from evidence.bibliography.formats import parse
from evidence.bibliography.importer import tidy_record


def reads_back(char: str) -> bool:
    return latex._decoder.latex_to_text(latex._encoder.unicode_to_latex(char)).strip() == char


def encode_whole(value: str) -> str:
    return latex._encoder.unicode_to_latex(value)


def pylatexenc_whole_value(value: str) -> str:
    """What encode_latex wrote before the fast path: our escapes, then pylatexenc over each stretch of the
    value -- except the characters whose LaTeX does not read back as themselves (− as -), kept as UTF-8,
    and typed pairs (--, ``, '') parted by {} so that they do not become a dash or quotes."""
    escaped = "".join(latex.LATEX_SPECIALS.get(char, char) for char in value)
    if any(unicodedata.combining(char) for char in value):  # an accent and its letter go whole
        return latex.LIGATURE.sub(r"\1{}", latex._encoder.unicode_to_latex(escaped))
    stretches = re.split(r"(.)", escaped)
    written = "".join(
        part
        if len(part) == 1 and not part.isascii() and not reads_back(part)
        else latex._encoder.unicode_to_latex(part)
        for part in stretches
    )
    return latex.LIGATURE.sub(r"\1{}", written)


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


def test_bibtex_braces_exactly_the_words_that_keep_their_case():
    from evidence.bibliography.bibtex import protect_case

    assert protect_case("Kratom use") == "Kratom use"
    assert protect_case("DNA repair in McCurdy's 3D models") == "{DNA} repair in {McCurdy's} {3D} models"
    assert protect_case("Studies of Mitragyna speciosa in Malaysia") == "Studies of {Mitragyna speciosa} in {Malaysia}"
    assert protect_case("x86 and ARM, a_b") == "{x86} and {ARM}, a\\_b"
    assert protect_case("ÉCOLE x") == "{{\\'E}COLE} x"
