"""The demo data: the curated files in ../shared/data turned into Django fixtures, record for record.

Nothing is added here that the shared files do not hold, with three documented exceptions that are
labels rather than evidence: the compounds' names and abbreviations, the seed article's title
(from its slug), and the sources' "compounds studied", tagged by COMPOUND_MENTIONS below because
sources.bib has no such field. docs/data-model.md explains each.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from .bibliography.bibtex import read_bibtex
from .bibliography.records import SourceRecord
from .bibliography.sources import SHARED_FIELDS
from .vocabularies import CurationStatus, RetractionStatus

SEED_ARTICLE_SLUG = "kratom-for-chronic-pain"
SEED_ARTICLE_TITLE = "Kratom for chronic pain"
# Fixtures must carry timestamps (loaddata bypasses auto_now); a fixed one keeps them reproducible.
CURATED_AT = "2026-11-25T00:00:00Z"
FIXTURE_FILES = ("compounds", "sources", "seed_article", "adverse_effects")

COMPOUNDS = [
    {
        "slug": "mitragynine",
        "name": "Mitragynine",
        "synonyms": "MG",
        "description": "The most abundant indole alkaloid of Mitragyna speciosa leaves.",
    },
    {
        "slug": "7-hydroxymitragynine",
        "name": "7-Hydroxymitragynine",
        "synonyms": "7-OH\n7-OH-MG\n7-hydroxy-mitragynine",
        "description": "A minor alkaloid of the leaf, also formed from mitragynine in the body.",
    },
    {
        "slug": "kratom",
        "name": "Kratom leaf / product",
        "synonyms": "kratom\nMitragyna speciosa\nketum\nkrathom\nbiak\nkakuam\nthom",
        "description": "Studies of the whole plant, its leaves or marketed kratom products.",
    },
]
# A source studies a compound when its title or curated summary names it, or when it reports an
# adverse effect of it. Case matters for the abbreviation MG only.
COMPOUND_MENTIONS = {
    "mitragynine": re.compile(r"(?i:(?<!hydroxy)mitragynine)|\bMG\b"),
    "7-hydroxymitragynine": re.compile(r"7-hydroxymitragynine|\b7-OH\b", re.IGNORECASE),
    "kratom": re.compile(r"kratom|mitragyna speciosa", re.IGNORECASE),
}


def compounds_mentioned(*texts: str) -> list[str]:
    return [slug for slug, pattern in COMPOUND_MENTIONS.items() if any(pattern.search(text) for text in texts)]


def build_fixtures(shared_dir: Path) -> dict[str, list[dict]]:
    """Fixture name -> Django serialised objects, keyed by natural keys so loading twice updates."""
    records = read_bibtex((shared_dir / "sources.bib").read_text(encoding="utf-8"))
    article_text = (shared_dir / "seed-article.txt").read_text(encoding="utf-8")
    claims = json.loads((shared_dir / "seed-claims.json").read_text(encoding="utf-8"))
    reports = json.loads((shared_dir / "adverse-effects.json").read_text(encoding="utf-8"))
    reported_compounds: dict[str, set[str]] = {}
    for report in reports:
        reported_compounds.setdefault(report["source"], set()).add(report["compound"])
    return {
        "compounds": [_object("compound", compound) for compound in COMPOUNDS],
        "sources": list(_source_objects(records, reported_compounds)),
        "seed_article": list(_article_objects(article_text, claims)),
        "adverse_effects": list(_adverse_effect_objects(reports)),
    }


def write_fixtures(fixtures: dict[str, list[dict]], directory: Path) -> list[Path]:
    paths = []
    for name, objects in fixtures.items():
        path = directory / f"{name}.json"
        path.write_text(dump_fixture(objects), encoding="utf-8")
        paths.append(path)
    return paths


def dump_fixture(objects: list[dict]) -> str:
    return json.dumps(objects, indent=1, ensure_ascii=False) + "\n"


def _object(model: str, fields: dict) -> dict:
    return {"model": f"evidence.{model}", "fields": fields}


def _source_objects(records: list[SourceRecord], reported_compounds: dict[str, set[str]]) -> Iterable[dict]:
    authors = {}
    for record in records:
        for name in record.authors:
            authors.setdefault((name.family, name.given), name)
    for name in authors.values():
        yield _object("author", {"family": name.family, "given": name.given, "is_organization": name.is_organization})
    for record in records:
        compounds = set(compounds_mentioned(record.title, record.summary)) | reported_compounds.get(record.key, set())
        yield _object("source", _source_fields(record, sorted(compounds)))
    for record in records:
        for position, name in enumerate(record.authors, start=1):
            yield _object(
                "authorship",
                {"source": [record.key], "author": [name.family, name.given], "position": position},
            )


# sources.bib's annote ends with this marker when the finding mostly restates the title: a note to
# curators, so it goes to the curator notes, never into the public finding (or anyone's export).
THIN_FINDING_MARKER = "[md table]"
THIN_FINDING_NOTE = "Thin finding: it mostly restates the title (marked [md table] in sources.bib)."


def _source_fields(record: SourceRecord, compounds: list[str]) -> dict:
    fields = {name: getattr(record, name) for name in SHARED_FIELDS}
    fields["doi"] = fields["doi"].lower()
    thin = fields["summary"].rstrip().endswith(THIN_FINDING_MARKER)
    if thin:
        fields["summary"] = fields["summary"].rstrip().removesuffix(THIN_FINDING_MARKER).rstrip()
    fields.update(
        compounds=[[slug] for slug in compounds],
        retraction_status=RetractionStatus.NONE,
        curation_status=CurationStatus.REVIEWED,
        curator_notes=THIN_FINDING_NOTE if thin else "",
        created_at=CURATED_AT,
        updated_at=CURATED_AT,
    )
    return fields


def _article_objects(article_text: str, claims: list[dict]) -> Iterable[dict]:
    yield _object(
        "article",
        {
            "title": SEED_ARTICLE_TITLE,
            "slug": SEED_ARTICLE_SLUG,
            "url": "",
            "site": "",
            "accessed": None,
            "text": article_text,
            "created_at": CURATED_AT,
            "updated_at": CURATED_AT,
        },
    )
    for claim in claims:
        yield _object(
            "claim",
            {
                "article": [SEED_ARTICLE_SLUG],
                "text": claim["text"],
                "start": claim["start"],
                "end": claim["end"],
                "category": claim["category"],
                "checkworthy": claim["checkworthy"],
                "compounds": [[slug] for slug in claim["compounds"]],
                "curator_note": "",
                "created_at": CURATED_AT,
                "updated_at": CURATED_AT,
            },
        )
    for claim in claims:
        for link in claim["evidence"]:
            yield _object(
                "evidence",
                {
                    "claim": [SEED_ARTICLE_SLUG, claim["start"], claim["end"]],
                    "source": [link["source"]],
                    "stance": link["stance"],
                    "finding": link["finding"],
                    "locator": "",
                    "quote": "",
                    "curation_status": CurationStatus.REVIEWED,
                    "created_at": CURATED_AT,
                    "updated_at": CURATED_AT,
                },
            )


def _adverse_effect_objects(reports: list[dict]) -> Iterable[dict]:
    effects = {report["effect"]: report["system_organ_class"] for report in reports}
    for term, organ_class in effects.items():
        yield _object("adverseeffect", {"term": term, "system_organ_class": organ_class})
    for report in reports:
        yield _object(
            "adverseeffectreport",
            {
                "source": [report["source"]],
                "effect": [report["effect"]],
                "compound": [report["compound"]],
                "cases": report.get("cases"),
                "frequency": "",
                "severity": report.get("severity", ""),
                "setting": report["setting"],
                "co_exposures": "",
                "causality": "",
                "notes": report["note"],
            },
        )
