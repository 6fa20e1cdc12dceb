"""The flag report of an article: each statement with its computed status, as data and as files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .grading import NOT_ASSESSED, ClaimsGrading, read_grading
from .models import Article, Claim, Evidence, StatementPart
from .parts import Overall, overall
from .support import FLAGGED, Assessment, Grading, Link, Status, assess, summarise
from .text_safety import csv_text, markdown_escape
from .vocabularies import CurationStatus, RetractionStatus
from .wording import count

# Flagged statements are listed worst first: what the evidence refutes before what it merely fails to back.
FLAG_ORDER = (Status.CONTRADICTED, Status.CONTESTED, Status.UNSUPPORTED, Status.WEAK)
# Evidence rows per statement on the review page (and the API's article), strongest stance first; the
# statement's own page lists them all. An article of 1,000 statements with 25 links each would otherwise be
# a 9 MB page.
REVIEW_LINKS_SHOWN = 5


@dataclass(frozen=True)
class PartStatement:
    """One part of a split statement, assessed from its own links."""

    part: StatementPart
    number: str  # `28.1`
    assessment: Assessment
    evidence: list[Evidence]

    @property
    def status(self) -> Status:
        return self.assessment.status


@dataclass(frozen=True)
class Statement:
    claim: Claim
    assessment: Assessment
    evidence: list[Evidence]  # all its links, or (the review page) only the strongest ones
    link_count: int | None = None  # how many links it has, when `evidence` holds only some
    number: int = 0  # its place among its article's statements, the same on every page
    parts: tuple[PartStatement, ...] = ()
    overall: Overall | None = None  # a split statement's status from its parts
    # Unsupported statements: keys of the sources evidence matching proposes, best first (None: not searched;
    # empty: "no evidence found in the base"). See evidence.query.matching.
    candidates: tuple[str, ...] | None = None

    @property
    def links(self) -> int:
        return len(self.evidence) if self.link_count is None else self.link_count

    @property
    def status(self) -> Status:
        return Status(self.overall.status) if self.overall else self.assessment.status

    @property
    def status_label(self) -> str:
        return self.overall.label if self.overall else self.status.label

    @property
    def flagged(self) -> bool:
        return self.overall.flagged if self.overall else self.status in FLAGGED

    @property
    def verdict(self) -> str:
        """One line: why it has its status (its parts' statuses when split)."""
        if self.overall:
            return "Parts: " + "; ".join(f"{p.number} {p.status.label}" for p in self.parts) + "."
        reasons = self.assessment.reasons
        return reasons[1] if len(reasons) > 1 else reasons[0]

    @property
    def worst_flag(self) -> int:
        """Its place in FLAG_ORDER (of its worst part when split): the flagged list's order."""
        statuses = [p.status for p in self.parts] or [self.status]
        return min((FLAG_ORDER.index(s) for s in statuses if s in FLAG_ORDER), default=len(FLAG_ORDER))

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
        # The same counts with each split statement counted by its parts.
        self.part_summary = summarise(p.status for s in self.statements for p in s.parts or [s])

    @property
    def status_counts(self) -> list[tuple[Status, int]]:
        return [(status, self.summary[status.value]) for status in Status]

    @property
    def flagged(self) -> list[Statement]:
        """Contradicted, contested, unsupported, weak (a split statement by its worst part), then in text order."""
        return sorted((s for s in self.statements if s.flagged), key=lambda s: (s.worst_flag, s.number))

    @property
    def flagged_by_status(self) -> list[tuple[Status, list[Statement]]]:
        """The flagged statements in groups, contradicted first (a split statement by its worst part)."""
        groups: dict[int, list[Statement]] = {}
        for statement in self.flagged:
            groups.setdefault(statement.worst_flag, []).append(statement)
        return [(FLAG_ORDER[worst], statements) for worst, statements in groups.items()]

    @property
    def unanchored(self) -> list[Statement]:
        return [s for s in self.statements if not s.anchored]


def reasons_of(statement: Statement) -> list[str]:
    """A statement's reasons, then each part's, prefixed with the part's number."""
    parts = [
        f"Part {p.number} ({p.status.label}): {reason}" for p in statement.parts for reason in p.assessment.reasons
    ]
    return [*statement.assessment.reasons, *parts]


def assess_claim(claim: Claim, include_drafts: bool = False) -> Assessment:
    """The status of one claim read with its links (`Claim.objects.for_review()`)."""
    return statements_of([claim], include_drafts)[0].assessment


def assessment_of(
    claim: Claim | StatementPart,
    links: list[tuple[str, Link]],
    include_drafts: bool = False,
    grading: Grading | None = None,
) -> Assessment:
    """The claim's (or part's) status from its links, each with its curation status. Only reviewed links
    count unless include_drafts: a link a curator has not checked yet cannot support or flag anything."""
    counted = [link for curation, link in links if include_drafts or curation == CurationStatus.REVIEWED]
    assessment = assess(claim.category, claim.checkworthy, counted, claim.curator_note, grading or Grading())
    drafts = len(links) - len(counted)
    if drafts and claim.checkworthy:
        note = f"{count(drafts, 'draft evidence link')} not counted until reviewed."
        assessment = replace(assessment, reasons=(*assessment.reasons, note))
    return assessment


def link_values_of(evidence: Evidence) -> tuple:
    """An evidence object's values in the order of `querysets.LINK_FIELDS`."""
    source = evidence.source
    return (
        evidence.claim_id,
        evidence.part_id,
        evidence.curation_status,
        evidence.stance,
        source.pk,
        source.key,
        source.study_design,
        source.population,
        source.sample_size,
        source.sample_size_unit,
        source.retraction_status,
    )


def links_by_claim(rows: Iterable[tuple], grading: ClaimsGrading) -> dict[tuple[int, int | None], list]:
    """The one place stored links become what the rules see: rows of `querysets.LINK_FIELDS` in, the links
    of each (claim, part) out, each with its curation status and what GRADE reads of its source. One loop,
    no call per link: the review page reads 25,000 of them."""
    links: dict[tuple[int, int | None], list[tuple[str, Link]]] = {}
    compounds, appraisals = grading.compounds_of_source, grading.appraisal_of_source
    for claim_id, part_id, curation, stance, source_id, key, design, population, n, unit, retraction in rows:
        appraisal = appraisals.get(source_id, NOT_ASSESSED)
        link = Link(
            stance,
            design,
            population,
            n,
            retraction == RetractionStatus.RETRACTED,
            key,
            unit,
            compounds.get(source_id, frozenset()),
            appraisal.risk_of_bias,
            appraisal.industry,
        )
        links.setdefault((claim_id, part_id), []).append((curation, link))
    return links


def statements(
    claims: Iterable[Claim], rows: Iterable[tuple], shown: Iterable[Evidence] = (), include_drafts: bool = False
) -> list[Statement]:
    """The one path from claims to statuses: each claim (or each of its parts) assessed from its links'
    plain values (`rows`, as `Evidence.objects.link_values()` reads them), with the link objects `shown`
    beside it (all of them, its strongest few, or none for a summary)."""
    claims = list(claims)
    grading = read_grading(claim.pk for claim in claims)
    links = links_by_claim(rows, grading)
    evidence: dict[tuple[int, int | None], list[Evidence]] = {}
    for link in shown:
        evidence.setdefault((link.claim_id, link.part_id), []).append(link)
    # Each claim's links, its parts' included, counted once (summed per claim, 1,000 claims took 0.7 s).
    totals: dict[int, int] = {}
    for (claim_id, _), found in links.items():
        totals[claim_id] = totals.get(claim_id, 0) + len(found)
    return [_statement(claim, links, evidence, grading, include_drafts, totals.get(claim.pk, 0)) for claim in claims]


def _statement(
    claim: Claim, links: dict, evidence: dict, grading: ClaimsGrading, include_drafts: bool, total: int
) -> Statement:
    number = getattr(claim, "number", 0)
    of_claim = links.get((claim.pk, None), [])
    parts = grading.parts_of_claim.get(claim.pk)
    if not parts:
        assessment = assessment_of(claim, of_claim, include_drafts, grading.grading(claim.pk))
        return Statement(claim, assessment, evidence.get((claim.pk, None), []), total, number)
    compounds = grading.grading(claim.pk).compounds
    assessed = tuple(
        PartStatement(
            part,
            f"{number}.{part.position}",
            assessment_of(part, links.get((claim.pk, part.pk), []), include_drafts, Grading(compounds)),
            evidence.get((claim.pk, part.pk), []),
        )
        for part in parts
    )
    whole = overall([p.status for p in assessed])
    reasons = [f"Split into {count(len(parts), 'part')}: {whole.label}."]
    if of_claim:
        reasons.append(
            f"{count(len(of_claim), 'link')} on the statement as a whole, not counted: assign each to a part."
        )
    assessment = Assessment(Status(whole.status), None, tuple(reasons))
    return Statement(claim, assessment, evidence.get((claim.pk, None), []), total, number, assessed, whole)


def statements_of(claims: Iterable[Claim], include_drafts: bool = False) -> list[Statement]:
    """Statements of claims read with all their links (`Claim.objects.for_review()`), every link shown."""
    claims = list(claims)
    shown = [link for claim in claims for link in claim.evidence.all()]
    return statements(claims, map(link_values_of, shown), shown, include_drafts)


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
    """The home page's summaries and the review page's report (`statements_shown`): a few queries for any
    number of articles and statements."""
    claims = Claim.objects.of_articles(articles).with_numbers_of_whole_articles().in_text_order()
    found = statements_shown(claims, Evidence.objects.of_articles(articles), include_drafts, shown)
    return reports_by_article(articles, found)


def statements_shown(claims: Iterable[Claim], links, include_drafts: bool = False, shown: int = 0) -> list[Statement]:
    """The claims with their stored statuses (claim_status), or with drafts counted assessed from their
    `links` (an evidence queryset) read as plain values and GRADE's reads; each with its `shown` strongest
    links as objects (none: a summary)."""
    from . import claim_status  # it assesses through this module

    strongest = links.strongest_of_each_claim(shown) if shown else ()
    if include_drafts:
        return statements(claims, links.link_values(), strongest, include_drafts)
    return claim_status.statements(claims, strongest)


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
        "summary_by_part": report.part_summary,
        "statements": [_statement_dict(s) for s in report.statements],
    }


