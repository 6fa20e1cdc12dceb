"""Retraction checks: the Retraction Watch database, as Crossref distributes it, marks our sources.

The file is a CSV of about 50,000 notices, one a row, each naming the paper it concerns by
OriginalPaperDOI and OriginalPaperPubMedID. It is read one line at a time and looked up in batches, so
memory holds only the notices that name one of our sources. A source named by several notices takes the
latest (by RetractionDate; on the same day the gravest): a retraction after an expression of concern
wins, and a reinstatement after a retraction clears it.

All of it is written in one transaction, or nothing (a dry run rolls its transaction back), with each
changed source's history naming the curator. The report says which sources changed and which claims
changed status because of it, the statuses computed by the same path as every page (reports.py).
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_update_with_history

from . import caching, claim_status, identifiers
from .models import Claim, Source
from .reports import statements_of
from .support import Status
from .vocabularies import RetractionStatus
from .wording import count

# The columns read, as Crossref's file spells them (it has more: Title, Journal, Author, URLS …).
RECORD_ID = "Record ID"
NOTICE_DATE = "RetractionDate"
NOTICE_DOI = "RetractionDOI"
PAPER_DOI = "OriginalPaperDOI"
PAPER_PMID = "OriginalPaperPubMedID"
NATURE = "RetractionNature"
REASON = "Reason"
REQUIRED_COLUMNS = (RECORD_ID, NOTICE_DATE, NOTICE_DOI, PAPER_DOI, PAPER_PMID, NATURE, REASON)

# RetractionNature, lower-cased (the file writes "Expression of concern"), to our status; a reinstatement
# undoes an earlier notice.
STATUS_OF_NATURE = {
    "retraction": RetractionStatus.RETRACTED,
    "expression of concern": RetractionStatus.EXPRESSION_OF_CONCERN,
    "correction": RetractionStatus.CORRECTED,
    "reinstatement": RetractionStatus.NONE,
}
# On the same date, the gravest notice stands.
GRAVITY = (
    RetractionStatus.NONE,
    RetractionStatus.CORRECTED,
    RetractionStatus.EXPRESSION_OF_CONCERN,
    RetractionStatus.RETRACTED,
)
# What the file writes for "no identifier": PubMed ID 0, DOI "unavailable" (in either case).
ABSENT = frozenset({"", "0", "unavailable"})
# Crossref's file writes M/D/YYYY H:MM ("1/26/2024 0:00"); an ISO date is taken too.
US_DATE = re.compile(r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
ISO_DATE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})$")
LOOKUP_BATCH = 500
CHANGE_REASON = "Retraction Watch import"
WRITTEN = ("retraction_status", "retraction_date", "retraction_reason", "retraction_notice")
BYTE_ORDER_MARK = b"\xef\xbb\xbf"


class RetractionFileError(ValueError):
    """The file cannot be read as Retraction Watch's CSV at all: nothing was written."""


@dataclass(frozen=True)
class Notice:
    """One row of the file that names a paper: what it says of it."""

    line: int
    record_id: str
    doi: str
    pmid: str
    status: str
    date: datetime.date | None
    reason: str
    notice_doi: str

    @property
    def order(self) -> tuple:
        """Latest last, the gravest last on the same day: the notice that stands is the greatest."""
        return (self.date or datetime.date.min, GRAVITY.index(self.status), self.line)


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class SourceChange:
    source: Source
    before: RetractionStatus
    after: RetractionStatus
    notice: Notice


@dataclass(frozen=True)
class ClaimChange:
    claim: Claim
    before: Status
    after: Status


