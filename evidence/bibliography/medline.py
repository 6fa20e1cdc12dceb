"""PubMed MEDLINE (.nbib / .txt, "Send to: Citation manager") -> SourceRecord.

The format is simple enough that no library is needed (rispy reads 0 records from it, silently):
a tag of up to four letters padded to four, "- ", the value; continuation lines start with six
spaces; a blank line ends a record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .records import ParsedFile, PersonName, ReadProblem, SourceRecord

TAG = re.compile(r"^([A-Z0-9]{2,4})\s*- ?(.*)$")
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
# PubMed publication types that say what kind of item it is (not the study design, a curator's call).
REVIEW_TYPES = {"review", "systematic review", "meta-analysis"}
BOOK_TYPES = {"book"}


def parse_medline(text: str) -> ParsedFile:
    records, problems = [], []
    for line, fields in split_records(text):
        if "PMID" not in fields and "TI" not in fields:
            problems.append(ReadProblem(line, "not a MEDLINE record: no PMID and no TI tag"))
            continue
        records.append(medline_to_record(fields, line))
    return ParsedFile("medline", records, problems)


def split_records(text: str) -> Iterator[tuple[int, dict[str, list[str]]]]:
    fields: dict[str, list[str]] = {}
    start, last_tag = 0, None
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, last_tag = {}, None
            continue
        match = TAG.match(line)
        if match and not line.startswith(" "):
            if not fields:
                start = number
            last_tag = match.group(1)
            fields.setdefault(last_tag, []).append(match.group(2).strip())
        elif last_tag:  # a continuation line
            fields[last_tag][-1] = f"{fields[last_tag][-1]} {line.strip()}"
    if fields:
        yield start, fields


def medline_to_record(fields: dict[str, list[str]], line: int) -> SourceRecord:
    def first(tag: str) -> str:
        return fields.get(tag, [""])[0]

    record = SourceRecord(line=line)
    record.pmid = first("PMID")
    record.title = first("TI") or first("BTI")
    full_names = fields.get("FAU") or fields.get("AU") or []
    record.authors = [_name(name) for name in full_names]
    record.authors += [PersonName(name, is_organization=True) for name in fields.get("CN", [])]
    year = YEAR.search(first("DP"))
    record.year = int(year.group(1)) if year else None
    record.container_title = first("JT") or first("TA")
    record.journal_abbreviation = first("TA") if first("JT") else ""
    record.volume, record.issue, record.pages = first("VI"), first("IP"), first("PG")
    record.abstract = " ".join(fields.get("AB", []))
    record.keywords = "; ".join(
        fields.get("OT", []) or [term.split("/")[0].lstrip("*") for term in fields.get("MH", [])]
    )
    for value in fields.get("AID", []) + fields.get("LID", []):
        if value.endswith("[doi]") and not record.doi:
            record.doi = value.removesuffix("[doi]").strip()
    record.pmcid = first("PMC")
    record.publisher = first("PB")
    types = {value.lower() for value in fields.get("PT", [])}
    record.entry_type = "review" if types & REVIEW_TYPES else "book" if types & BOOK_TYPES else "article"
    return record


def _name(raw: str) -> PersonName:
    family, _, given = raw.partition(",")
    return PersonName(family.strip(), given.strip())
