"""Overviews of the evidence base as plain data: the adverse-effects matrix and chart, the evidence map.

Each builder takes rows already read from the database and returns what a page draws, so the rules
(what a cell counts, how long a bar is) test without HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from .reports import ArticleReport, Statement
from .support import Status
from .vocabularies import SEVERITY_ORDER

if TYPE_CHECKING:
    from .tallies import HarmCounts


def decades(years: Iterable[tuple[int, int]]) -> list[tuple[str, int]]:
    """(year, n) pairs summed by decade, oldest first: [("1990s", 3), ("2000s", 12), …]."""
    totals: dict[int, int] = {}
    for year, n in years:
        decade = year // 10 * 10
        totals[decade] = totals.get(decade, 0) + n
    return [(f"{decade}s", totals[decade]) for decade in sorted(totals)]


@dataclass(frozen=True)
class ArticleGlance:
    """An article's flag summary without its statements: what the home page shows, small enough to cache
    (the newest five articles' full reports pickled to 2.4 MB at 100,000 sources)."""

    article: object
    summary: dict[str, int]
    flagged_count: int

    @classmethod
    def of(cls, report: ArticleReport) -> ArticleGlance:
        article = report.article
        # The title and the link, not the article's text.
        glanced = type(article)(pk=article.pk, title=article.title, slug=article.slug)
        return cls(glanced, report.summary, len(report.flagged))

    @property
    def status_counts(self) -> list[tuple[Status, int]]:
        return [(status, self.summary[status.value]) for status in Status]


# --- Adverse effects: system organ class × compound ------------------------------------------------


@dataclass(frozen=True)
class HarmCell:
    sources: int
    cases: int | None
    worst_severity: str | None
    url: str


@dataclass
class OrganClassRow:
    organ_class: str
    cells: dict[str, HarmCell]  # compound slug -> cell
    effects: list[str] = field(default_factory=list)

    @property
    def total_sources(self) -> int:
        return sum(cell.sources for cell in self.cells.values())


def worst_severity(severity_rank: int | None) -> str | None:
    """The severity for a rank as annotated by `severity_rank()` (0 = not stated)."""
    return SEVERITY_ORDER[severity_rank - 1] if severity_rank else None


def harm_matrix(
    cell_rows: Iterable[Mapping], effect_rows: Iterable[Mapping], sources_url: str, group: str = ""
) -> list[OrganClassRow]:
    """Rows of the matrix, most-reported organ class first; each cell links to its sources (of `group`'s reports).

    cell_rows: one per (organ class, compound slug) with `source_count` (distinct), `case_count` (sum,
    None when no report states it) and `worst` (highest severity rank). effect_rows: (organ class, term).
    """
    rows: dict[str, OrganClassRow] = {}
    for row in cell_rows:
        organ_class, compound = row["organ_class"], row["compound_slug"]
        query = {"organ_class": organ_class, "reported_with": compound} | ({"reported_in": group} if group else {})
        url = sources_url + "?" + urlencode(query)
        cell = HarmCell(row["source_count"], row["case_count"], worst_severity(row["worst"]), url)
        rows.setdefault(organ_class, OrganClassRow(organ_class, {})).cells[compound] = cell
    for row in effect_rows:
        if row["organ_class"] in rows:
            rows[row["organ_class"]].effects.append(row["term"])
    return sorted(rows.values(), key=lambda r: (-r.total_sources, r.organ_class))


def harm_overview(
    counts: HarmCounts, compounds: Mapping[str, str], sources_url: str, group: str
) -> tuple[list[OrganClassRow], dict[str, str]]:
    """The matrix of one group's reports and its columns: only the compounds some report names get one.
    The page and the API both show this."""
    matrix = harm_matrix(counts.cells, counts.terms, sources_url, group)
    columns = {slug: name for slug, name in compounds.items() if any(slug in row.cells for row in matrix)}
    return matrix, columns


@dataclass(frozen=True)
class Bar:
    compound: str
    label: str
    value: int
    x: int
    y: int
    width: int
    colour_index: int
    url: str


@dataclass(frozen=True)
class BarGroup:
    label: str
    y: int
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    groups: list[BarGroup]
    width: int
    height: int
    plot_left: int
    plot_width: int
    ticks: list[tuple[int, int]]  # (value, x)


CHART_WIDTH = 900
LABEL_WIDTH = 400
BAR_HEIGHT = 14
GROUP_GAP = 12
AXIS_HEIGHT = 40  # the axis title, then the tick values


def harm_chart(rows: list[OrganClassRow], compounds: Mapping[str, str]) -> BarChart:
    """Grouped horizontal bars, one group per organ class, one bar per compound: length ∝ number of sources."""
    plot_width = CHART_WIDTH - LABEL_WIDTH - 40  # room for the number printed after the longest bar
    largest = max((cell.sources for row in rows for cell in row.cells.values()), default=0) or 1
    order = list(compounds)
    groups, y = [], AXIS_HEIGHT
    for row in rows:
        bars = []
        for slug in order:
            cell = row.cells.get(slug)
            if cell is None:
                continue
            width = max(2, round(cell.sources / largest * plot_width))
            bars.append(
                Bar(
                    slug,
                    compounds[slug],
                    cell.sources,
                    LABEL_WIDTH,
                    y + len(bars) * BAR_HEIGHT,
                    width,
                    order.index(slug),
                    cell.url,
                )
            )
        groups.append(BarGroup(row.organ_class, y, bars))
        y += len(bars) * BAR_HEIGHT + GROUP_GAP
    ticks = [(value, LABEL_WIDTH + round(value / largest * plot_width)) for value in _tick_values(largest)]
    return BarChart(groups, CHART_WIDTH, y, LABEL_WIDTH, plot_width, ticks)


def _tick_values(largest: int) -> list[int]:
    step = next(step for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10**9) if largest / step <= 6)
    return list(range(0, largest + 1, step))


# --- Evidence map: sources × statements ------------------------------------------------------------


@dataclass(frozen=True)
class MapColumn:
    number: int
    statement: Statement


@dataclass
class MapRow:
    key: str  # the source's
    design: str  # the source's study design
    stances: list[str | None]  # one per column: the stance of this source on that statement, or None


def evidence_map(
    statements: list[Statement], links: Iterable[tuple[int, str, str, str]]
) -> tuple[list[MapColumn], list[MapRow]]:
    """Columns are the statements in order, each headed by its number in its article (the review page's);
    rows the sources linked to any of them, most-linked first. `links` are (claim id, source key, study
    design, stance) rows: at 60 statements of 25 links, making each link and its source an object took most
    of the page's time. A source linked to a statement more than once (to the whole and to a part, or to two
    parts) shows the stance of its first link: the caller orders them (views.map_links)."""
    columns = [MapColumn(statement.number, statement) for statement in statements]
    column_of = {statement.claim.pk: index for index, statement in enumerate(statements)}
    rows: dict[str, MapRow] = {}
    for claim_id, key, design, stance in links:
        row = rows.setdefault(key, MapRow(key, design, [None] * len(statements)))
        row.stances[column_of[claim_id]] = row.stances[column_of[claim_id]] or stance
    ordered = sorted(rows.values(), key=lambda r: (-sum(s is not None for s in r.stances), r.key))
    return columns, ordered
