"""Bibliography import: plan what each entry would do (new, duplicate, conflict, failed), then commit
the plan in one transaction. Planning writes nothing, so the same code serves the admin's preview and
`import_bibliography --dry-run`.

A commit plans again inside its write transaction, under a lock that serialises imports (PostgreSQL: an
advisory lock; SQLite: every transaction begins IMMEDIATE, holding the write lock), so two commits of the
same file at once write one set of records: the second finds the first's records and matches them. Every
limit (size, entries, authors, field lengths) is checked there too, whatever the form checked before.

Duplicates are found by the rule of `dedup` (DOI, then PMID, then normalised title + year + first
author) against the database and within the file; this module looks the candidates up. A duplicate only
fills fields that are empty on the record it matches; where both have a value and they differ, the
existing (curated) value stays and the difference is listed as a conflict.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from .. import caching, identifiers
from ..identifiers import TITLE_KEY_LENGTH, normalised
from ..models import Author, Authorship, ImportLog, MergedSource, NotDuplicates, Source
from ..query.linked import refresh_linked_terms
from ..vocabularies import CurationStatus, ScreeningStatus
from ..wording import count
from .dedup import (
    ISSUE_FIELDS,
    comparable,
    first_match,
    first_with_title_and_year,
    identities,
    record_identities,
    same_work,
)
from .formats import parse
from .records import ParsedFile, PersonName, ReadProblem, SourceRecord
from .sources import source_values

# The largest consortium papers list about 3,000 authors; a longer list is an error in the file.
MAX_AUTHORS = 5_000
MAX_NAME_LENGTHS = {"family": 300, "given": 200}  # Author's columns
# A DOI given as a link (https://doi.org/…, http://doi.acm.org/…): the link is the whole value.
DOI_LINK = re.compile(r"^https?://\S*?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
# Any number that no other advisory lock of the database uses: held by one import's transaction at a time.
IMPORT_LOCK = 0x6B72_746D
# Fields compared for conflicts, with how two values are made comparable.
COMPARED_FIELDS = [name for name in source_values(SourceRecord()) if name not in ("provenance",)]


class Action(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    FAILED = "failed"


@dataclass
class EntryPlan:
    number: int  # 1-based position among the file's entries
    line: int | None
    file_key: str
    title: str
    action: Action
    reason: str = ""
    record: SourceRecord | None = None
    existing: Source | None = None  # the database record a duplicate matches
    earlier: EntryPlan | None = None  # or the earlier entry of the same file it matches
    fills: dict[str, object] = field(default_factory=dict)
    conflicts: dict[str, tuple[object, object]] = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)  # what is stored otherwise than the file says, and why

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line else f"entry {self.number}"


@dataclass
class ImportPlan:
    format: str
    entries: list[EntryPlan]
    notes: list[str]
    warnings: list[ReadProblem]

    def count(self, action: Action) -> int:
        return sum(entry.action == action for entry in self.entries)

    @property
    def failed(self) -> bool:
        return self.count(Action.FAILED) > 0

    @property
    def changed(self) -> int:
        """Entries written with something changed (listed with each); failed entries write nothing."""
        return sum(bool(entry.changes) for entry in self.entries if entry.action != Action.FAILED)

    def summary(self) -> str:
        changed = f", {self.changed} changed" if self.changed else ""
        return (
            f"{self.count(Action.NEW)} new, {count(self.count(Action.DUPLICATE), 'duplicate')}, "
            f"{count(self.count(Action.CONFLICT), 'conflict')}, {self.count(Action.FAILED)} failed{changed}"
        )


class ImportRefused(ValueError):
    """The file as a whole is over a limit: nothing of it is planned or written."""


def size_problem(size: int) -> str:
    """Why a file of `size` bytes may not be imported, or ""."""
    if size > settings.IMPORT_MAX_BYTES:
        return f"The file is {size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}. Split it into smaller files."
    return ""


def read_import(data: bytes, fmt: str = "auto") -> ParsedFile:
    """The file parsed, if it is within the limits of an import (IMPORT_MAX_BYTES, IMPORT_MAX_ENTRIES);
    ImportRefused (or formats.UnknownFormat) says why not. Every way in -- upload, commit, command -- reads
    through here."""
    if problem := size_problem(len(data)):
        raise ImportRefused(problem)
    parsed = parse(data, fmt)
    entries = len(parsed.records) + len(parsed.problems)
    if entries > settings.IMPORT_MAX_ENTRIES:
        raise ImportRefused(
            f"The file has {entries:,} entries; the limit is {settings.IMPORT_MAX_ENTRIES:,}. "
            "Split it into smaller files."
        )
    return parsed


# --- planning ------------------------------------------------------------------------------------------


def plan_import(parsed: ParsedFile) -> ImportPlan:
    """What each entry would do. The parsed file is left as it is (a commit plans it again)."""
    entries = [
        EntryPlan(0, problem.line, problem.key, "", Action.FAILED, problem.message) for problem in parsed.problems
    ]
    cleaned = []
    for original in parsed.records:
        record = copy.copy(original)
        tidy_record(record)
        problem = record_problem(record)
        if problem:
            entries.append(EntryPlan(0, record.line, record.key, record.title, Action.FAILED, problem, record))
        else:
            cleaned.append(record)
    # Normalising titles and names is most of the planning's own work: once per record.
    keys = {id(record): record_identities(record) for record in cleaned}
    known = _existing_matches(cleaned, keys)
    distinct = NotDuplicates.partners_of({source.pk for sources in known.values() for source in sources})
    merged = _merged_matches(cleaned, keys)
    in_file: dict[tuple, list[EntryPlan]] = {}
    for record in cleaned:
        entry = EntryPlan(
            0, record.line, record.key, record.title, Action.NEW, record=record, changes=list(record.changes)
        )
        existing = _best_match(record, keys[id(record)], known, distinct) or _merged_into(
            record, keys[id(record)], merged
        )
        if existing is not None:
            entry.existing = existing
            _compare(entry, _current_values(existing), existing.ordered_authors)
        else:
            earlier = first_match(record, keys[id(record)], in_file, record_of=lambda planned: planned.record)
            if earlier is not None:
                entry.earlier = earlier
                _compare(entry, source_values(earlier.record), earlier.record.authors)
            else:
                entry.reason = "not in the database"
                for key in keys[id(record)]:
                    in_file.setdefault(key, []).append(entry)
        entries.append(entry)
    entries.sort(key=lambda e: (e.line is None, e.line or 0))
    for number, entry in enumerate(entries, start=1):
        entry.number = number
    return ImportPlan(parsed.format, entries, list(parsed.notes), list(parsed.warnings))


def tidy_record(record: SourceRecord) -> None:
    """Put a record's values in the form a Source stores, in place: a DOI given as a link becomes the DOI
    inside it; DOI, PMID and PMCID are normalised as on every save (so comparisons see the same values);
    extra URLs move to the provenance. Anything else in the DOI field stays whole, to be validated: a
    malformed DOI fails its entry instead of being cut to the part that looks right."""
    _tidy_urls(record)
    link = DOI_LINK.match(record.doi.strip())
    if link:
        record.doi = link.group(1)
    record.doi = identifiers.normalise_doi(record.doi)
    record.pmid = identifiers.normalise_pmid(record.pmid)
    record.pmcid = identifiers.normalise_pmcid(record.pmcid)


def record_problem(record: SourceRecord) -> str:
    """Why a (tidied) record cannot become a Source (a missing title, a malformed DOI, a value too long),
    or "". Changes nothing."""
    if not record.title.strip():
        return "no title"
    try:
        Source(key="checked", **source_values(record)).clean_fields(exclude=["key", "author_names"])
    except ValidationError as error:
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    if len(record.authors) > MAX_AUTHORS:
        return f"{len(record.authors):,} authors: more than the {MAX_AUTHORS:,} a record may have"
    for name in record.authors:
        for part, limit in MAX_NAME_LENGTHS.items():
            if len(getattr(name, part)) > limit:
                return f"an author's {part} name is {len(getattr(name, part)):,} characters, over the limit of {limit}"
    return ""


def _tidy_urls(record: SourceRecord) -> None:
    """Mendeley and others put several URLs in one field: keep the first as the URL and the rest, not
    lost, in the provenance."""
    urls = record.url.split()
    if len(urls) > 1:
        record.url = urls[0]
        record.provenance = "\n".join(filter(None, [record.provenance, "Also at: " + " ".join(urls[1:])]))


# Values per `__in` lookup: well under every database's limit on the parameters of one query.
LOOKUP_CHUNK = 500


def _identity_lookups(records: list[SourceRecord], keys: dict[int, list[tuple]]) -> dict[str, set[str]]:
    """The indexed columns (of sources and of merged records) to look the records' identities up in."""
    return {
        "doi": {r.doi.lower() for r in records if r.doi},
        "pmid": {r.pmid for r in records if r.pmid},
        # The stored key is the normalised title cut short (identifiers.title_key).
        "title_key": {key[1][:TITLE_KEY_LENGTH] for one in keys.values() for key in one if key[0] == "title"},
    }