@dataclass
class RetractionReport:
    rows: int = 0
    without_identifier: int = 0
    matched: int = 0  # sources the file names
    problems: list[Problem] = field(default_factory=list)
    changed_sources: list[SourceChange] = field(default_factory=list)
    changed_claims: list[ClaimChange] = field(default_factory=list)
    claims_checked: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        written = "would change" if self.dry_run else "changed"
        return (
            f"{count(self.rows, 'row')} read ({self.without_identifier:,} without a DOI or PMID, "
            f"{count(len(self.problems), 'malformed row')} skipped); {count(self.matched, 'source')} named, "
            f"{len(self.changed_sources):,} {written}; {count(self.claims_checked, 'linked claim')} checked, "
            f"{len(self.changed_claims):,} {written} status."
        )

    def lines(self) -> list[str]:
        """The report as plain lines, for the command and the logs."""
        verb = "would be" if self.dry_run else "now"
        result = [self.summary()]
        result += [
            f"{change.source.key}: {change.before.label} → {verb} {change.after.label} (line {change.notice.line})"
            for change in self.changed_sources
        ]
        result += [
            f"Claim {change.claim.pk} “{change.claim}”: {change.before.label} → {verb} {change.after.label}"
            for change in self.changed_claims
        ]
        result += [f"Skipped {problem}" for problem in self.problems]
        return result


def import_retractions(stream: BinaryIO, user=None, dry_run: bool = False) -> RetractionReport:
    """Read the file and mark the sources it names, all in one transaction (rolled back for a dry run).
    Raises RetractionFileError, writing nothing, when the file lacks a column it needs."""
    report = RetractionReport(dry_run=dry_run)
    found = _notices_of_our_sources(read_notices(stream, report), report)
    with transaction.atomic():
        sources = Source.objects.select_for_update().filter(pk__in=found).order_by("key")
        changes = [change for source in sources if (change := _change(source, found[source.pk]))]
        report.matched = len(found)
        claims = Claim.objects.filter(evidence__source__in=[c.source.pk for c in changes]).distinct()
        before = {s.claim.pk: s.status for s in statements_of(claims.for_review())}
        _write(changes, user)
        after = statements_of(claims.for_review())
        report.changed_sources = changes
        report.claims_checked = len(after)
        report.changed_claims = [
            ClaimChange(s.claim, before[s.claim.pk], s.status) for s in after if s.status != before[s.claim.pk]
        ]
        if dry_run:
            transaction.set_rollback(True)
    return report


def read_notices(stream: BinaryIO, report: RetractionReport) -> Iterator[Notice]:
    """The rows that name a paper, one at a time; malformed rows go to the report with their line."""
    reader = csv.reader(_decoded_lines(stream))
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise RetractionFileError(
            f"This is not Retraction Watch's CSV: it lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. Nothing was changed."
        )
    column = {name: header.index(name) for name in REQUIRED_COLUMNS}
    line = reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):  # the file ends with empty rows
                report.rows += 1
                notice = _notice(row, column, line, report)
                if notice is not None:
                    yield notice
            line = reader.line_num + 1
    except csv.Error as error:  # a field past csv's size limit: a quote left open ran to the end of the file
        raise RetractionFileError(f"Line {line} cannot be read as CSV ({error}). Nothing was changed.") from None


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """Text lines of the file, read one at a time. Crossref's file is UTF-8 (some copies begin with a byte
    order mark), but older exports were Windows-1252: a line that is not UTF-8 is read as that."""
    for number, raw in enumerate(stream):
        if number == 0:
            raw = raw.removeprefix(BYTE_ORDER_MARK)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        yield text.replace("\x00", "")  # PostgreSQL refuses NUL in text; it is never meaningful here


def _notice(row: list[str], column: dict[str, int], line: int, report: RetractionReport) -> Notice | None:
    if len(row) <= max(column.values()):
        report.problems.append(Problem(line, f"{len(row)} fields, fewer than the header's"))
        return None
    cell = {name: row[index].strip() for name, index in column.items()}
    doi = _identifier(cell[PAPER_DOI], identifiers.normalise_doi, identifiers.DOI_PATTERN)
    pmid = _identifier(cell[PAPER_PMID], identifiers.normalise_pmid, identifiers.PMID_PATTERN)
    if not (doi or pmid):
        report.without_identifier += 1
        return None
    status = STATUS_OF_NATURE.get(cell[NATURE].lower())
    if status is None:
        report.problems.append(Problem(line, f"unknown RetractionNature “{cell[NATURE]}”"))
        return None
    date = _date(cell[NOTICE_DATE])
    if date is False:
        report.problems.append(Problem(line, f"RetractionDate “{cell[NOTICE_DATE]}” is not a date like 1/26/2024 0:00"))
        return None
    notice_doi = _identifier(cell[NOTICE_DOI], identifiers.normalise_doi, identifiers.DOI_PATTERN)
    return Notice(line, cell[RECORD_ID], doi, pmid, status, date, _reasons(cell[REASON]), notice_doi)


