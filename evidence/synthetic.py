"""A deterministic synthetic corpus for measuring scale: never real data, always recognisable, removable.

Everything it makes is marked: source keys start with SYNTHETIC_PREFIX, author family names with
SYNTHETIC_AUTHOR, article slugs with SYNTHETIC_SLUG, and every source's provenance says so. The real
demo data are never touched. Rows go in with bulk inserts, in one transaction.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from django.db import transaction

from . import caching, claim_status
from .identifiers import title_key
from .models import (
    AdverseEffect,
    AdverseEffectReport,
    Article,
    Author,
    Authorship,
    Claim,
    ClaimStatus,
    Compound,
    Evidence,
    Source,
)
from .query.linked import refresh_linked_terms
from .vocabularies import ClaimCategory, CurationStatus, Population, ReportSetting, Severity, Stance, StudyDesign

SYNTHETIC_PREFIX = "SYN-"
SYNTHETIC_AUTHOR = "Synthetica-"
SYNTHETIC_SLUG = "synthetic-article-"
BATCH = 5_000
WORDS = (
    "kratom mitragynine hydroxymitragynine opioid receptor analgesia withdrawal dependence seizure liver "
    "injury pharmacokinetics survey users chronic pain tolerance metabolism alkaloid dose adverse effects "
    "toxicity overdose respiratory depression agonist antagonist rats mice humans cohort trial review "
    "exposure poison centre case report abuse liability self-administration anxiety insomnia nausea"
).split()
STANCES = [Stance.SUPPORTS] * 4 + [Stance.PARTIALLY_SUPPORTS] * 2 + [Stance.CONTRADICTS] + [Stance.MENTIONS] * 3


@dataclass(frozen=True)
class CorpusSize:
    sources: int

    @property
    def authors(self) -> int:
        return max(10, self.sources // 2)

    @property
    def articles(self) -> int:
        return max(1, self.sources // 500)

    @property
    def claims(self) -> int:
        return max(1, self.sources // 5)

    def claims_per_article(self) -> list[int]:
        """The first article is the long one the review page is measured on (1,000 statements at
        100,000 sources); the others share the rest evenly."""
        if self.articles == 1:
            return [self.claims]
        longest = min(1_000, self.claims // 2)
        share, extra = divmod(self.claims - longest, self.articles - 1)
        return [longest] + [share + (number < extra) for number in range(self.articles - 1)]

    @property
    def links_per_claim(self) -> int:
        # 500,000 links for 100,000 sources and 20,000 claims.
        return min(25, self.sources)

    @property
    def reports(self) -> int:
        return self.sources // 2


def generate(sources: int, seed: int) -> dict[str, int]:
    """Make the corpus; returns how many rows of each kind were written."""
    rng = random.Random(seed)
    size = CorpusSize(sources)
    with transaction.atomic():
        caching.changed()  # bulk inserts send no signals
        authors = Author.objects.bulk_create(
            (Author(family=f"{SYNTHETIC_AUTHOR}{i:06d}", given=_initials(rng)) for i in range(size.authors)),
            batch_size=BATCH,
        )
        made = _sources(rng, size, authors, seed)
        source_ids = list(Source.objects.filter(key__startswith=SYNTHETIC_PREFIX).values_list("pk", flat=True))
        claims = _articles_and_claims(rng, size)
        links = _evidence(rng, size, claims, source_ids)
        reports = _reports(rng, size, source_ids)
        refresh_linked_terms(source_ids)  # bulk inserts send no signal: the search's linked terms written here
        claim_status.schedule(claims)  # nor the claims' statuses, stored when this commits
    return {"authors": len(authors), "sources": made, "claims": len(claims), "evidence": links, "reports": reports}


def _initials(rng: random.Random) -> str:
    return " ".join(f"{chr(65 + rng.randrange(26))}." for _ in range(rng.randint(1, 2)))


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize()


def _sources(rng: random.Random, size: CorpusSize, authors: list[Author], seed: int) -> int:
    designs, populations = StudyDesign.values, Population.values
    rows, authorships, compounds = [], [], []
    compound_ids = list(Compound.objects.values_list("pk", flat=True))
    for i in range(size.sources):
        people = rng.sample(authors, rng.randint(1, 6))
        title = _title(rng)
        rows.append(
            Source(
                key=f"{SYNTHETIC_PREFIX}{i:06d}",
                title=title,
                title_key=title_key(title),  # bulk inserts send no pre_save signal
                year=rng.randint(1990, 2025),
                container_title=f"Synthetic Journal of {rng.choice(WORDS).capitalize()}",
                volume=str(rng.randint(1, 60)),
                pages=f"{(start := rng.randint(1, 900))}–{start + rng.randint(2, 20)}",
                abstract=" ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 160))),
                keywords="; ".join(rng.sample(WORDS, 4)),
                author_names="; ".join(str(person) for person in people),
                study_design=rng.choice(designs),
                population=rng.choice(populations),
                sample_size=rng.randint(5, 5000),
                curation_status=CurationStatus.REVIEWED,
                provenance=f"synthetic: generate_corpus --seed {seed}; not a real publication",
            )
        )
        authorships.append(people)
        compounds.append(rng.sample(compound_ids, rng.randint(1, min(2, len(compound_ids)))) if compound_ids else [])
    created = Source.objects.bulk_create(rows, batch_size=BATCH)
    _insert_in_batches(
        Authorship,
        (
            Authorship(source=source, author=person, position=position)
            for source, people in zip(created, authorships, strict=True)
            for position, person in enumerate(people, start=1)
        ),
    )
    link = Source.compounds.through
    _insert_in_batches(
        link,
        (
            link(source_id=source.pk, compound_id=compound)
            for source, chosen in zip(created, compounds, strict=True)
            for compound in chosen
        ),
    )
    return len(created)


def _insert_in_batches(model, rows) -> int:
    """bulk_create one batch at a time: given a generator, bulk_create itself would first make all rows
    (half a million evidence links) into one list."""
    return sum(len(model.objects.bulk_create(batch)) for batch in itertools.batched(rows, BATCH))


def _articles_and_claims(rng: random.Random, size: CorpusSize) -> list[int]:
    categories = ClaimCategory.values
    claims = []
    for number, count in enumerate(size.claims_per_article()):
        sentences = [f"Synthetic statement {number}.{i} says {_title(rng).lower()}." for i in range(count)]
        text = " ".join(sentences)
        article = Article.objects.create(
            title=f"Synthetic article {number}", slug=f"{SYNTHETIC_SLUG}{number:04d}", site="synthetic", text=text
        )
        position = 0
        for sentence in sentences:
            claims.append(
                Claim(
                    article=article,
                    text=sentence,
                    start=position,
                    end=position + len(sentence),
                    category=rng.choice(categories),
                )
            )
            position += len(sentence) + 1
    return [claim.pk for claim in Claim.objects.bulk_create(claims, batch_size=BATCH)]


def _evidence(rng: random.Random, size: CorpusSize, claims: list[int], sources: list[int]) -> int:
    def rows():
        for claim in claims:
            for source in rng.sample(sources, size.links_per_claim):
                yield Evidence(
                    claim_id=claim,
                    source_id=source,
                    stance=rng.choice(STANCES),
                    finding="Synthetic finding.",
                    curation_status=CurationStatus.REVIEWED,
                )

    return _insert_in_batches(Evidence, rows())


def _reports(rng: random.Random, size: CorpusSize, sources: list[int]) -> int:
    effects = list(AdverseEffect.objects.values_list("pk", flat=True))
    compounds = list(Compound.objects.values_list("pk", flat=True))
    if not effects or not compounds:
        return 0
    seen, rows = set(), []
    settings_, severities = ReportSetting.values, Severity.values
    for _ in range(size.reports):
        report = (
            rng.choice(sources),
            rng.choice(effects),
            rng.choice(compounds),
            rng.choice(settings_),
            rng.choice(severities),
        )
        if report in seen:  # one per (source, effect, compound, setting, severity)
            continue
        seen.add(report)
        source, effect, compound, setting, severity = report
        rows.append(
            AdverseEffectReport(
                source_id=source,
                effect_id=effect,
                compound_id=compound,
                setting=setting,
                severity=severity,
                cases=rng.randint(1, 200),
            )
        )
    return len(AdverseEffectReport.objects.bulk_create(rows, batch_size=BATCH))


def remove() -> dict[str, int]:
    """Delete everything generate() made, and nothing else. Raw deletes, in dependency order: the
    ORM's delete would send a signal (and write a history row) for each of half a million links."""
    sources = Source.objects.filter(key__startswith=SYNTHETIC_PREFIX)
    articles = Article.objects.filter(slug__startswith=SYNTHETIC_SLUG)
    steps = [
        ("evidence", Evidence.objects.filter(source__in=sources)),
        ("reports", AdverseEffectReport.objects.filter(source__in=sources)),
        ("claim statuses", ClaimStatus.objects.filter(claim__article__in=articles)),
        ("claims", Claim.objects.filter(article__in=articles)),
        ("articles", articles),
        ("authorships", Authorship.objects.filter(source__in=sources)),
        ("compound links", Source.compounds.through.objects.filter(source__in=sources)),
        ("sources", sources),
        ("authors", Author.objects.filter(family__startswith=SYNTHETIC_AUTHOR)),
    ]
    counts = {}
    with transaction.atomic():
        caching.changed()  # raw deletes send no signals
        for name, queryset in steps:
            counts[name] = queryset._raw_delete(queryset.db)
    return counts
