"""LaTeX in BibTeX field values <-> Unicode text.

Most fields are plain text, and pylatexenc's full decoder and encoder are ~40x slower than parsing and
writing (../shared/notes/facts.md): plain values pass untouched, and the common markup goes through
tables filled from pylatexenc once per token or character; only the rest goes to pylatexenc whole.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.latexencode import UnicodeToLatexEncoder

# Characters or sequences that make a value LaTeX rather than plain text.
# (`` and '' are LaTeX's quotes: left undecoded they reached formatted references as typed.)
LATEX_MARKUP = re.compile(r"[\\{}~$]|--|``|''")
# In a BibTeX value a bare % is a literal percent sign; to LaTeX it starts a comment that would
# swallow the rest of the line ("50% of users" decoded to "50").
BARE_PERCENT = re.compile(r"(?<!\\)%")
# Decoding time grows faster than linearly with size (1 MB took 16 s here): refuse, do not hang.
MAX_DECODED_LENGTH = 100_000


def _text_context():
    # pylatexenc reads \textasciicircum as U+02C6 (modifier letter), but it is the caret "^" we escape to,
    # and it does not know the brace macros at all.
    context = get_default_latex_context_db()
    macros = [
        MacroTextSpec("textasciicircum", "^"),
        MacroTextSpec("textbraceleft", "{"),
        MacroTextSpec("textbraceright", "}"),
    ]
    context.add_context_category("evidence", prepend=True, macros=macros)
    return context


_decoder = LatexNodes2Text(math_mode="text", strict_latex_spaces=True, latex_context=_text_context())


class LatexTooLong(ValueError):
    pass


# Markup decoded a token at a time, each token asked of pylatexenc once and then looked up: accents
# ({\'e}, \'{e}, {\ss}), escaped specials (\&, \textbackslash{}), dashes, ~ and grouping braces -- what
# our export writes and most files hold. A value with any other markup goes to pylatexenc whole.
SIMPLE_MARKUP = re.compile(
    r"\{\\[^A-Za-z\s{}]\{?[A-Za-z]\}?\}|\\[^A-Za-z\s{}]\{[A-Za-z]\}|\{\\[A-Za-z]+\}|\\[&%$#_{}]|\\text[a-z]+\{\}|---?|''|``|[~{}]"
)
OTHER_MARKUP = re.compile(r"[\\$]")


@lru_cache(maxsize=4096)
def _decoded_token(token: str) -> str:
    return _decoder.latex_to_text(token)


def decode_latex(value: str) -> str:
    if not LATEX_MARKUP.search(value):
        return value
    if len(value) > MAX_DECODED_LENGTH:
        raise LatexTooLong(f"a field of {len(value):,} characters is too long to decode (limit {MAX_DECODED_LENGTH:,})")
    if not OTHER_MARKUP.search(SIMPLE_MARKUP.sub("", value)):
        return SIMPLE_MARKUP.sub(lambda token: _decoded_token(token.group()), value).strip()
    return _decoder.latex_to_text(BARE_PERCENT.sub(r"\\%", value)).strip()


# Characters special to (La)TeX and BibTeX, escaped so that a value can neither end its field early
# (an unbalanced "}" would let a title inject a field) nor break classic 8-bit bibtex.
LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    # Not \{ and \}: bibtex counts braces whatever precedes them, so those would unbalance the value.
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# Accented letters as {\"u}: braced so that bibtex sorts and case-changes them as one letter.
_encoder = UnicodeToLatexEncoder(
    non_ascii_only=True,
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",
    unknown_char_warning=False,
)


class _LatexOfCharacter(dict):
    """Code point -> its BibTeX-safe text, for str.translate: our escapes for the specials, ASCII as is,
    any other character asked of pylatexenc once and then looked up (pylatexenc on a whole value is ~45x
    slower than writing it, ../shared/notes/facts.md)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        latex = char if char.isascii() else _encoder.unicode_to_latex(char)
        # A character whose LaTeX does not read back as itself (− becomes -, √ a bare \sqrt) stays UTF-8.
        self[code] = latex if latex == char or _decoder.latex_to_text(latex).strip() == char else char
        return self[code]


_ESCAPES = {ord(char): latex for char, latex in LATEX_SPECIALS.items()}
_LATEX_OF = _LatexOfCharacter(_ESCAPES)
# One character class: an alternation scans long abstracts several times slower.
SPECIAL_OR_NON_ASCII = re.compile("[" + re.escape("".join(LATEX_SPECIALS)) + r"\x80-\U0010ffff]")


SPECIAL = re.compile("[" + re.escape("".join(LATEX_SPECIALS)) + "]")


# Typed pairs that LaTeX reads as one character (-- an en dash, `` and '' quotes): kept as typed by
# an empty group between them, else a title's "Euler--1pt" would come back as "Euler–1pt".
LIGATURE = re.compile(r"([-`'])(?=\1)")


def _unligatured(value: str) -> str:
    return LIGATURE.sub(r"\1{}", value) if "--" in value or "``" in value or "''" in value else value


def escape_specials(value: str) -> str:
    """Plain text -> a BibTeX value in UTF-8: only the characters special to BibTeX escaped."""
    return _unligatured(value.translate(_ESCAPES) if SPECIAL.search(value) else value)


def encode_latex(value: str) -> str:
    """Plain text -> BibTeX-safe LaTeX; plain ASCII without specials (most values) is returned as is."""
    if not SPECIAL_OR_NON_ASCII.search(value):
        return _unligatured(value)
    if any(unicodedata.combining(char) for char in value):
        # A combining accent belongs to the letter before it: pylatexenc sees the pair only in the whole value.
        return _unligatured(_encoder.unicode_to_latex(value.translate(_ESCAPES)))
    return _unligatured(value.translate(_LATEX_OF))
