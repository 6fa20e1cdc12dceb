"""RIS <-> SourceRecord, with rispy doing the tag work and our code closing its traps.

rispy reads 0 records, silently, from a file with a UTF-8 BOM, old-Mac line endings or `TY - JOUR`
with one space; it drops a last record without `ER`, and merges two records when an `ER` between them
is missing; and its writer lets a newline inside a value start a new tag (../shared/notes/facts.md).
So: normalise the text, split it into records at every `TY` line ourselves (which also gives each
record's line number and an independent count), and fold newlines out of values before writing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import rispy

from ..vocabularies import EntryType
from .records import ET_AL_NAMES, ParsedFile, PersonName, ReadProblem, SourceRecord

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])\s{0,2}-(?: (.*)|)$")
RIS_TYPES = {
    "JOUR": "article",
    "JFULL": "article",
    "MGZN": "article",
    "ABST": "article",
    "INPR": "article",
    "EJOUR": "article",
    "NEWS": "article",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "chapter",
    "ECHAP": "chapter",
    "CONF": "chapter",
    "CPAPER": "chapter",
    "RPRT": "report",
    "THES": "report",
    "GEN": "report",
    "ELEC": "webpage",
    "WEB": "webpage",
    "BLOG": "webpage",
    "DATA": "dataset",
    "GOVDOC": "regulatory",
    "BILL": "regulatory",
    "STAT": "regulatory",
    "LEGAL": "regulatory",
}
WRITE_TYPES = {
    "article": "JOUR",
    "review": "JOUR",
    "book": "BOOK",
    "chapter": "CHAP",
    "report": "RPRT",
    "webpage": "ELEC",
    "regulatory": "GOVDOC",
    "dataset": "DATA",
}
YEAR = re.compile(r"\b(\d{4})\b")  # any year: the model's own rule (1500–2100) refuses with a message
# Fields RIS has no tag for (ours, and how a document was published) travel as labelled notes (N1),
# which other tools show as notes and we read back.
NOTE_FIELDS = {
    "How published": "howpublished",
    "Report type": "report_type",
    "Study design": "study_design",
    "Population": "population",
    "Sample size": "sample_size",
    "Sample size unit": "sample_size_unit",
    "Finding": "summary",
    "Provenance": "provenance",
    "Retraction": "retraction",
}
RIS_MONTH = re.compile(r"^\d{4}/(\d{1,2})\b")  # DA and Y1 are YYYY/MM/DD/other
LINE_BREAKS = re.compile(r"[ \t]*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+[ \t]*")
# RIS has no tag for a truncated author list: a labelled note says so (never an author called "others").
TRUNCATED_NOTE = "Author list: truncated (et al.)"
URL_START = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
DOI_IN_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\..+)$", re.IGNORECASE)


def parse_ris(text: str) -> ParsedFile:
    records, problems = [], []
    for line, chunk in split_records(text):
        try:
            entries = rispy.loads(chunk)
        except Exception as error:  # rispy raises bare IOError/ValueError/KeyError on odd input
            problems.append(ReadProblem(line, f"not a readable RIS record: {error}"))
            continue
        if len(entries) != 1:
            problems.append(ReadProblem(line, "not a readable RIS record: no TY/ER pair found"))
            continue
        records.append(ris_to_record(entries[0], line))
    return ParsedFile("ris", records, problems)


def normalise(text: str) -> list[str]:
    """Lines without BOM or carriage returns, every tag as `XX  - value`."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fixed = []
    for raw in lines:
        match = TAG_LINE.match(raw)
        fixed.append(f"{match.group(1)}  - {match.group(2) or ''}".rstrip() if match else raw)
    return fixed


def split_records(text: str) -> Iterator[tuple[int, str]]:
    """(line of its TY, text) for each record, each closed with exactly one ER."""
    current: list[str] = []
    start = 0
    for number, line in enumerate(normalise(text), start=1):
        if line.startswith("TY  -"):
            if current:
                yield start, _closed(current)
            current, start = [line], number
        elif current:
            if line.startswith("ER  -"):
                yield start, _closed(current)
                current = []
            else:
                current.append(line)
    if current:
        yield start, _closed(current)


def _closed(lines: list[str]) -> str:
    return "\n".join([*lines, "ER  - ", ""])


