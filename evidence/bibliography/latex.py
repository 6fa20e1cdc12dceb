"""LaTeX in BibTeX field values -> Unicode text.

Most fields are plain text, and the full decoder is ~40x slower than parsing
(../shared/notes/facts.md), so only values that contain LaTeX markup go through it.
"""
from __future__ import annotations

import re

from pylatexenc.latex2text import LatexNodes2Text

# Characters or sequences that make a value LaTeX rather than plain text.
LATEX_MARKUP = re.compile(r"[\\{}~$]|--")
# In a BibTeX value a bare % is a literal percent sign; to LaTeX it starts a comment that would
# swallow the rest of the line ("50% of users" decoded to "50").
BARE_PERCENT = re.compile(r"(?<!\\)%")
# Decoding time grows faster than linearly with size (1 MB took 16 s here): refuse, do not hang.
MAX_DECODED_LENGTH = 100_000

_decoder = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


class LatexTooLong(ValueError):
    pass


def decode_latex(value: str) -> str:
    if not LATEX_MARKUP.search(value):
        return value
    if len(value) > MAX_DECODED_LENGTH:
        raise LatexTooLong(f"a field of {len(value):,} characters is too long to decode (limit {MAX_DECODED_LENGTH:,})")
    return _decoder.latex_to_text(BARE_PERCENT.sub(r"\\%", value)).strip()
