"""A record fetched by its DOI (Crossref's CSL JSON, by content negotiation on doi.org) or its PMID (PubMed
E-utilities efetch, MEDLINE format), read by the same readers as an imported file. The base URLs, the
timeout and the contact in the User-Agent are settings; every failure is a LookupFailed with a message a
curator can act on. Nothing here writes: adding the record is an import (bibliography.importer)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from . import identifiers
from .bibliography.formats import parse
from .bibliography.records import ParsedFile

CSL_JSON = "application/vnd.citationstyles.csl+json"
MAX_BYTES = 2 * 1024 * 1024  # one record's metadata; anything larger is not an answer to our question


class LookupFailed(Exception):
    """The identifier could not be looked up; the message says why and what to do."""


@dataclass(frozen=True)
class Identifier:
    kind: str  # "doi" or "pmid"
    value: str

    @property
    def service(self) -> str:
        return "Crossref" if self.kind == "doi" else "PubMed"

    @property
    def format(self) -> str:
        return "csljson" if self.kind == "doi" else "medline"

    def __str__(self) -> str:
        return f"{'DOI' if self.kind == 'doi' else 'PMID'} {self.value}"


def read_identifier(text: str) -> Identifier:
    """A DOI (bare, doi:… or a doi.org link) or a PMID (digits, or PMID:…); anything else is refused."""
    text = text.strip()
    if not text:
        raise LookupFailed("Type a DOI (like 10.1021/jacs.6b00360) or a PubMed ID (like 26849522).")
    pmid = identifiers.normalise_pmid(text)
    if pmid.isdigit():
        if not identifiers.PMID_PATTERN.match(pmid):
            raise LookupFailed(f"{text} is not a PubMed ID: a PMID is 1 to 9 digits, not starting with 0.")
        return Identifier("pmid", pmid)
    doi = identifiers.normalise_doi(text)
    try:
        identifiers.validate_doi(doi)
    except ValidationError as error:
        raise LookupFailed(f"{text} is neither a PubMed ID nor a DOI. {error.messages[0]}") from error
    return Identifier("doi", doi)


def request_for(identifier: Identifier) -> urllib.request.Request:
    agent = f"KratomEvidenceBase/1.0 (mailto:{settings.LOOKUP_CONTACT})"
    if identifier.kind == "doi":
        url = settings.DOI_RESOLVER_URL.rstrip("/") + "/" + urllib.parse.quote(identifier.value, safe="/:;()")
        return urllib.request.Request(url, headers={"Accept": CSL_JSON, "User-Agent": agent})
    query = {
        "db": "pubmed",
        "id": identifier.value,
        "rettype": "medline",
        "retmode": "text",
        "tool": "kratom-evidence-base",
        "email": settings.LOOKUP_CONTACT,
    }
    url = f"{settings.PUBMED_EFETCH_URL}?{urllib.parse.urlencode(query)}"
    return urllib.request.Request(url, headers={"User-Agent": agent})


def fetch(identifier: Identifier) -> bytes:
    """The service's answer, as bytes; LookupFailed when it is unreachable, slow, or knows no such record."""
    request = request_for(identifier)
    host = urllib.parse.urlsplit(request.full_url).netloc
    try:
        with urllib.request.urlopen(request, timeout=settings.LOOKUP_TIMEOUT_SECONDS) as response:  # noqa: S310
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise LookupFailed(
                f"{identifier.service} knows no record with {identifier} ({host} answered 404)."
            ) from error
        raise LookupFailed(f"{host} answered {error.code} for {identifier}: try again later.") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise LookupFailed(
            f"Could not reach {host} to look up {identifier} ({reason}). The site may be offline: try again "
            "later, or import a file exported from the database."
        ) from error
    if len(data) > MAX_BYTES:
        raise LookupFailed(f"{host} sent more than {MAX_BYTES:,} bytes for {identifier}: not one record.")
    return data


def read_answer(identifier: Identifier, data: bytes) -> ParsedFile:
    """The answer read by our reader for its format; exactly one record, or LookupFailed."""
    if not data.strip():
        raise LookupFailed(f"{identifier.service} knows no record with {identifier} (it sent an empty answer).")
    try:
        parsed = parse(data, identifier.format)
    except ValueError as error:
        raise LookupFailed(f"The answer for {identifier} could not be read: {error}") from error
    if len(parsed.records) != 1 or parsed.problems:
        problems = "; ".join(str(problem.message) for problem in parsed.problems) or f"{len(parsed.records)} records"
        raise LookupFailed(f"The answer for {identifier} is not one readable record ({problems}).")
    return parsed


def look_up(text: str) -> tuple[Identifier, bytes, ParsedFile]:
    identifier = read_identifier(text)
    data = fetch(identifier)
    return identifier, data, read_answer(identifier, data)
