"""Every bibliography format we read or write, by name: what reads it, what writes it, how it is served."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from ..exports import csv_lines
from .bibtex import parse_bibtex, write_bibtex
from .csljson import parse_csljson, write_csljson
from .formatted import format_references, rtf_document
from .medline import parse_medline
from .records import ParsedFile, SourceRecord
from .ris import parse_ris, write_ris

CSV_COLUMNS = [
    "key",
    "entry_type",
    "authors",
    "title",
    "year",
    "container_title",
    "volume",
    "issue",
    "pages",
    "publisher",
    "doi",
    "pmid",
    "pmcid",
    "url",
    "keywords",
    "abstract",
    "study_design",
    "population",
    "sample_size",
]


@dataclass(frozen=True)
class ExportFormat:
    label: str
    extension: str
    content_type: str
    write: Callable[..., Iterator[str]]  # (records, style) -> chunks of text
    styled: bool = False  # formatted references, in a citation style


def write_csv(records: Iterable[SourceRecord], style: str = "") -> Iterator[str]:
    def row(record: SourceRecord) -> list:
        authors = "; ".join(f"{n.family}, {n.given}" if n.given else n.family for n in record.authors)
        return [authors if column == "authors" else getattr(record, column) for column in CSV_COLUMNS]

    return csv_lines(CSV_COLUMNS, (row(record) for record in records))


def write_references(records: Iterable[SourceRecord], style: str = "apa", output: str = "text") -> Iterator[str]:
    references = format_references(list(records), style or "apa", output)
    if output == "rtf":
        yield from rtf_document(references)
    elif output == "html":
        yield '<!doctype html>\n<meta charset="utf-8">\n<title>References</title>\n<ol class="references">\n'
        yield from (f"<li>{reference}</li>\n" for reference in references)
        yield "</ol>\n"
    else:
        yield from (f"{reference}\n\n" for reference in references)


def _ignoring_style(write: Callable[[Iterable[SourceRecord]], Iterator[str]]):
    return lambda records, style="": write(records)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "bibtex": ExportFormat("BibTeX", "bib", "application/x-bibtex; charset=utf-8", _ignoring_style(write_bibtex)),
    "bibtex-utf8": ExportFormat(
        "biblatex (UTF-8)",
        "bib",
        "application/x-bibtex; charset=utf-8",
        _ignoring_style(partial(write_bibtex, latex=False)),
    ),
    "ris": ExportFormat("RIS", "ris", "application/x-research-info-systems; charset=utf-8", _ignoring_style(write_ris)),
    "csljson": ExportFormat(
        "CSL-JSON", "json", "application/vnd.citationstyles.csl+json", _ignoring_style(write_csljson)
    ),
    "csv": ExportFormat("CSV", "csv", "text/csv; charset=utf-8", write_csv),
    "text": ExportFormat("References (text)", "txt", "text/plain; charset=utf-8", write_references, styled=True),
    "html": ExportFormat(
        "References (HTML)", "html", "text/html; charset=utf-8", partial(write_references, output="html"), styled=True
    ),
    "rtf": ExportFormat(
        "References (RTF, for Word)", "rtf", "application/rtf", partial(write_references, output="rtf"), styled=True
    ),
}
STYLED_FORMATS = {name: export for name, export in EXPORT_FORMATS.items() if export.styled}

IMPORT_FORMATS: dict[str, Callable[[str], ParsedFile]] = {
    "bibtex": parse_bibtex,
    "ris": parse_ris,
    "csljson": parse_csljson,
    "medline": parse_medline,
}
IMPORT_LABELS = {"bibtex": "BibTeX", "ris": "RIS", "csljson": "CSL-JSON", "medline": "PubMed MEDLINE"}
# What each format's first meaningful line looks like.
SIGNATURES = [
    ("csljson", re.compile(r"^\s*[\[{]")),
    ("medline", re.compile(r"^PMID- ?\d", re.MULTILINE)),
    ("ris", re.compile(r"^TY {1,2}- ?\S", re.MULTILINE)),
    ("bibtex", re.compile(r"^\s*@\s*\w+\s*[{(]", re.MULTILINE)),
]


class UnknownFormat(ValueError):
    pass


# What the first bytes of common binary files are: a bibliography is text.
BINARY_SIGNATURES = {
    b"%PDF": "a PDF",
    b"PK\x03\x04": "a ZIP or Word/Excel file",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Office file",
}


def refuse_binary(data: bytes) -> None:
    kind = next((name for magic, name in BINARY_SIGNATURES.items() if data.startswith(magic)), None)
    if kind is None and data.count(b"\x00") > len(data) // 10:  # a stray NUL or two is text (and removed)
        kind = "a binary file"
    if kind:
        raise UnknownFormat(f"This is {kind}, not a bibliography: export BibTeX, RIS, CSL-JSON or PubMed text instead.")


def detect_format(text: str) -> str:
    """The import format a text is in, from its content; UnknownFormat if none fits."""
    head = text.lstrip("\ufeff")[:20_000]
    for name, signature in SIGNATURES:
        if signature.search(head):
            return name
    raise UnknownFormat(
        "Could not tell the format from the content: expected BibTeX (@article{…), RIS (TY  - JOUR), "
        "CSL-JSON ([{…}]) or PubMed MEDLINE (PMID- …)."
    )


def decode(data: bytes) -> tuple[str, str]:
    """Text of an uploaded file, and the encoding it was read in: UTF-8 when it is; GB18030 (as some
    Chinese reference managers write) when its non-ASCII bytes come in pairs; else Windows-1252, whose
    accented letters are single bytes."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    runs = re.findall(rb"[\x80-\xff]+", data)
    if sum(len(run) % 2 == 0 for run in runs) > 0.8 * len(runs):
        try:
            return data.decode("gb18030"), "GB18030"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def parse(data: bytes, fmt: str = "auto") -> ParsedFile:
    refuse_binary(data)
    text, encoding = decode(data)
    if "\x00" in text:
        text = text.replace("\x00", "")  # PostgreSQL refuses NUL in text; it is never meaningful here
    name = detect_format(text) if fmt == "auto" else fmt
    parsed = IMPORT_FORMATS[name](text)
    if encoding != "UTF-8":
        parsed.notes.append(f"The file is not UTF-8; it was read as {encoding}.")
    return parsed