def _existing_matches(records: list[SourceRecord], keys: dict[int, list[tuple]]) -> dict[tuple, list[Source]]:
    """The database's sources that share an identity with any record, by identity.

    DOIs, PMIDs and title keys are looked up through their indexes, LOOKUP_CHUNK at a time, so the work
    grows with the file, not with the database (loading every source of the file's years took 19 s at
    100,000 sources); only the sources found are loaded, with their authors."""
    found = set()
    for column, values in _identity_lookups(records, keys).items():
        for chunk in _chunks(sorted(values)):
            found.update(Source.objects.filter(**{f"{column}__in": chunk}).values_list("pk", flat=True))
    wanted = {key for identities_of_one in keys.values() for key in identities_of_one}
    known: dict[tuple, list[Source]] = {}
    for chunk in _chunks(sorted(found)):
        for source in Source.objects.with_authors().filter(pk__in=chunk).order_by("pk"):
            first = source.ordered_authors[0].family if source.ordered_authors else ""
            for key in identities(source.doi, source.pmid, source.title, source.year, first):
                if key in wanted:
                    known.setdefault(key, []).append(source)
    return known


def _best_match(record: SourceRecord, keys: list[tuple], known: dict, distinct: set[frozenset[int]]) -> Source | None:
    """The stored source the record is the same work as: the first by the rule of `dedup`, unless curators
    marked it and another match "not duplicates" -- then the one the record differs from in fewest fields
    (the first on a tie), so a record of either work is not taken for the other."""
    first = first_match(record, keys, known)
    if first is None or not distinct:
        return first
    rivals = [
        source
        for key in keys
        for source in known.get(key, [])
        if frozenset((first.pk, source.pk)) in distinct and same_work(record, source, key[0])
    ]
    return min([first, *rivals], key=lambda source: _differences(record, source))


