"""The words a search matched, marked in a title or a finding (the text escaped, only <mark> added)."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from evidence.query.words import STOPWORDS, WORD, stem

register = template.Library()
PIECES = re.compile(rf"({WORD.pattern})", re.UNICODE)


@register.filter
def highlight(text: str, stems: frozenset[str] | None) -> SafeString:
    """`text` escaped, with each word whose stem the search looked for wrapped in <mark>."""
    if not stems:
        return mark_safe(escape(text))
    pieces = PIECES.split(str(text))
    marked = []
    for index, piece in enumerate(pieces):
        word = piece.lower()
        if index % 2 and word not in STOPWORDS and stem(word) in stems:
            marked.append(f"<mark>{escape(piece)}</mark>")
        else:
            marked.append(escape(piece))
    return mark_safe("".join(marked))
