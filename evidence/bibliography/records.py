"""The one neutral shape every bibliographic format is read into and written from."""

from __future__ import annotations

from dataclasses import dataclass, field

# What tools write as a last "author" for a truncated list (Zotero's BibTeX import keeps "others" as a
# name): read as the et al. flag.
ET_AL_NAMES = {"others", "et al.", "et al", "et. al."}


@dataclass(frozen=True)
class PersonName:
    family: str
    given: str = ""
    is_organization: bool = False


@dataclass
class SourceRecord:
    key: str = ""
    entry_type: str = "article"
    title: str = ""
    authors: list[PersonName] = field(default_factory=list)
    # The list names only the first authors ("and others", "et al."): styles print "et al." after them.
    authors_truncated: bool = False
    year: int | None = None
    month: int | None = None
    container_title: str = ""
    journal_abbreviation: str = ""  # only as the record gives it (MEDLINE TA, RIS J2, CSL container-title-short)
    volume: str = ""
    issue: str = ""
    pages: str = ""
    publisher: str = ""
    place: str = ""
    report_type: str = ""
    howpublished: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    url: str = ""
    abstract: str = ""
    summary: str = ""
    keywords: str = ""
    study_design: str = ""
    population: str = ""
    sample_size: int | None = None
    sample_size_unit: str = ""
    provenance: str = ""
    # Written, never read: the source's retraction, correction or expression of concern as one line.
    retraction: str = ""
    line: int | None = None  # where the record starts in its file, for messages
    # What the reader stored otherwise than the file says, and why (e.g. an unknown LaTeX command kept as text).
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadProblem:
    """An entry (or stretch of a file) that could not be read, and why; `line` is 1-based when known."""

    line: int | None
    message: str
    key: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class ParsedFile:
    format: str
    records: list[SourceRecord]
    problems: list[ReadProblem] = field(default_factory=list)  # entries that could not be read
    warnings: list[ReadProblem] = field(default_factory=list)  # entries read, with something to know
    notes: list[str] = field(default_factory=list)  # about the whole file, e.g. the encoding it was read in


def split_keywords(text: str) -> list[str]:
    """Keywords from one field: split at semicolons when there are any (MeSH terms such as
    "Carcinoma, Squamous Cell" hold commas), else at commas."""
    separator = ";" if ";" in text else ","
    return [word.strip() for word in text.split(separator) if word.strip()]


def join_keywords(words: list[str]) -> str:
    """Our stored form: "; "-separated."""
    return "; ".join(words)


def written_keywords(stored: str) -> str:
    """Keywords for a format's one field: comma-separated as tools expect, unless a keyword has a comma."""
    words = split_keywords(stored) if stored else []
    return ("; " if any("," in word for word in words) else ", ").join(words)
