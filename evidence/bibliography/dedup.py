"""When two bibliographic records are the same work. Pure: records in, matches out; no database.

A record is known by its identities, strongest first: the DOI (case-insensitive), the PMID, and the
normalised title + year + normalised first author's family name. Two records that share an identity are
the same work unless their DOIs (or PMIDs) are both present and differ, or, when they share only the
title, their volume, issue or pages differ. The importer finds the candidates; these functions decide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..identifiers import normalised
from .records import SourceRecord

# Fields that tell apart works with the same title: a column's "Editorial" recurs every issue.
ISSUE_FIELDS = ("volume", "issue", "pages")


def identities(doi: str, pmid: str, title: str, year: int | None, first_family: str) -> list[tuple]:
    """The keys a record is known by, strongest first; the first item of each names it (doi, pmid, title)."""
    keys = []
    if doi:
        keys.append(("doi", doi.lower()))
    if pmid:
        keys.append(("pmid", pmid))
    if title:
        keys.append(("title", *title_identity(title, year), normalised(first_family)))
    return keys


def record_identities(record: SourceRecord) -> list[tuple]:
    first = record.authors[0].family if record.authors else ""
    return identities(record.doi, record.pmid, record.title, record.year, first)


def title_identity(title: str, year: int | None) -> tuple[str, int | None]:
    """Title (case, accents, punctuation and spacing removed) and year: what a title match compares."""
    return normalised(title), year


def same_work(record, other, matched_by: str) -> bool:
    """Whether two records (SourceRecords, Sources, anything with their fields) that share the identity named
    `matched_by` are one work. Different DOIs (or PMIDs) make them different works however alike they are;
    a match by title also needs the volume, issue and pages not to differ."""
    if record.doi and other.doi and record.doi.lower() != other.doi.lower():
        return False
    if record.pmid and other.pmid and record.pmid != other.pmid:
        return False
    if matched_by == "title":
        return not any(
            getattr(record, name)
            and getattr(other, name)
            and comparable(getattr(record, name)) != comparable(getattr(other, name))
            for name in ISSUE_FIELDS
        )
    return True


def first_match[Candidate](
    record: SourceRecord,
    keys: list[tuple],
    index: dict[tuple, list[Candidate]],
    record_of: Callable[[Candidate], object] = lambda candidate: candidate,
) -> Candidate | None:
    """The first candidate of the index that is the same work as the record, strongest identity first.
    `keys` are the record's identities (computed once by the caller: normalising is the costly part);
    `record_of` gives a candidate's fields when the index holds something that wraps a record."""
    for key in keys:
        for candidate in index.get(key, []):
            if same_work(record, record_of(candidate), key[0]):
                return candidate
    return None


def first_with_title_and_year[Candidate](
    title: str, year: int | None, candidates: Iterable[Candidate]
) -> Candidate | None:
    """The first candidate (anything with a title and a year) with the same normalised title and year: what
    makes a second "add" of a source by hand a duplicate, authors or no authors."""
    wanted = title_identity(title, year)
    return next((other for other in candidates if title_identity(other.title, other.year) == wanted), None)


def comparable(value) -> str:
    """A field's value as compared for sameness: text normalised like titles, anything else as written."""
    return normalised(str(value)) if isinstance(value, str) else str(value)