def _differences(record: SourceRecord, source: Source) -> int:
    incoming = source_values(record)
    return sum(
        incoming[name] not in ("", None)
        and getattr(source, name) not in ("", None)
        and comparable(getattr(source, name)) != comparable(incoming[name])
        for name in COMPARED_FIELDS
    )


def _merged_matches(records: list[SourceRecord], keys: dict[int, list[tuple]]) -> dict[tuple, list[MergedSource]]:
    """The merged records that share an identity with any record, by that identity (with their survivors),
    looked up through their indexes as the sources are."""
    found = set()
    for column, values in _identity_lookups(records, keys).items():
        for chunk in _chunks(sorted(values)):
            found.update(MergedSource.objects.filter(**{f"{column}__in": chunk}).values_list("pk", flat=True))
    wanted = {key for identities_of_one in keys.values() for key in identities_of_one}
    matches: dict[tuple, list[MergedSource]] = {}
    for chunk in _chunks(sorted(found)):
        merges = MergedSource.objects.filter(pk__in=chunk).prefetch_related("survivor__authorships__author")
        for merged in merges.order_by("pk"):
            for key in identities(merged.doi, merged.pmid, merged.title, merged.year, merged.first_author):
                if key in wanted:
                    matches.setdefault(key, []).append(merged)
    return matches


def _merged_into(record: SourceRecord, keys: list[tuple], merged: dict[tuple, list[MergedSource]]) -> Source | None:
    """The survivor of a merged record the record is the same work as: a curator merged that record away, so
    importing it again is the survivor's duplicate, not a new record. The merged record's DOI and PMID (or,
    where it had none, the survivor's) must not differ from the record's."""
    for key in keys:
        for merge in merged.get(key, []):
            survivor = merge.survivor
            remembered = SimpleNamespace(
                doi=merge.doi or survivor.doi,
                pmid=merge.pmid or survivor.pmid,
                **{name: getattr(survivor, name) for name in ISSUE_FIELDS},
            )
            if same_work(record, remembered, key[0]):
                return survivor
    return None


def _chunks(values: list) -> list[list]:
    return [values[start : start + LOOKUP_CHUNK] for start in range(0, len(values), LOOKUP_CHUNK)]


def _current_values(source: Source) -> dict:
    return {name: getattr(source, name) for name in COMPARED_FIELDS}


