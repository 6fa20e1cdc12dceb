r"""LaTeX in BibTeX field values <-> Unicode text.

Most fields are plain text, and pylatexenc's full decoder and encoder are ~40x slower than parsing and
writing (../shared/notes/facts.md): plain values pass untouched, and the common markup goes through
tables filled from pylatexenc once per token or character; only the rest goes to pylatexenc whole.

Decoding never loses text: a command whose decoding would drop or replace its text (\input, \write18,
\cite, a macro the file defines itself) is kept as written, arguments and all, and reported.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pylatexenc import latexwalker
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


# Common in bibliographies (TUGboat's alone has 834 \TeX) and unknown to pylatexenc, which dropped them.
LOGOS = {"TeX": "TeX", "LaTeX": "LaTeX", "LaTeXe": "LaTeX2ε", "BibTeX": "BibTeX", "AmSTeX": "AmS-TeX"}
# Font and size switches ({\it …}) and \nobreakdash (pylatexenc writes U+2011 so): formatting only.
SWITCHES = (
    "it bf tt sl sf sc em rm up md normalfont itshape bfseries ttfamily slshape sffamily scshape rmfamily nobreakdash"
)
# Wrappers whose argument is the text (pylatexenc knows \emph and \textit, but dropped \texttt's argument).
WRAPPERS = "texttt textsf textrm textup textmd textsl textnormal mbox hbox"


def _text_context():
    # pylatexenc reads \textasciicircum as U+02C6 (modifier letter), but it is the caret "^" we escape to,
    # and it does not know the brace macros at all.
    context = get_default_latex_context_db()
    macros = [
        MacroTextSpec("textasciicircum", "^"),
        MacroTextSpec("textbraceleft", "{"),
        MacroTextSpec("textbraceright", "}"),
        *(MacroTextSpec(name, text) for name, text in LOGOS.items()),
        *(MacroTextSpec(name, "") for name in SWITCHES.split()),
        *(MacroTextSpec(name, discard=False) for name in WRAPPERS.split()),
    ]
    context.add_context_category("evidence", prepend=True, macros=macros)
    return context


_WALKER_CONTEXT = latexwalker.get_default_latex_context_db()
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


# Commands pylatexenc replaces with text of its own: a file's content, a heading ("EXERCISE").
REWRITTEN = {"input", "include", "title", "author", "exercise", "uebung"}
# A command by name, with the digits TeX reads after it (\write18) for naming it.
COMMAND = re.compile(r"(?<!\\)\\([A-Za-z]+)(\d*)")


@lru_cache(maxsize=1024)
def keeps_its_text(name: str) -> bool:
    r"""Whether decoding the command loses nothing of the text: a letter or symbol (\ss, \alpha, \TeX),
    an accent (\c, \v), a wrapper that keeps its argument (\emph) or a formatting switch (\it)."""
    spec = _decoder.latex_context.get_macro_spec(name)
    if spec is None:  # pylatexenc drops the command: a loss unless it only wraps arguments (\ensuremath{…})
        return _takes_arguments(name)
    replacement = spec.simplify_repl
    if replacement is None:
        return not spec.discard
    if callable(replacement):  # accents (\c, \acute), \mathbf …; not those that read files or add headings
        return name not in REWRITTEN
    if replacement == "%s":  # \ensuremath{…}: the argument itself
        return True
    return "%" not in replacement and not replacement.startswith("<")  # not \url's <%s>, \cite's <cit.>


def _kept_as_text(value: str, changes: list[str]) -> str:
    """The value with every command that would lose text escaped, with the digits and the {…} or […]
    arguments right after it, so that decoding gives them back as written; each one noted in `changes`."""
    parts, start, closing = [], 0, None
    for found in COMMAND.finditer(value):
        if found.start() < start or keeps_its_text(found.group(1)):
            continue
        closing = closing if closing is not None else _closing_brackets(value)
        end = found.end()
        while end in closing:  # the arguments: groups right after the command (or after the next one)
            end = closing[end] + 1
        parts += [value[start : found.start()], value[found.start() : end].translate(_ESCAPES)]
        change = f"{_kind_of(found.group(1))} `\\{found.group(1)}{found.group(2)}` kept as text"
        if change not in changes:  # once per command and field, however often it recurs
            changes.append(change)
        start = end
    return "".join(parts) + value[start:] if parts else value


def _closing_brackets(value: str) -> dict[int, int]:
    """Where each balanced { or [ of the value closes, by where it opens: one pass, so that a value of many
    commands and unbalanced groups costs no more than one of few."""
    open_at: dict[str, list[int]] = {"{": [], "[": []}
    closing = {}
    for index, char in enumerate(value):
        if char in open_at:
            open_at[char].append(index)
        elif char in "}]":
            stack = open_at["{" if char == "}" else "["]
            if stack:
                closing[stack.pop()] = index
    return closing


def _takes_arguments(name: str) -> bool:
    """Whether pylatexenc's parser knows the command with arguments, whose text it then keeps."""
    spec = _WALKER_CONTEXT.get_macro_spec(name)
    return spec is not None and bool(getattr(spec.args_parser, "argspec", ""))


def _kind_of(name: str) -> str:
    if _decoder.latex_context.get_macro_spec(name) is None and _WALKER_CONTEXT.get_macro_spec(name) is None:
        return "unknown LaTeX command"
    return "LaTeX command that decoding would replace"


def decode_latex(value: str, changes: list[str] | None = None) -> str:
    """LaTeX -> text. A command that decoding would drop is kept as written, and named in `changes`."""
    if not LATEX_MARKUP.search(value):
        return value
    if len(value) > MAX_DECODED_LENGTH:
        raise LatexTooLong(f"a field of {len(value):,} characters is too long to decode (limit {MAX_DECODED_LENGTH:,})")
    if "\\" in value:
        value = _kept_as_text(value, changes if changes is not None else [])
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
