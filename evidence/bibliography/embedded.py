"""Citation metadata embedded in our pages, so that Zotero's Connector, Mendeley's importer and Google
Scholar save the article itself rather than a snapshot of the page:

- Highwire Press `citation_*` meta tags (Google Scholar's inclusion guidelines; Zotero's Embedded
  Metadata translator reads them first),
- schema.org `ScholarlyArticle` JSON-LD,
- COinS (OpenURL ContextObjects in spans) for each source in a list.

Built from the public record only (records_of / record_from_source without `internal`): nothing
curators keep for themselves appears here.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from .records import PersonName, SourceRecord

# Our entry types -> schema.org types and OpenURL genres.
SCHEMA_TYPES = {
    "article": "ScholarlyArticle",
    "review": "ScholarlyArticle",
    "book": "Book",
    "chapter": "Chapter",
    "report": "Report",
    "webpage": "WebPage",
    "regulatory": "Legislation",
    "dataset": "Dataset",
}
JOURNAL_TYPES = {"article", "review"}


def _name(name: PersonName) -> str:
    """Family, Given: the form Google Scholar and Zotero read without guessing; an organisation whole."""
    return f"{name.family}, {name.given}" if name.given and not name.is_organization else name.family


def _page_parts(pages: str) -> tuple[str, str]:
    start, _, end = pages.replace("—", "-").replace("–", "-").replace("--", "-").partition("-")
    return start.strip(), end.strip()


def _date(record: SourceRecord) -> str:
    if not record.year:
        return ""
    return f"{record.year}/{record.month:02d}" if record.month else str(record.year)


def highwire_tags(record: SourceRecord, page_url: str = "") -> list[tuple[str, str]]:
    """(name, content) of each `citation_*` meta tag, in the order Google Scholar documents."""
    first_page, last_page = _page_parts(record.pages)
    journal = record.entry_type in JOURNAL_TYPES
    tags = [
        ("citation_title", record.title),
        *(("citation_author", _name(name)) for name in record.authors),
        ("citation_publication_date", _date(record)),
        ("citation_journal_title", record.container_title if journal else ""),
        ("citation_journal_abbrev", record.journal_abbreviation if journal else ""),
        ("citation_inbook_title", record.container_title if record.entry_type == "chapter" else ""),
        ("citation_volume", record.volume),
        ("citation_issue", record.issue),
        ("citation_firstpage", first_page),
        ("citation_lastpage", last_page),
        ("citation_publisher", record.publisher),
        ("citation_technical_report_institution", record.publisher if record.entry_type == "report" else ""),
        ("citation_technical_report_number", record.issue if record.entry_type == "report" else ""),
        ("citation_doi", record.doi),
        ("citation_pmid", record.pmid),
        ("citation_abstract_html_url", page_url),
        ("citation_public_url", record.url),
        ("citation_keywords", record.keywords),
    ]
    return [(name, value) for name, value in tags if value]


def json_ld(record: SourceRecord, page_url: str = "") -> str:
    """schema.org JSON-LD for a <script type="application/ld+json">, safe inside HTML (no "</")."""
    first_page, last_page = _page_parts(record.pages)
    identifiers = [
        {"@type": "PropertyValue", "propertyID": kind, "value": value}
        for kind, value in (("DOI", record.doi), ("PMID", record.pmid), ("PMCID", record.pmcid))
        if value
    ]
    container = None
    if record.container_title:
        container = {"@type": "Periodical" if record.entry_type in JOURNAL_TYPES else "CreativeWork"}
        container["name"] = record.container_title
        if record.journal_abbreviation:
            container["alternateName"] = record.journal_abbreviation
        if record.volume:
            container = {"@type": "PublicationVolume", "volumeNumber": record.volume, "isPartOf": container}
        if record.issue and record.entry_type in JOURNAL_TYPES:
            container = {"@type": "PublicationIssue", "issueNumber": record.issue, "isPartOf": container}
    data = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(record.entry_type, "CreativeWork"),
        "name": record.title,
        "headline": record.title[:110],
        "author": [
            {"@type": "Organization", "name": name.family}
            if name.is_organization
            else {"@type": "Person", "familyName": name.family, "givenName": name.given, "name": _display(name)}
            for name in record.authors
        ],
        "datePublished": _date(record).replace("/", "-"),
        "isPartOf": container,
        "pageStart": first_page,
        "pageEnd": last_page,
        "publisher": {"@type": "Organization", "name": record.publisher} if record.publisher else None,
        "identifier": identifiers,
        "sameAs": [f"https://doi.org/{record.doi}"] if record.doi else [],
        "url": page_url,
        "abstract": record.abstract,
        "keywords": record.keywords,
    }
    data = {key: value for key, value in data.items() if value not in (None, "", [])}
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # Inside <script>, "</script>" or "<!--" in a title would end or confuse the element.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _display(name: PersonName) -> str:
    return f"{name.given} {name.family}".strip()


def coins(record: SourceRecord) -> str:
    """The title attribute of a COinS span (Z39.88-2004 KEV): journal articles as `journal`, the rest
    as `book` with a genre, as Zotero's COinS translator expects."""
    first_page, last_page = _page_parts(record.pages)
    journal = record.entry_type in JOURNAL_TYPES
    chapter = record.entry_type == "chapter"
    genre = "article" if journal else {"chapter": "bookitem", "report": "report"}.get(record.entry_type, "book")
    fields: list[tuple[str, str]] = [
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", f"info:ofi/fmt:kev:mtx:{'journal' if journal else 'book'}"),
        ("rft.genre", genre),
        ("rft.atitle" if journal or chapter else "rft.btitle", record.title),
        ("rft.jtitle" if journal else "rft.btitle", record.container_title if journal or chapter else ""),
        ("rft.stitle", record.journal_abbreviation if journal else ""),
        ("rft.date", str(record.year or "")),
        ("rft.volume", record.volume),
        ("rft.issue", record.issue),
        ("rft.spage", first_page),
        ("rft.epage", last_page),
        ("rft.pub", record.publisher),
    ]
    for name in record.authors:
        if name.is_organization:
            fields.append(("rft.aucorp", name.family))
        else:
            fields += [("rft.aulast", name.family), ("rft.aufirst", name.given)]
    fields.append(("rft_id", f"info:doi/{record.doi}" if record.doi else ""))
    fields.append(("rft_id", f"info:pmid/{record.pmid}" if record.pmid else ""))
    return urlencode([(key, value) for key, value in fields if value])
