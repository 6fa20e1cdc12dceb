"""The flag report of an article: each statement with its computed status, as data and as files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .models import Article, Claim, Evidence
from .support import FLAGGED, Assessment, Link, Status, assess, summarise
from .text_safety import csv_text, markdown_escape
from .vocabularies import CurationStatus, RetractionStatus
from .wording import count


@dataclass(frozen=True)
class Statement:
    claim: Claim
    assessment: Assessment
    evidence: list[Evidence]  # all its links, or (the review page) only the strongest ones
    link_count: int | None = None  # how many links it has, when `evidence` holds only some

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


def statements(
    claims: Iterable[Claim], link_rows: Iterable[tuple], shown: Iterable[Evidence] = (), include_drafts: bool = False
) -> list[Statement]:
    """The one path from claims to statuses: each claim assessed from its links' plain values (`link_rows`,
    as `Evidence.objects.link_values()` reads them), with the link objects `shown` beside it (all of them,
    its strongest few, or none for a summary)."""
    links = links_by_claim(link_rows)
    evidence: dict[int, list[Evidence]] = {}
    for link in shown:
        evidence.setdefault(link.claim_id, []).append(link)
    return [
        Statement(
            claim,
            assessment_of(claim, links.get(claim.pk, []), include_drafts),
            evidence.get(claim.pk, []),
            len(links.get(claim.pk, [])),
        )
        for claim in claims
    ]


def statements_of(claims: Iterable[Claim], include_drafts: bool = False) -> list[Statement]:
    """Statements of claims read with all their links (`Claim.objects.for_review()`), every link shown."""
    claims = list(claims)
    evidence = [link for claim in claims for link in claim.evidence.all()]
    return statements(claims, map(link_values_of, evidence), evidence, include_drafts)


def link_values_of(evidence: Evidence) -> tuple:
    """An evidence object's values in the order of `querysets.LINK_FIELDS`."""
    source = evidence.source
    return (
        evidence.claim_id,
        evidence.curation_status,
        evidence.stance,
        source.study_design,
        source.population,
        source.sample_size,
        source.retraction_status,
    )


def links_by_claim(link_rows: Iterable[tuple]) -> dict[int, list[tuple[str, Link]]]:
    """The one place stored links become what the support rules see: rows of `querysets.LINK_FIELDS` in,
    each claim's links (with their curation status) out. One loop, no call per link: the review page reads
    25,000 of them."""
    links: dict[int, list[tuple[str, Link]]] = {}
    for claim_id, curation, stance, design, population, sample_size, retraction in link_rows:
        link = Link(stance, design, population, sample_size, retraction == RetractionStatus.RETRACTED)
        links.setdefault(claim_id, []).append((curation, link))
    return links


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


def assess_claim(claim: Claim, include_drafts: bool = False) -> Assessment:
    """The status of one claim read with its links (`Claim.objects.for_review()`)."""
    return statements_of([claim], include_drafts)[0].assessment


def build_report(article: Article, claims: Iterable[Claim], include_drafts: bool = False) -> ArticleReport:
    """The report the downloads give: claims read with all their links, every link listed."""
    return ArticleReport(article, statements_of(claims, include_drafts))


def reports_by_article(articles: list[Article], of_articles: Iterable[Statement]) -> list[ArticleReport]:
    """One report per article from the statements of all of them (each claim given its article object)."""
    by_article: dict[int, list[Statement]] = {article.pk: [] for article in articles}
    articles_by_pk = {article.pk: article for article in articles}
    for statement in of_articles:
        statement.claim.article = articles_by_pk[statement.claim.article_id]
        by_article[statement.claim.article_id].append(statement)
    return [ArticleReport(article, by_article[article.pk]) for article in articles]


def article_reports(articles: list[Article], include_drafts: bool = False, shown: int = 0) -> list[ArticleReport]:
    """The home page's summaries and the review page's report: statuses from the links' plain values, and
    each statement's `shown` strongest links as objects (none: a summary). Two or three queries for any
    number of articles and statements."""
    links = Evidence.objects.of_articles(articles)
    claims = Claim.objects.of_articles(articles).in_text_order()
    strongest = links.strongest_of_each_claim(shown) if shown else ()
    found = statements(claims, links.link_values(), strongest, include_drafts)
    return reports_by_article(articles, found)


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
    lines += [
        f"  - {markdown_escape(e.source.key)} ({e.get_stance_display()}): {markdown_escape(e.finding)}"
        for e in statement.evidence
    ]
    return lines + [""]
