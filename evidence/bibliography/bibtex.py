"""BibTeX -> SourceRecord, with bibtexparser 2 doing the parsing and our code closing its traps."""
from __future__ import annotations

import re

import bibtexparser
from bibtexparser import model
from bibtexparser.middlewares import MonthIntMiddleware
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names

from ..vocabularies import StudyDesign
from .latex import decode_latex
from .records import PersonName, SourceRecord

# Only the entry types this maps; any other BibTeX type is read as a journal article.
ENTRY_TYPES = {
    "article": "article",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "inproceedings": "chapter",
    "conference": "chapter",
    "techreport": "report",
    "report": "report",
    "phdthesis": "report",
    "mastersthesis": "report",
    "misc": "webpage",
    "online": "webpage",
    "electronic": "webpage",
    "webpage": "webpage",
    "dataset": "dataset",
}
REVIEW_DESIGNS = {StudyDesign.SYSTEMATIC_REVIEW, StudyDesign.NARRATIVE_REVIEW}
# BibTeX field -> SourceRecord attribute, for the fields copied as decoded text.
TEXT_FIELDS = {
    "title": "title",
    "journal": "container_title",
    "booktitle": "container_title",
    "volume": "volume",
    "number": "issue",
    "pages": "pages",
    "publisher": "publisher",
    "institution": "publisher",
    "organization": "publisher",
    "school": "publisher",
    "address": "place",
    "type": "report_type",
    "howpublished": "howpublished",
    "abstract": "abstract",
    "annote": "summary",
    "samplesizeunit": "sample_size_unit",
}
# Identifiers, URLs and our own controlled fields are never LaTeX: copied verbatim.
VERBATIM_FIELDS = {
    "doi": "doi",
    "pmid": "pmid",
    "pmcid": "pmcid",
    "url": "url",
    "studydesign": "study_design",
    "population": "population",
    "provenance": "provenance",
}
WHOLE_NUMBER = re.compile(r"^\d+$")


class BibtexError(ValueError):
    """The file has blocks that are not well-formed entries; each problem names its line."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def read_bibtex(text: str) -> list[SourceRecord]:
    library = bibtexparser.parse_string(text, append_middleware=[MonthIntMiddleware(allow_inplace_modification=True)])
    problems = [f"line {block.start_line + 1}: {block.error}" for block in library.failed_blocks]
    # A stray "}" ends an entry early and bibtexparser files the rest as a comment, silently.
    problems += [
        f"line {block.start_line + 1}: text outside any entry: {block.comment.strip()[:60]!r}"
        for block in library.comments
        if isinstance(block, model.ImplicitComment) and not _is_comment_text(block.comment)
    ]
    if problems:
        raise BibtexError(problems)
    return [entry_to_record(entry) for entry in library.entries]


def _is_comment_text(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("%") for line in text.splitlines())


def entry_to_record(entry: model.Entry) -> SourceRecord:
    fields = {field.key.lower(): field.value for field in entry.fields}
    record = SourceRecord(key=entry.key, line=entry.start_line + 1)
    for name, attribute in TEXT_FIELDS.items():
        if isinstance(fields.get(name), str) and not getattr(record, attribute):
            setattr(record, attribute, decode_latex(fields[name]))
    for name, attribute in VERBATIM_FIELDS.items():
        if isinstance(fields.get(name), str):
            setattr(record, attribute, fields[name].strip())
    record.authors = read_names(fields.get("author", ""))
    record.year = _whole_number(fields.get("year"))
    record.month = fields.get("month") if isinstance(fields.get("month"), int) else None
    record.sample_size = _whole_number(fields.get("samplesize"))
    record.keywords = "; ".join(
        word.strip() for word in decode_latex(fields.get("keywords", "")).replace(";", ",").split(",") if word.strip()
    )
    record.entry_type = _entry_type(entry.entry_type.lower(), record.study_design)
    return record


def read_names(value: str) -> list[PersonName]:
    """Split an author field; a name wholly in braces, like {World Health Organization}, is an organisation."""
    names = []
    for raw in split_multiple_persons_names(value) if value.strip() else []:
        raw = raw.strip()
        if raw.startswith("{") and raw.endswith("}") and _balanced(raw[1:-1]):
            names.append(PersonName(family=decode_latex(raw[1:-1]), is_organization=True))
            continue
        parts = parse_single_name_into_parts(raw, strict=False)
        family = decode_latex(" ".join(parts.von + parts.last))
        given = decode_latex(" ".join(parts.first + parts.jr))
        names.append(PersonName(family=family, given=given))
    return names


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _whole_number(value) -> int | None:
    return int(value) if isinstance(value, str) and WHOLE_NUMBER.match(value.strip()) else None


def _entry_type(bibtex_type: str, study_design: str) -> str:
    entry_type = ENTRY_TYPES.get(bibtex_type, "article")
    if entry_type == "article" and study_design in REVIEW_DESIGNS:
        return "review"
    if entry_type == "webpage" and study_design == StudyDesign.REGULATORY:
        return "regulatory"
    return entry_type
