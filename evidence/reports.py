"""The flag report of an article: each statement with its computed status, as data and as files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from .exports import csv_text, markdown_escape
from .models import Article, Claim, Evidence
from .querysets import SOURCE_LONG_TEXTS, STRONGEST_FIRST
from .support import FLAGGED, Assessment, Link, Status, assess, summarise
from .vocabularies import CurationStatus, RetractionStatus
from .wording import count


@dataclass(frozen=True)
class Statement:
    claim: Claim
    assessment: Assessment
    evidence: list[Evidence]  # all its links, or (review_report) only the strongest ones
    link_count: int | None = None  # how many links it has, when `evidence` holds only some
    # Unsupported statements: keys of the sources evidence matching proposes, best first (None: not searched;
    # empty: "no evidence found in the base"). See evidence.query.matching.
    candidates: tuple[str, ...] | None = None

    @property
    def links(self) -> int:
        return len(self.evidence) if self.link_count is None else self.link_count

    @property
    def status(self) -> Status:
        return self.assessment.status

    @property
    def anchored(self) -> bool:
        return self.claim.start is not None


@dataclass
class ArticleReport:
    article: Article
    statements: list[Statement]
    summary: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.summary = {
            "statements": len(self.statements),
            "checkworthy": sum(s.claim.checkworthy for s in self.statements),
            **summarise(s.status for s in self.statements),
        }

    @property
    def status_counts(self) -> list[tuple[Status, int]]:
        return [(status, self.summary[status.value]) for status in Status]

    @property
    def flagged(self) -> list[Statement]:
        return [s for s in self.statements if s.status in FLAGGED]

    @property
    def unanchored(self) -> list[Statement]:
        return [s for s in self.statements if not s.anchored]


def assess_claim(claim: Claim, include_drafts: bool = False) -> Assessment:
    """The claim's status from its (prefetched) evidence links and their sources."""
    return assessment_of(claim, [(e.curation_status, link_of(e)) for e in claim.evidence.all()], include_drafts)


def assessment_of(claim: Claim, links: list[tuple[str, Link]], include_drafts: bool = False) -> Assessment:
    """The claim's status from its links, each with its curation status. Only reviewed links count unless
    include_drafts: a link a curator has not checked yet cannot support or flag anything."""
    counted = [link for curation, link in links if include_drafts or curation == CurationStatus.REVIEWED]
    assessment = assess(claim.category, claim.checkworthy, counted, claim.curator_note)
    drafts = len(links) - len(counted)
    if drafts and claim.checkworthy:
        note = f"{count(drafts, 'draft evidence link')} not counted until reviewed."
        assessment = replace(assessment, reasons=(*assessment.reasons, note))
    return assessment


def link_of(evidence: Evidence) -> Link:
    source = evidence.source
    return Link(
        stance=evidence.stance,
        design=source.study_design,
        population=source.population,
        sample_size=source.sample_size,
        retracted=source.retraction_status == RetractionStatus.RETRACTED,
    )


def statement_of(claim: Claim, include_drafts: bool = False) -> Statement:
    return Statement(claim, assess_claim(claim, include_drafts), list(claim.evidence.all()))


def build_report(article: Article, claims: Iterable[Claim], include_drafts: bool = False) -> ArticleReport:
    return ArticleReport(article, [statement_of(claim, include_drafts) for claim in claims])


def review_report(article: Article, include_drafts: bool, shown: int) -> ArticleReport:
    """The report the review page shows: each statement assessed from all its links, but with only its
    `shown` strongest links as objects (its own page lists them all). Four queries."""
    return reports_by_article([article], include_drafts, shown)[0]


def reports_by_article(articles: list[Article], include_drafts: bool = False, shown: int = 0) -> list[ArticleReport]:
    """One report per article, its statements assessed from their links read as plain values, each with
    its `shown` strongest links as objects (none: a summary). Three or four queries for any number of
    articles; at 1,000 statements with 25,000 links, making every link and its source an object took
    most of the review page's time."""
    by_article = {article.pk: article for article in articles}
    claims = list(Claim.objects.filter(article__in=articles).order_by("start", "pk"))
    in_articles = Evidence.objects.filter(claim__article__in=articles)
    links: dict[int, list[tuple[str, Link]]] = {}
    columns = (
        "claim_id",
        "curation_status",
        "stance",
        "source__study_design",
        "source__population",
        "source__sample_size",
        "source__retraction_status",
    )
    for claim_id, curation, stance, design, population, sample_size, retraction in in_articles.values_list(*columns):
        link = Link(stance, design, population, sample_size, retraction == RetractionStatus.RETRACTED)
        links.setdefault(claim_id, []).append((curation, link))
    strongest: dict[int, list[Evidence]] = {}
    if shown:
        place = Window(RowNumber(), partition_by=[F("claim_id")], order_by=list(STRONGEST_FIRST))
        ranked = in_articles.select_related("source").defer(*SOURCE_LONG_TEXTS).annotate(place=place)
        for evidence in ranked.filter(place__lte=shown).order_by("claim_id", "place"):
            strongest.setdefault(evidence.claim_id, []).append(evidence)
    statements: dict[int, list[Statement]] = {pk: [] for pk in by_article}
    for claim in claims:
        claim.article = by_article[claim.article_id]
        of_claim = links.get(claim.pk, [])
        assessment = assessment_of(claim, of_claim, include_drafts)
        statements[claim.article_id].append(Statement(claim, assessment, strongest.get(claim.pk, []), len(of_claim)))
    return [ArticleReport(article, statements[article.pk]) for article in articles]