def _statement_dict(statement: Statement) -> dict:
    claim = statement.claim
    result = {
        "number": statement.number,
        "claim_id": claim.pk,
        "start": claim.start,
        "end": claim.end,
        "text": claim.text,
        "category": claim.category,
        "status": statement.status.value,
        **({"status_label": statement.status_label} if statement.parts else {}),
        **_grading_dict(statement.assessment),
        "reasons": list(statement.assessment.reasons),
        "candidates": list(statement.candidates or ()),
        "evidence": [_evidence_dict(e) for e in statement.evidence],
    }
    if statement.parts:
        result["parts"] = [
            {
                "number": part.number,
                "kind": part.part.kind,
                "start": part.part.start,
                "end": part.part.end,
                "text": part.part.text,
                "category": part.part.category,
                "checkworthy": part.part.checkworthy,
                "status": part.status.value,
                **_grading_dict(part.assessment),
                "reasons": list(part.assessment.reasons),
                "evidence": [_evidence_dict(e) for e in part.evidence],
            }
            for part in statement.parts
        ]
    return result


def _grading_dict(assessment: Assessment) -> dict:
    """Certainty, its GRADE symbols and the five domains, each computed and (where a curator did) overridden."""
    rating = assessment.rating
    return {
        "certainty": assessment.certainty,
        "certainty_symbols": rating.symbols if rating else None,
        "domains": {
            domain.domain.value: {
                "judgment": domain.judgment.value,
                "reason": domain.reason,
                "computed": domain.computed.value,
                "override": {"judgment": domain.override.judgment.value, "reason": domain.override.reason}
                if domain.override
                else None,
            }
            for domain in rating.domains
        }
        if rating
        else None,
    }