def _compare(entry: EntryPlan, current: dict, current_authors: list) -> None:
    """Fill what is empty; list what differs; never overwrite."""
    incoming = source_values(entry.record)
    for name in COMPARED_FIELDS:
        theirs, ours = incoming[name], current[name]
        if theirs in ("", None):
            continue
        if ours in ("", None):
            entry.fills[name] = theirs
        elif comparable(ours) != comparable(theirs):
            entry.conflicts[name] = (ours, theirs)
    names = [(a.family, a.given) for a in current_authors]
    incoming_names = [(n.family, n.given) for n in entry.record.authors]
    if incoming_names and not names:
        entry.fills["authors"] = entry.record.authors
    elif incoming_names and [normalised(f) for f, _ in incoming_names] != [normalised(f) for f, _ in names]:
        entry.conflicts["authors"] = ("; ".join(f for f, _ in names), "; ".join(f for f, _ in incoming_names))
    target = entry.existing.key if entry.existing else f"the entry at {entry.earlier.where} of this file"
    entry.action = Action.CONFLICT if entry.conflicts else Action.DUPLICATE
    filled = f"; fills {', '.join(entry.fills)}" if entry.fills else ""
    differs = f"; differs in {', '.join(entry.conflicts)} (kept as is)" if entry.conflicts else ""
    entry.reason = f"same work as {target}{filled}{differs}"


# --- committing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedFile:
    """The file an import came from, as its log keeps it."""

    filename: str
    sha256: str
    size: int

    @classmethod
    def of(cls, data: bytes, filename: str) -> ImportedFile:
        return cls(filename[:200], hashlib.sha256(data).hexdigest(), len(data))


@dataclass
class ImportResult:
    plan: ImportPlan  # as made inside the write transaction
    created: list[Source]
    updated: list[Source]
    batch: str  # in every record's provenance and history, so one import can be found as a whole
    earlier: ImportLog | None = None  # the first commit of the same file, if there was one

    def message(self, filename: str) -> str:
        """What the commit did, in a sentence for the curator."""
        done = (
            f"{count(len(self.created), 'new screening candidate')} written, "
            f"{count(len(self.updated), 'existing record')} filled in"
        )
        if self.earlier is None:
            return f"Imported {filename}: {self.plan.summary()}. {done}."
        before = (
            f"{filename} was already imported by {self.earlier.committed_by or 'no named user'} "
            f"on {self.earlier.committed_at:%Y-%m-%d %H:%M} UTC (batch {self.earlier.batch})"
        )
        if not (self.created or self.updated):
            return f"{before}: nothing written, every entry is already in the database ({self.plan.summary()})."
        return f"{before}; imported again: {self.plan.summary()}. {done}."


def commit_import(
    parsed: ParsedFile, user=None, provenance: str = "", origin: ImportedFile | None = None
) -> ImportResult:
    """Plan the parsed file and write the plan: all of it or (on any error) nothing. Entries that failed are
    skipped, not written. New sources, their history rows and their author links go in with bulk inserts.

    The plan is made inside the write transaction, under the import lock: a commit acts on the database as
    the commit before it left it. With an `origin`, the import is logged (ImportLog) unless it repeats a
    logged file and writes nothing."""
    batch = f"import-{uuid.uuid4().hex[:10]}"
    provenance = f"{provenance} ({batch})".strip()
    with transaction.atomic():
        _lock_imports()
        caching.changed()  # bulk inserts send no signals
        plan = plan_import(parsed)
        authors = _authors_for(plan)
        # Merged records' keys redirect to their survivors: never given out again.
        taken = set(Source.objects.values_list("key", flat=True)) | set(
            MergedSource.objects.values_list("key", flat=True)
        )
        new_entries = [entry for entry in plan.entries if entry.action == Action.NEW]
        unsaved = [_new_source(entry.record, authors, taken, user, provenance) for entry in new_entries]
        # The history rows say which import made each source (bulk inserts send no signals, so these
        # are written here, as are title_key and author_names above).
        created = bulk_create_with_history(unsaved, Source, default_user=user, default_change_reason=batch)
        Authorship.objects.bulk_create(
            Authorship(source=source, author=authors[(name.family, name.given)], position=position)
            for source, entry in zip(created, new_entries, strict=True)
            for position, name in enumerate(entry.record.authors, start=1)
        )
        refresh_linked_terms(source.pk for source in created)  # design and population, for the search
        new_sources = {id(entry): source for entry, source in zip(new_entries, created, strict=True)}
        updated = []
        for entry in plan.entries:
            if entry.action in (Action.DUPLICATE, Action.CONFLICT) and entry.fills:
                target = entry.existing or new_sources[id(entry.earlier)]
                _fill(target, entry.fills, authors, user, batch)
                if entry.existing:
                    updated.append(target)
        earlier = None
        if origin is not None:
            earlier = (
                ImportLog.objects.select_related("committed_by")
                .filter(sha256=origin.sha256)
                .order_by("committed_at", "pk")
                .first()
            )
            if earlier is None or created or updated:
                ImportLog.objects.create(
                    sha256=origin.sha256,
                    filename=origin.filename,
                    format=plan.format,
                    size=origin.size,
                    batch=batch,
                    committed_by=user,
                    summary=plan.summary(),
                    created=len(created),
                    filled=len(updated),
                )
    return ImportResult(plan, created, updated, batch, earlier)