@dataclass(frozen=True)
class Excerpt:
    before: str
    quote: str
    after: str


def place_in_text(text: str, start: int, end: int, context: int = 300) -> Excerpt:
    """The statement with up to `context` characters either side, cut at whitespace, with ellipses."""
    before_start = max(0, start - context)
    after_end = min(len(text), end + context)
    before, after = text[before_start:start], text[end:after_end]
    if before_start > 0:
        before = "…" + before[before.find(" ") + 1 :] if " " in before else "…" + before
    if after_end < len(text):
        after = after[: after.rfind(" ")] + "…" if " " in after else after + "…"
    return Excerpt(before, text[start:end], after)


def text_segments(text: str, statements: list[Statement]) -> list[tuple[str, Statement | None]]:
    """The article text cut into plain runs and statements, in order; overlapping spans stay in the list only."""
    segments: list[tuple[str, Statement | None]] = []
    position = 0
    for statement in sorted((s for s in statements if s.anchored), key=lambda s: s.claim.start):
        if statement.claim.start < position:
            continue
        if statement.claim.start > position:
            segments.append((text[position : statement.claim.start], None))
        segments.append((text[statement.claim.start : statement.claim.end], statement))
        position = statement.claim.end
    if position < len(text):
        segments.append((text[position:], None))
    return segments


def report_as_dict(report: ArticleReport) -> dict:
    article = report.article
    return {
        "article": {
            "slug": article.slug,
            "title": article.title,
            "url": article.url,
            "site": article.site,
            "accessed": article.accessed.isoformat() if article.accessed else None,
        },
        "summary": report.summary,
        "statements": [_statement_dict(s) for s in report.statements],
    }


def _statement_dict(statement: Statement) -> dict:
    claim = statement.claim
    return {
        "claim_id": claim.pk,
        "start": claim.start,
        "end": claim.end,
        "text": claim.text,
        "category": claim.category,
        "status": statement.status.value,
        "certainty": statement.assessment.certainty,
        "reasons": list(statement.assessment.reasons),
        "candidates": list(statement.candidates or ()),
        "evidence": [
            {
                "source_key": e.source.key,
                "doi": e.source.doi,
                "pmid": e.source.pmid,
                "design": e.source.study_design,
                "stance": e.stance,
                "finding": e.finding,
            }
            for e in statement.evidence
        ],
    }


def candidates_line(candidates: tuple[str, ...]) -> str:
    """What an unsupported statement's candidates mean for a reader."""
    if not candidates:
        return "No evidence found in the base."
    return f"Not yet reviewed: {count(len(candidates), 'candidate source')} ({', '.join(candidates)})."


def report_as_json(report: ArticleReport) -> str:
    return json.dumps(report_as_dict(report), indent=2, ensure_ascii=False) + "\n"


CSV_HEADER = ["claim_id", "start", "end", "text", "category", "status", "certainty", "reasons", "sources"]


def report_as_csv(report: ArticleReport) -> str:
    rows = (
        [
            s.claim.pk,
            s.claim.start,
            s.claim.end,
            s.claim.text,
            s.claim.category,
            s.status.value,
            s.assessment.certainty or "",
            " ".join(s.assessment.reasons),
            "; ".join(f"{e.source.key} ({e.stance})" for e in s.evidence),
        ]
        for s in report.statements
    )
    return csv_text(CSV_HEADER, rows)


def report_as_markdown(report: ArticleReport) -> str:
    article = report.article
    lines = [f"# Flag report: {markdown_escape(article.title)}", ""]
    if article.url:
        lines += [f"Source: <{article.url}>", ""]
    lines += ["| statements | checkworthy | " + " | ".join(status.label for status in Status) + " |"]
    lines += ["|" + "---|" * (2 + len(Status))]
    lines += ["| " + " | ".join(str(report.summary[key]) for key in ["statements", "checkworthy", *Status]) + " |", ""]
    lines += ["## Flagged statements", ""]
    lines += [line for s in report.flagged for line in _markdown_statement(s)] or ["None.", ""]
    lines += ["## All statements", ""]
    lines += [line for s in report.statements for line in _markdown_statement(s)]
    return "\n".join(lines)


def _markdown_statement(statement: Statement) -> list[str]:
    certainty = f", certainty {statement.assessment.certainty}" if statement.assessment.certainty else ""
    lines = [f"- **{statement.status.label}**{certainty}: {markdown_escape(statement.claim.text)}"]
    lines += [f"  - {markdown_escape(reason)}" for reason in statement.assessment.reasons]
    if statement.candidates is not None:
        lines += [f"  - {markdown_escape(candidates_line(statement.candidates))}"]
    lines += [
        f"  - {markdown_escape(e.source.key)} ({e.get_stance_display()}): {markdown_escape(e.finding)}"
        for e in statement.evidence
    ]
    return lines + [""]