def ris_to_record(entry: dict, line: int) -> SourceRecord:
    record = SourceRecord(line=line)
    record.entry_type = RIS_TYPES.get(entry.get("type_of_reference", "").upper(), "article")
    record.key = _first(entry, "id", "label")
    record.title = _first(entry, "title", "primary_title", "translated_title")
    names = entry.get("authors") or entry.get("first_authors") or []
    record.authors = [_name(name) for name in names if name.strip() and name.strip().lower() not in ET_AL_NAMES]
    record.authors_truncated = len(record.authors) < len([name for name in names if name.strip()])
    year = YEAR.search(_first(entry, "year", "publication_year", "date"))
    record.year = int(year.group(1)) if year else None
    month = RIS_MONTH.match(_first(entry, "date") or _first(entry, "publication_year"))
    record.month = int(month.group(1)) if month and 1 <= int(month.group(1)) <= 12 else None
    record.container_title = _first(entry, "secondary_title", "alternate_title3", "journal_name", "alternate_title1")
    record.journal_abbreviation = _first(entry, "alternate_title1", "alternate_title2")  # J2, JA
    record.volume = _first(entry, "volume")
    record.issue = _first(entry, "number")
    start, end = _first(entry, "start_page"), _first(entry, "end_page")
    record.pages = f"{start}–{end}" if start and end else start or end
    record.publisher = _first(entry, "publisher")
    record.place = _first(entry, "place_published")
    record.abstract = _first(entry, "abstract", "notes_abstract")
    record.keywords = "; ".join(k.strip() for k in entry.get("keywords", []) if k.strip())
    record.doi = _first(entry, "doi")
    urls = _whole_urls(entry.get("urls", []))
    for url in urls:
        match = DOI_IN_URL.match(url)
        if match and not record.doi:
            record.doi = match.group(1)
    # A doi.org link is kept as the URL only when the record also has other links or a DO of its own.
    record.url = next((url for url in urls if not DOI_IN_URL.match(url) or _first(entry, "doi")), "")
    database = " ".join([_first(entry, "name_of_database"), _first(entry, "database_provider")]).lower()
    accession = _first(entry, "accession_number")
    if accession.isdigit() and ("pubmed" in database or "medline" in database):
        record.pmid = accession
    pmcid = _first(entry, "custom2")
    record.pmcid = pmcid if pmcid.upper().startswith("PMC") else ""
    work_type = _first(entry, "type_of_work").lower()
    if work_type in EntryType.values:
        record.entry_type = work_type
    for note in entry.get("notes", []):
        if note.strip() == TRUNCATED_NOTE:
            record.authors_truncated = True
        label, _, value = note.partition(": ")
        if label in NOTE_FIELDS and value.strip():
            attribute = NOTE_FIELDS[label]
            setattr(record, attribute, int(value) if attribute == "sample_size" and value.isdigit() else value.strip())
    return record


def _whole_urls(pieces: list[str]) -> list[str]:
    """rispy splits a UR value at every ";": a piece that is not a link itself is joined back on."""
    urls: list[str] = []
    for piece in pieces:
        if urls and not URL_START.match(piece.strip()):
            urls[-1] += ";" + piece
        elif piece.strip():
            urls.append(piece.strip())
    return [url.strip() for url in urls]


def _first(entry: dict, *names: str) -> str:
    for name in names:
        value = entry.get(name)
        if isinstance(value, list):
            value = value[0] if value else ""
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _name(raw: str) -> PersonName:
    family, _, given = raw.partition(",")
    if not given.strip() and " " not in family.strip():
        return PersonName(family.strip())
    if not given.strip():  # "World Health Organization": no comma, several words, an organisation
        return PersonName(family.strip(), is_organization=True)
    return PersonName(family.strip(), given.strip())


def write_ris(records: Iterable[SourceRecord]) -> Iterator[str]:
    for record in records:
        yield rispy.dumps([record_to_ris(record)])


def record_to_ris(record: SourceRecord) -> dict:
    start, _, end = record.pages.replace("–", "-").partition("-")
    entry = {
        "type_of_reference": WRITE_TYPES.get(record.entry_type, "GEN"),
        "id": record.key,
        "title": record.title,
        "authors": [f"{n.family}, {n.given}" if n.given else n.family for n in record.authors],
        "year": str(record.year or ""),
        "date": f"{record.year}/{record.month:02d}" if record.year and record.month else "",
        "secondary_title": record.container_title,
        "alternate_title1": record.journal_abbreviation,
        "volume": record.volume,
        "number": record.issue,
        "start_page": start.strip(),
        "end_page": end.strip(),
        "publisher": record.publisher,
        "place_published": record.place,
        "abstract": record.abstract,
        "keywords": [k.strip() for k in record.keywords.split(";") if k.strip()],
        "doi": record.doi,
        "urls": [record.url] if record.url else [],
        "accession_number": record.pmid,
        "name_of_database": "PubMed" if record.pmid else "",
        "custom2": record.pmcid,
        "type_of_work": record.entry_type
        if record.entry_type != RIS_TYPES.get(WRITE_TYPES.get(record.entry_type))
        else "",
        "notes": [
            *([TRUNCATED_NOTE] if record.authors_truncated else []),
            *(
                f"{label}: {getattr(record, attribute)}"
                for label, attribute in NOTE_FIELDS.items()
                if getattr(record, attribute) not in ("", None)
            ),
        ],
    }
    return {tag: _one_line(value) for tag, value in entry.items() if value}


def _one_line(value):
    """A line break inside a value would start a new tag, or a new record, in the written file."""
    if isinstance(value, list):
        return [_one_line(item) for item in value if item]
    return LINE_BREAKS.sub(" ", value).strip()