def is_lock_timeout(error: Exception) -> bool:
    """Whether a database error is SQLite giving up on the write lock (after settings' busy_timeout) while
    another import holds it: the import can simply be committed again."""
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def _lock_imports() -> None:
    """Wait for any other import to finish, then hold the lock until this transaction ends. On SQLite the
    transaction already holds the database's write lock: settings begin every one IMMEDIATE."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def _authors_for(plan: ImportPlan) -> dict[tuple[str, str], Author]:
    """Every author the plan names, reused when they exist, created (in bulk) when not."""
    names: dict[tuple[str, str], PersonName] = {}
    for entry in plan.entries:
        people = entry.record.authors if entry.action == Action.NEW else entry.fills.get("authors", [])
        for name in people:
            names.setdefault((name.family, name.given), name)
    families = sorted({family for family, _ in names})

    def stored() -> dict[tuple[str, str], Author]:
        return {(a.family, a.given): a for chunk in _chunks(families) for a in Author.objects.filter(family__in=chunk)}

    existing = stored()
    Author.objects.bulk_create(
        Author(family=family, given=given, is_organization=name.is_organization)
        for (family, given), name in names.items()
        if (family, given) not in existing
    )
    return stored()


def _new_source(record: SourceRecord, authors: dict, taken: set[str], user, provenance: str) -> Source:
    values = source_values(record)
    values["provenance"] = "\n".join(filter(None, [record.provenance, provenance]))
    first = record.authors[0].family if record.authors else None
    key = identifiers.citation_key(first, record.title, record.year, lambda stem: taken, preferred=record.key)
    taken.add(key)
    return Source(
        key=key,
        curation_status=CurationStatus.DRAFT,
        screening_status=ScreeningStatus.CANDIDATE,  # not public until included at screening
        author_names="; ".join(str(authors[(name.family, name.given)]) for name in record.authors),
        title_key=identifiers.title_key(record.title),
        created_by=user,
        updated_by=user,
        **values,
    )


def _fill(source: Source, fills: dict, authors: dict, user, batch: str) -> None:
    for name, value in fills.items():
        if name != "authors" and getattr(source, name) in ("", None):
            setattr(source, name, value)
    source.updated_by = user
    source._change_reason = batch
    source.save()
    if "authors" in fills and not source.authorships.exists():
        Authorship.objects.bulk_create(
            Authorship(source=source, author=authors[(n.family, n.given)], position=position)
            for position, n in enumerate(fills["authors"], start=1)
        )
        source.refresh_author_names()


def report_lines(plan: ImportPlan) -> list[str]:
    """The plan as lines of text, one per entry, then the file's notes and warnings and the summary."""
    lines = [
        f"{entry.where:>12}  {entry.action.value:<9}  {entry.file_key or '-'}: {entry.title[:70] or '(no title)'}"
        + (f"\n{'':>14}{entry.reason}" if entry.reason else "")
        + "".join(f"\n{'':>14}changed: {change}" for change in entry.changes)
        for entry in plan.entries
    ]
    lines += [f"note: {note}" for note in plan.notes]
    lines += [f"warning: {warning}" for warning in plan.warnings]
    return [*lines, plan.summary()]


def source_with_same_title(title: str, year: int | None, other_than: Source | None = None) -> Source | None:
    """The source with this title (compared normalised) and year, if there is one: a second record of it
    added by hand is refused (DOI and PMID are unique already, but many records have neither). For an
    existing source (`other_than`), itself and the sources marked "not duplicates" of it do not count."""
    candidates = Source.objects.filter(year=year, title_key=identifiers.title_key(title))
    if other_than is not None and other_than.pk is not None:
        marks = NotDuplicates.objects.filter(Q(first=other_than) | Q(second=other_than))
        candidates = candidates.exclude(pk=other_than.pk).exclude(
            Q(pk__in=marks.values("first")) | Q(pk__in=marks.values("second"))
        )
    return first_with_title_and_year(title, year, candidates)
