"""Source rows <-> SourceRecords: the one place the model and the neutral record meet."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from .records import PersonName, SourceRecord

# Fields copied one to one between a Source and a SourceRecord.
SHARED_FIELDS = (
    "key entry_type title authors_truncated year month container_title journal_abbreviation volume "
    " issue pages publisher place report_type "
    "howpublished doi pmid pmcid url abstract summary keywords study_design population sample_size "
    "sample_size_unit provenance"
).split()
EXPORT_CHUNK = 500
# Curators' own fields: where a record's metadata was seen. Never in a public file or page's metadata;
# a curator's export (export_bibliography --internal) carries them.
INTERNAL_FIELDS = ("provenance",)


def record_from_source(source, internal: bool = False) -> SourceRecord:
    """Expects the source's authorships prefetched (Source.objects.with_authors())."""
    record = SourceRecord(**{name: getattr(source, name) for name in SHARED_FIELDS})
    if not internal:
        for name in INTERNAL_FIELDS:
            setattr(record, name, "")
    record.authors = [
        PersonName(author.family, author.given, author.is_organization) for author in source.ordered_authors
    ]
    record.year = source.year
    record.retraction = source.retraction_note
    return record


def records_of(sources: QuerySet, internal: bool = False) -> Iterator[SourceRecord]:
    """Records in the queryset's order, read in chunks so that memory stays flat for any number."""
    for source in sources.with_authors().iterator(chunk_size=EXPORT_CHUNK):
        yield record_from_source(source, internal)


def source_values(record: SourceRecord) -> dict:
    """A record's values for Source fields (not the key, which the database allocates)."""
    values = {name: getattr(record, name) for name in SHARED_FIELDS if name != "key"}
    values["sample_size"] = record.sample_size
    return {name: ("" if value is None and name not in NULLABLE else value) for name, value in values.items()}


NULLABLE = {"year", "month", "sample_size"}
