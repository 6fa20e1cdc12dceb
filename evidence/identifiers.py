"""Identifiers of a citation: DOI, PMID, PMCID and the citation key. Pure functions, no database."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Container

from django.core.exceptions import ValidationError

DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_PATTERN = re.compile(r"^[1-9]\d{0,8}$")
PMCID_PATTERN = re.compile(r"^PMC\d{1,9}$")
# Resolver prefixes people paste along with a DOI; the DOI itself starts at "10.".
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
KEY_MAX_LENGTH = 64
# What a citation key may hold: BibTeX's safe characters, but no "/", which a source's URL
# (/sources/<key>/) cannot carry: a key with one made every page that links the source fail.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_:.\-+]+$")


def normalise_doi(value: str) -> str:
    """Lower-case a DOI and strip resolver prefixes: DOIs are case-insensitive by definition."""
    return DOI_PREFIX.sub("", value.strip()).lower()


def normalise_pmid(value: str) -> str:
    return value.strip().removeprefix("PMID:").strip()


def normalise_pmcid(value: str) -> str:
    value = value.strip().upper()
    return value if not value or value.startswith("PMC") else f"PMC{value}"


def validate_doi(value: str) -> None:
    if not DOI_PATTERN.match(value):
        raise ValidationError(
            "%(value)s is not a DOI: a DOI starts with 10., a 4-9 digit registrant code, "
            "a slash and a suffix without spaces (e.g. 10.1021/jacs.6b00360).",
            code="invalid_doi",
            params={"value": value},
        )


def validate_pmid(value: str) -> None:
    if not PMID_PATTERN.match(value):
        raise ValidationError(
            "%(value)s is not a PubMed ID: a PMID is a number of up to 9 digits.",
            code="invalid_pmid",
            params={"value": value},
        )


def validate_pmcid(value: str) -> None:
    if not PMCID_PATTERN.match(value):
        raise ValidationError(
            "%(value)s is not a PubMed Central ID: it looks like PMC5344672.",
            code="invalid_pmcid",
            params={"value": value},
        )


def key_stem(family_name: str, year: int | None) -> str:
    """`Váradi`, 2016 -> `Varadi2016`; an organisation's name is run together in CamelCase."""
    ascii_name = unicodedata.normalize("NFKD", family_name).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_name)
    stem = "".join(word[:1].upper() + word[1:] for word in words) or "Anon"
    return f"{stem[: KEY_MAX_LENGTH - 8]}{year or 'nd'}"


def citation_key(
    first_author: str | None,
    title: str,
    year: int | None,
    keys_in_use: Callable[[str], Container[str]],
    preferred: str = "",
) -> str:
    """The key of a new source: `preferred` (the key a file gives it) when it is a well-formed key not in
    use; else the first author's family name (with no author, the title's first word; with neither,
    "Anon") and the year, made unique. `keys_in_use(prefix)` gives the keys taken that start with the
    prefix (a superset will do), so a caller can fetch only those or hand over every key it holds."""
    if preferred and len(preferred) <= KEY_MAX_LENGTH and KEY_PATTERN.match(preferred):
        if preferred not in keys_in_use(preferred):
            return preferred
    name = first_author if first_author is not None else (title.split() or ["Anon"])[0]
    stem = key_stem(name, year)
    return unique_key(stem, keys_in_use(stem))


def unique_key(stem: str, taken: Container[str]) -> str:
    """The stem itself if free, else the stem suffixed a, b, … z, aa, ab … as BibTeX tools do."""
    if stem not in taken:
        return stem
    index = 0
    while True:
        suffix = _letters(index)
        if f"{stem}{suffix}" not in taken:
            return f"{stem}{suffix}"
        index += 1


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("a") + remainder) + letters
    return letters


def normalised(text: str) -> str:
    """Case, accents, punctuation and spacing removed: `Kratom: A “Review”` -> `kratom a review`."""
    letters = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return " ".join(re.findall(r"[^\W_]+", letters.casefold()))


# Long enough to tell titles apart, short enough for any database's index (PostgreSQL's B-tree takes
# ~2,700 bytes an entry); titles equal this far are compared whole in Python.
TITLE_KEY_LENGTH = 200


def title_key(title: str) -> str:
    return normalised(title)[:TITLE_KEY_LENGTH]