def _evidence_dict(evidence: Evidence) -> dict:
    source = evidence.source
    return {
        "source_key": source.key,
        "doi": source.doi,
        "pmid": source.pmid,
        "design": source.study_design,
        "stance": evidence.stance,
        "finding": evidence.finding,
    }


def candidates_line(candidates: tuple[str, ...]) -> str:
    """What an unsupported statement's candidates mean for a reader."""
    if not candidates:
        return "No evidence found in the base."
    return f"Not yet reviewed: {count(len(candidates), 'candidate source')} ({', '.join(candidates)})."


def report_as_json(report: ArticleReport) -> str:
    return json.dumps(report_as_dict(report), indent=2, ensure_ascii=False) + "\n"


CSV_HEADER = [
    "number",
    "claim_id",
    "start",
    "end",
    "text",
    "category",
    "status",
    "certainty",
    "reasons",
    "sources",
]


def report_as_csv(report: ArticleReport) -> str:
    """One row per statement and, after a split statement, one per part (numbered 28.1, 28.2 …)."""
    rows = []
    for s in report.statements:
        claim = s.claim
        rows.append(
            [s.number, claim.pk, claim.start, claim.end, claim.text, claim.category, s.status_label]
            + _csv_assessment(s.assessment, s.evidence)
        )
        rows += [
            [p.number, claim.pk, p.part.start, p.part.end, p.part.text, p.part.category, p.status.value]
            + _csv_assessment(p.assessment, p.evidence)
            for p in s.parts
        ]
    return csv_text(CSV_HEADER, rows)


