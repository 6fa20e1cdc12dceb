"""Bibliography import: plan what each entry would do (new, duplicate, conflict, failed), then commit
the plan in one transaction. Planning writes nothing, so the same code serves the admin's preview and
`import_bibliography --dry-run`.

Duplicates are found by the rule of `dedup` (DOI, then PMID, then normalised title + year + first
author) against the database and within the file; this module looks the candidates up. A duplicate only
fills fields that are empty on the record it matches; where both have a value and they differ, the
existing (curated) value stays and the difference is listed as a conflict.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from .. import identifiers
from ..identifiers import TITLE_KEY_LENGTH, normalised
from ..models import Author, Authorship, Source
from ..vocabularies import CurationStatus, ScreeningStatus
from ..wording import count
from .dedup import comparable, first_match, first_with_title_and_year, identities, record_identities
from .records import ParsedFile, PersonName, ReadProblem, SourceRecord
from .sources import source_values

# The largest consortium papers list about 3,000 authors; a longer list is an error in the file.
MAX_AUTHORS = 5_000
DOI_INSIDE = re.compile(r"10\.\d{4,9}/\S+")
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

    def summary(self) -> str:
        return (
            f"{self.count(Action.NEW)} new, {count(self.count(Action.DUPLICATE), 'duplicate')}, "
            f"{count(self.count(Action.CONFLICT), 'conflict')}, {self.count(Action.FAILED)} failed"
        )


# --- planning ------------------------------------------------------------------------------------------


def plan_import(parsed: ParsedFile) -> ImportPlan:
    entries = [
        EntryPlan(0, problem.line, problem.key, "", Action.FAILED, problem.message) for problem in parsed.problems
    ]
    cleaned = []
    for record in parsed.records:
        tidy_record(record)
        problem = record_problem(record)
        if problem:
            entries.append(EntryPlan(0, record.line, record.key, record.title, Action.FAILED, problem, record))
        else:
            cleaned.append(record)
    # Normalising titles and names is most of the planning's own work: once per record.
    keys = {id(record): record_identities(record) for record in cleaned}
    known = _existing_matches(cleaned, keys)
    in_file: dict[tuple, list[EntryPlan]] = {}
    for record in cleaned:
        entry = EntryPlan(0, record.line, record.key, record.title, Action.NEW, record=record)
        existing = first_match(record, keys[id(record)], known)
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
    extra URLs move to the provenance."""
    _tidy_urls(record)
    found = DOI_INSIDE.search(record.doi)
    if found:  # a DOI given as a link (doi.org, doi.acm.org …): the DOI inside it
        record.doi = found.group(0)
    record.doi = identifiers.normalize_doi(record.doi)
    record.pmid = identifiers.normalize_pmid(record.pmid)
    record.pmcid = identifiers.normalize_pmcid(record.pmcid)


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
    if any(len(name.family) > 300 or len(name.given) > 200 for name in record.authors):
        return "an author name is longer than 300 characters"
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


def _existing_matches(records: list[SourceRecord], keys: dict[int, list[tuple]]) -> dict[tuple, list[Source]]:
    """The database's sources that share an identity with any record, by identity.

    DOIs, PMIDs and title keys are looked up through their indexes, LOOKUP_CHUNK at a time, so the work
    grows with the file, not with the database (loading every source of the file's years took 19 s at
    100,000 sources); only the sources found are loaded, with their authors."""
    lookups = {
        "doi": {r.doi.lower() for r in records if r.doi},
        "pmid": {r.pmid for r in records if r.pmid},
        # The stored key is the normalised title cut short (identifiers.title_key).
        "title_key": {key[1][:TITLE_KEY_LENGTH] for one in keys.values() for key in one if key[0] == "title"},
    }
    found = set()
    for column, values in lookups.items():
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


@dataclass
class ImportResult:
    created: list[Source]
    updated: list[Source]
    batch: str  # in every record's provenance and history, so one import can be found as a whole


def commit_import(plan: ImportPlan, user=None, provenance: str = "") -> ImportResult:
    """Write the plan: all of it or (on any error) nothing. Entries that failed are skipped, not written.
    New sources, their history rows and their author links go in with bulk inserts."""
    batch = f"import-{uuid.uuid4().hex[:10]}"
    provenance = f"{provenance} ({batch})".strip()
    with transaction.atomic():
        authors = _authors_for(plan)
        taken = set(Source.objects.values_list("key", flat=True))
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
        new_sources = {id(entry): source for entry, source in zip(new_entries, created, strict=True)}
        updated = []
        for entry in plan.entries:
            if entry.action in (Action.DUPLICATE, Action.CONFLICT) and entry.fills:
                target = entry.existing or new_sources[id(entry.earlier)]
                _fill(target, entry.fills, authors, user, batch)
                if entry.existing:
                    updated.append(target)
    return ImportResult(created, updated, batch)


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
        for entry in plan.entries
    ]
    lines += [f"note: {note}" for note in plan.notes]
    lines += [f"warning: {warning}" for warning in plan.warnings]
    return [*lines, plan.summary()]


def source_with_same_title(title: str, year: int | None) -> Source | None:
    """The source with this title (compared normalised) and year, if there is one: a second record of it
    added by hand is refused (DOI and PMID are unique already, but many records have neither)."""
    candidates = Source.objects.filter(year=year, title_key=identifiers.title_key(title))
    return first_with_title_and_year(title, year, candidates)