def _identifier(value: str, normalise, pattern) -> str:
    value = normalise(value) if value.lower() not in ABSENT else ""
    return value if pattern.match(value) else ""


def _date(value: str) -> datetime.date | None | bool:
    """The notice's date; None when the file gives none, False when it gives something else. By a pattern,
    not strptime: at 50,000 rows strptime took a third of the import."""
    if not value:
        return None
    found = US_DATE.match(value) or ISO_DATE.match(value)
    try:
        return datetime.date(int(found["year"]), int(found["month"]), int(found["day"])) if found else False
    except ValueError:  # 2/30/2024
        return False


def _reasons(value: str) -> str:
    """`+Falsification/Fabrication of Data;+Retract and Replace;` -> `Falsification/Fabrication of Data;
    Retract and Replace`: the file's "+" would make a spreadsheet read the cell as a formula."""
    return "; ".join(reason for part in value.split(";") if (reason := part.strip().lstrip("+").strip()))


def _notices_of_our_sources(notices: Iterable[Notice], report: RetractionReport) -> dict[int, Notice]:
    """The notice that stands for each of our sources the file names, looked up LOOKUP_BATCH rows at a time."""
    standing: dict[int, Notice] = {}
    batch: list[Notice] = []
    for notice in notices:
        batch.append(notice)
        if len(batch) == LOOKUP_BATCH:
            _match(batch, standing)
            batch = []
    _match(batch, standing)
    return standing


def _match(batch: list[Notice], standing: dict[int, Notice]) -> None:
    if not batch:
        return
    dois = {notice.doi for notice in batch if notice.doi}
    pmids = {notice.pmid for notice in batch if notice.pmid}
    sources = Source.objects.filter(Q(doi__in=dois) | Q(pmid__in=pmids)).order_by().values_list("pk", "doi", "pmid")
    by_doi, by_pmid = {}, {}
    for pk, doi, pmid in sources:
        by_doi[doi], by_pmid[pmid] = pk, pk
    for notice in batch:
        pk = by_doi.get(notice.doi) if notice.doi else None
        pk = pk or (by_pmid.get(notice.pmid) if notice.pmid else None)
        if pk is not None and (pk not in standing or notice.order > standing[pk].order):
            standing[pk] = notice


def _change(source: Source, notice: Notice) -> SourceChange | None:
    """What the notice changes in the source, or None when the source already says it (a re-import)."""
    values = _values(notice)
    if all(getattr(source, name) == value for name, value in values.items()):
        return None
    before = RetractionStatus(source.retraction_status)
    for name, value in values.items():
        setattr(source, name, value)
    source.version += 1  # as a save would: a form opened before this is stale
    return SourceChange(source, before, RetractionStatus(notice.status), notice)


def _values(notice: Notice) -> dict:
    if notice.status == RetractionStatus.NONE:  # reinstated: nothing stands against it
        return {name: None if name == "retraction_date" else "" for name in WRITTEN} | {
            "retraction_status": notice.status
        }
    return {
        "retraction_status": notice.status,
        "retraction_date": notice.date,
        "retraction_reason": notice.reason,
        "retraction_notice": notice.notice_doi,
    }


def _write(changes: list[SourceChange], user) -> None:
    bulk_update_with_history(
        [change.source for change in changes],
        Source,
        [*WRITTEN, "version"],
        default_user=user,
        default_change_reason=CHANGE_REASON,
    )
    # A bulk update sends no signal: the stored statuses and the cache's data version follow at commit.
    claim_status.schedule_sources(change.source.pk for change in changes)
    caching.changed()