def _csv_assessment(assessment: Assessment, evidence: list[Evidence]) -> list[str]:
    sources = "; ".join(f"{e.source.key} ({e.stance})" for e in evidence)
    return [assessment.certainty or "", " ".join(assessment.reasons), sources]


def report_as_markdown(report: ArticleReport) -> str:
    article = report.article
    lines = [f"# Flag report: {markdown_escape(article.title)}", ""]
    if article.url:
        lines += [f"Source: <{article.url}>", ""]
    lines += ["| statements | checkworthy | " + " | ".join(status.label for status in Status) + " |"]
    lines += ["|" + "---|" * (2 + len(Status))]
    lines += ["| " + " | ".join(str(report.summary[key]) for key in ["statements", "checkworthy", *Status]) + " |", ""]
    lines += ["## Flagged statements", "", "Worst first: contradicted, contested, unsupported, then weak.", ""]
    lines += [line for s in report.flagged for line in _markdown_statement(s)] or ["None.", ""]
    lines += ["## All statements", ""]
    lines += [line for s in report.statements for line in _markdown_statement(s)]
    return "\n".join(lines)


def _markdown_statement(statement: Statement) -> list[str]:
    heading = f"- **{statement.number}. {statement.status_label}**"
    lines = _markdown_assessment(heading, statement.claim.text, statement.assessment, statement.evidence)
    if statement.candidates is not None:
        lines += [f"  - {markdown_escape(candidates_line(statement.candidates))}"]
    for part in statement.parts:
        heading = f"- **Part {part.number}: {part.status.label}**"
        lines += ["  " + line for line in _markdown_assessment(heading, part.part.text, part.assessment, part.evidence)]
    return lines + [""]


def _markdown_assessment(heading: str, text: str, assessment: Assessment, evidence: list[Evidence]) -> list[str]:
    certainty = f", certainty {assessment.certainty}" if assessment.certainty else ""
    lines = [f"{heading}{certainty}: {markdown_escape(text)}"]
    lines += [f"  - {markdown_escape(reason)}" for reason in assessment.reasons]
    lines += [
        f"  - {markdown_escape(e.source.key)} ({e.get_stance_display()}): {markdown_escape(e.finding)}"
        for e in evidence
    ]
    return lines
