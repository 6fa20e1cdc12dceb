"""Every bibliography format we read or write, by name: what reads it, what writes it, how it is served."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from ..text_safety import csv_lines
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
    "retraction",
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
        if wide := _unmarked_wide_encoding(data):
            raise UnknownFormat(
                f"The file looks like {wide} text without the byte-order mark that would say so: "
                "save it as UTF-8 (or UTF-16 with a byte-order mark) and upload it again."
            )
        kind = "a binary file"
    if kind:
        raise UnknownFormat(f"This is {kind}, not a bibliography: export BibTeX, RIS, CSL-JSON or PubMed text instead.")


def _unmarked_wide_encoding(data: bytes) -> str:
    """UTF-16 text without its byte-order mark: mostly ASCII letters, each with a NUL byte before it
    (big-endian) or after it (little-endian); anything else with that many NULs is binary. Named, or ""."""
    head = data[:4000]
    even, odd = head[0::2], head[1::2]

    def mostly(half: bytes, test) -> bool:
        return sum(map(test, half)) > 0.9 * len(half)

    def nul(byte: int) -> bool:
        return byte == 0

    def ascii_letter(byte: int) -> bool:
        return 0 < byte < 0x80

    if mostly(even, nul) and mostly(odd, ascii_letter):
        return "UTF-16 (big-endian)"
    if mostly(odd, nul) and mostly(even, ascii_letter):
        return "UTF-16 (little-endian)"
    return ""


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


# Byte-order marks of the Unicode encodings that are not UTF-8 (the UTF-32 ones first: FF FE starts both).
BYTE_ORDER_MARKS = [
    (b"\xff\xfe\x00\x00", "utf-32", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32", "UTF-32"),
    (b"\xff\xfe", "utf-16", "UTF-16"),
    (b"\xfe\xff", "utf-16", "UTF-16"),
]


def decode_marked(data: bytes) -> tuple[str, str] | None:
    """Text and encoding of a file that starts with the byte-order mark of UTF-16 or UTF-32 (as Windows
    tools write "Unicode" files); None without one. A file the mark belies is refused, naming it."""
    for mark, codec, name in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            try:
                return data.decode(codec), name
            except UnicodeDecodeError as error:
                raise UnknownFormat(
                    f"The file starts with the byte-order mark of {name} but is not valid {name} "
                    f"(at byte {error.start:,}): save it as UTF-8 and upload it again."
                ) from error
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Text of an uploaded file, and the encoding it was read in: UTF-8 (with or without BOM) when it is;
    GB18030 (as some Chinese reference managers write) when its non-ASCII bytes come in pairs; else
    Windows-1252, whose accented letters are single bytes. (UTF-16 and UTF-32 are told by their BOM first.)"""
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
    marked = decode_marked(data)
    if marked is None:
        refuse_binary(data)
    text, encoding = marked or decode(data)
    if "\x00" in text:
        text = text.replace("\x00", "")  # PostgreSQL refuses NUL in text; it is never meaningful here
    name = detect_format(text) if fmt == "auto" else fmt
    parsed = IMPORT_FORMATS[name](text)
    if not parsed.records and not parsed.problems and fmt != "auto":
        raise UnknownFormat(_nothing_read(text, name))
    if encoding != "UTF-8":
        parsed.notes.append(f"The file is not UTF-8; it was read as {encoding}.")
    return parsed


def _nothing_read(text: str, chosen: str) -> str:
    """Why a file read in the format a curator chose gave no entry at all: most often it is in another."""
    try:
        found = detect_format(text)
    except UnknownFormat:
        return f"No {IMPORT_LABELS[chosen]} entry was found in the file."
    return (
        f"No {IMPORT_LABELS[chosen]} entry was found in the file; its content looks like {IMPORT_LABELS[found]}. "
        "Choose that format, or let it be told from the content."
    )
