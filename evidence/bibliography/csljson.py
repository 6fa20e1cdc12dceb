"""CSL-JSON <-> SourceRecord. CSL-JSON is what citeproc processors, Zotero and pandoc exchange.

Our curated fields (study design, population, n, finding, provenance) travel in the item's `custom`
object, which the CSL-JSON schema provides for exactly that; so does a truncated author list, which
CSL has no name for (a person called "others" is what it must not become). Titles keep their case,
with the words no style may change in `<span class="nocase">`, as Zotero writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from .case import nocase_markup, strip_nocase
from .records import (
    ET_AL_NAMES,
    ParsedFile,
    PersonName,
    ReadProblem,
    SourceRecord,
    join_keywords,
    split_keywords,
    written_keywords,
)

CSL_TYPES = {
    "article": "article-journal",
    "review": "article-journal",
    "book": "book",
    "chapter": "chapter",
    "report": "report",
    "webpage": "webpage",
    "regulatory": "legislation",
    "dataset": "dataset",
}
READ_TYPES = {
    "article-journal": "article",
    "article": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "review": "review",
    "book": "book",
    "chapter": "chapter",
    "paper-conference": "chapter",
    "entry-encyclopedia": "chapter",
    "report": "report",
    "thesis": "report",
    "webpage": "webpage",
    "post-weblog": "webpage",
    "post": "webpage",
    "legislation": "regulatory",
    "regulation": "regulatory",
    "bill": "regulatory",
    "dataset": "dataset",
}
CUSTOM_FIELDS = (
    "study_design",
    "population",
    "sample_size",
    "sample_size_unit",
    "summary",
    "provenance",
    "entry_type",
    "howpublished",
    "authors_truncated",
)

YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")


def parse_csljson(text: str) -> ParsedFile:
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as error:
        return ParsedFile("csljson", [], [ReadProblem(error.lineno, f"not valid JSON: {error.msg}")])
    items = data if isinstance(data, list) else [data]
    records, problems = [], []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(ReadProblem(None, f"item {number} is not an object"))
            continue
        try:
            record = item_to_record(item)
        except (TypeError, ValueError, AttributeError) as error:
            problems.append(ReadProblem(None, f"item {number} ({item.get('id', 'no id')}): {error}"))
            continue
        records.append(record)
    return ParsedFile("csljson", records, problems)


def item_to_record(item: dict) -> SourceRecord:
    record = SourceRecord()
    record.key = str(item.get("id", "") or "")
    record.entry_type = READ_TYPES.get(str(item.get("type", "")), "article")
    record.title = strip_nocase(_text(item.get("title")))
    names = [_name(name) for name in item.get("author", []) or [] if isinstance(name, dict)]
    record.authors = [name for name in names if name.family or name.given]  # Zotero writes {} for a blank row
    if record.authors and not record.authors[-1].given and record.authors[-1].family.lower() in ET_AL_NAMES:
        record.authors, record.authors_truncated = record.authors[:-1], True
    record.year, record.month = _date(item.get("issued"))
    record.container_title = _text(item.get("container-title"))
    record.journal_abbreviation = _text(item.get("container-title-short")) or _text(item.get("journalAbbreviation"))
    record.volume, record.issue = _text(item.get("volume")), _text(item.get("issue"))
    record.pages = _text(item.get("page"))
    record.publisher, record.place = _text(item.get("publisher")), _text(item.get("publisher-place"))
    record.report_type = _text(item.get("genre"))
    record.doi, record.pmid, record.pmcid = _text(item.get("DOI")), _text(item.get("PMID")), _text(item.get("PMCID"))
    record.url, record.abstract = _text(item.get("URL")), _text(item.get("abstract"))
    record.keywords = join_keywords(split_keywords(_text(item.get("keyword"))))
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    for name in CUSTOM_FIELDS:
        if name in custom and custom[name] not in (None, ""):
            setattr(record, name, custom[name] if name in ("sample_size", "authors_truncated") else str(custom[name]))
    record.authors_truncated = record.authors_truncated is True
    if record.sample_size is not None and not isinstance(record.sample_size, int):
        record.sample_size = int(record.sample_size) if str(record.sample_size).isdigit() else None
    return record


def _text(value) -> str:
    return str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _name(name: dict) -> PersonName:
    if name.get("literal"):
        return PersonName(_text(name["literal"]), is_organization=True)
    family = " ".join(filter(None, [_text(name.get("non-dropping-particle")), _text(name.get("family"))]))
    given = " ".join(filter(None, [_text(name.get("given")), _text(name.get("dropping-particle"))]))
    return PersonName(family, given)


def _date(value) -> tuple[int | None, int | None]:
    if not isinstance(value, dict):
        return None, None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        year = int(parts[0][0]) if str(parts[0][0]).isdigit() else None
        month = int(parts[0][1]) if len(parts[0]) > 1 and str(parts[0][1]).isdigit() else None
        return year, month if month and 1 <= month <= 12 else None
    found = YEAR.search(_text(value.get("raw")) or _text(value.get("literal")))
    return (int(found.group(1)) if found else None), None


def record_to_item(record: SourceRecord) -> dict:
    date = [record.year, record.month] if record.month else [record.year]
    item = {
        "id": record.key,
        "type": CSL_TYPES.get(record.entry_type, "document"),
        "title": nocase_markup(record.title),
        "author": [
            {"literal": n.family}
            if n.is_organization
            else {"family": n.family, **({"given": n.given} if n.given else {})}
            for n in record.authors
        ],
        "issued": {"date-parts": [date]} if record.year else None,
        "container-title": record.container_title,
        "container-title-short": record.journal_abbreviation,
        "volume": record.volume,
        "issue": record.issue,
        "page": record.pages,
        "publisher": record.publisher,
        "publisher-place": record.place,
        "genre": record.report_type,
        "DOI": record.doi,
        "PMID": record.pmid,
        "PMCID": record.pmcid,
        "URL": record.url,
        "abstract": record.abstract,
        "keyword": written_keywords(record.keywords),
        "note": record.retraction,
        "custom": {
            name: getattr(record, name) for name in CUSTOM_FIELDS if getattr(record, name) not in (None, "", False)
        },
    }
    return {name: value for name, value in item.items() if value not in (None, "", [], {})}


def write_csljson(records: Iterable[SourceRecord]) -> Iterator[str]:
    """A JSON array written item by item, so that large sets stream."""
    yield "["
    for number, record in enumerate(records):
        yield ("," if number else "") + "\n" + json.dumps(record_to_item(record), ensure_ascii=False, indent=1)
    yield "\n]\n"
