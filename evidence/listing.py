"""The sources list's figures in one SQL statement: the full-text match computed once per request.

A search's facet counts, its count and its page all select from the same matching sources. Each used to
run the match again (7 times for `?q=kratom`: a scan of 94,000 rows each at 100,000 sources). Here the
match is a materialised common table expression (`search_matched`: id, key, rank), and every facet count,
the total and the ranked page read it, in one statement whose rows are (part, value…, n, position).

Each part is the ORM's own query for it (the FilterSet with every other filter kept, the facet counted from
the relation's side), with the text filter replaced by `pk IN (SELECT id FROM search_matched)`; so the
counts are exactly those the separate queries gave. The figures are cached per data version (the counts
per normalised query, the page per query, sort and page): evidence/caching.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.http import QueryDict

from . import caching, search
from .filters import (
    COLUMN_FACETS,
    FACETS,
    RELATED_FACETS,
    SORT_ORDER,
    SourceFilter,
    SourceSearch,
    split_column_counts,
    without_facets,
)
from .models import Source

MATCHED = "search_matched"
PAGE_SIZE = 25  # sources per page of the list


class FiltersWithoutText(SourceFilter):
    """The sources list's filters but the text search, which the statement joins in from `search_matched`."""

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset


@dataclass(frozen=True)
class Counts:
    total: int
    facets: dict[str, dict[str, int]]  # facet -> value -> sources, in the page's order


@dataclass(frozen=True)
class Listing:
    counts: Counts
    offset: int
    page_ids: tuple[int, ...]  # the sources of the page starting at `offset`, in order


NOTHING = Counts(0, {name: {} for name in FACETS})
EMPTY = Listing(NOTHING, 0, ())  # an invalid filter value: the page lists nothing and says why


def normalised(found: SourceSearch) -> list:
    """What the counts depend on: the filters in force (sorted, blanks dropped) and the query as understood,
    so that "Kratom " and "kratom" share their figures."""
    params = sorted(
        (name, sorted(v for v in found.data.getlist(name) if v.strip()))
        for name in SourceFilter.base_filters
        if name != "q" and any(v.strip() for v in found.data.getlist(name))
    )
    return [params, repr(found.understood) if found.searching else ""]


def listing(request, found: SourceSearch, offset: int, limit: int) -> Listing:
    """The counts and one page of a valid search, from the cache or computed in one statement."""
    if found.searching and not found.understood:  # nothing to look for: found nothing, as search.search says
        return Listing(NOTHING, offset, ())
    query = normalised(found)
    counts_key = caching.key_for(request, "source-counts", query)
    page_key = caching.key_for(request, "source-page", query, found.sort, offset, limit)
    counts, page_ids = caching.get(counts_key), caching.get(page_key)
    if counts is None or page_ids is None:
        computed_counts, computed_ids = compute(found, offset, limit, with_counts=counts is None)
        if counts is None:
            counts = computed_counts
            caching.put(counts_key, counts)
        page_ids = computed_ids
        caching.put(page_key, page_ids)
    return Listing(counts, clamped(offset, counts.total, limit), page_ids)


def clamped(offset: int, total: int, limit: int) -> int:
    """The offset of the page shown: past the last page (a stale link), the last page, as the SQL does."""
    return offset if offset < total else max(total - 1, 0) // limit * limit


def counts_of(found: SourceSearch) -> Counts:
    """The counts alone, uncached."""
    if found.searching and not found.understood:
        return NOTHING
    return compute(found, 0, 0, with_counts=True)[0]


# --- the statement -----------------------------------------------------------------------------------


def compute(found: SourceSearch, offset: int, limit: int, with_counts: bool) -> tuple[Counts | None, tuple[int, ...]]:
    """Run the one statement: the match (once), then the facet counts and the total if asked, and the page."""
    sql, params = statement(found, offset, limit, with_counts)
    # Where the page's other reads go (a replica, unless the request is pinned to the primary): the ids read
    # here and the rows read by them must come from the same database, or a lagging replica lacks some.
    alias = router.db_for_read(Source)
    database = connections[alias]
    # A transaction on PostgreSQL only, for SET LOCAL: SQLite's begin IMMEDIATE (settings), taking the write lock.
    postgresql = database.vendor == "postgresql"
    with transaction.atomic(using=alias) if postgresql else nullcontext(), database.cursor() as cursor:
        without_jit(cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return read_rows(rows, found.data, with_counts)


def without_jit(cursor) -> None:
    """PostgreSQL's JIT compiled this wide statement for 2.4 s at 100,000 sources, longer than it runs: off
    until the transaction ends."""
    if cursor.db.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")


def statement(
    found: SourceSearch, offset: int, limit: int, with_counts: bool, match_inline: bool = True
) -> tuple[str, list]:
    """The statement's SQL; `match_inline=False` leaves out the match, for a `search_matched` table made
    beforehand (the benchmark's floor: the match once, raw, then the counts over it, raw)."""
    parts = statement_parts(found, offset, limit, with_counts)
    with_clauses, selects, params = [], [], []
    if found.searching and match_inline:
        body, match_params = matched_sql(found)
        # Both databases materialise a CTE read several times; saying so keeps either from inlining it.
        with_clauses.append(f"{MATCHED} AS MATERIALIZED ({body})")
        params += match_params
    for name, (columns, sql, part_params, rows_select) in parts.items():
        if sql:
            with_clauses.append(f"{name}({', '.join(columns)}) AS ({sql})")
            params += part_params
        if rows_select:
            selects.append(rows_select)
    return f"WITH {', '.join(with_clauses)} " + " UNION ALL ".join(selects), params


def matched_sql(found: SourceSearch) -> tuple[str, list]:
    return search.matched_sql(found.understood, ranked=found.sort == "relevance")


class Nothing(Exception):
    """A part that can match nothing (a filter with an empty `IN`): the statement reads no rows for it."""


def matched_ids(
    found: SourceSearch, data: QueryDict, columns: tuple[str, ...] = (), ranked: bool = False
) -> tuple[str, list]:
    """SQL for the ids (and these columns; `ranked`: and the match's rank and key) of the public sources that
    pass the filters of `data` and match the search. The match is joined, not tested with `IN`: PostgreSQL
    guesses 200 distinct ids in a CTE it semi-joins, and probed the sources' primary key 94,000 times."""
    queryset = FiltersWithoutText(data, queryset=Source.objects.public()).qs.order_by().values("id", *columns)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet as nothing:
        raise Nothing from nothing
    if not found.searching:
        return sql, list(params)
    selected = ", ".join([*(f"f.{column}" for column in ("id", *columns)), *(["m.rank", "m.key"] if ranked else [])])
    return f"SELECT {selected} FROM ({sql}) AS f JOIN {MATCHED} AS m ON m.id = f.id", list(params)


def statement_parts(found: SourceSearch, offset: int, limit: int, with_counts: bool) -> dict:
    """name -> (columns, SQL, params, the SELECT that turns its rows into the statement's uniform rows).

    `matching` holds the results (every filter, the match joined); a facet whose own filter is not in use
    counts over it, one whose filter is in use over its own set (every other filter kept)."""
    data = found.data
    parts = {}

    def add(name: str, columns: list[str], make, rows_select: str, empty: str) -> None:
        try:
            sql, params = make()
        except Nothing:
            sql, params = empty, []
        parts[name] = (columns, sql, params, rows_select.format(name=name))

    # The results; with the search's rank and key when the page is ordered by relevance.
    ranked = found.searching and found.sort == "relevance"
    add(
        "matching",
        ["id", "rank", "key"] if ranked else ["id"],
        lambda: matched_ids(found, data, ranked=ranked),
        "",
        "SELECT NULL, NULL, NULL WHERE 1 = 0" if ranked else "SELECT NULL WHERE 1 = 0",
    )
    if with_counts:
        for index, facet in enumerate(name for name in FACETS if name not in COLUMN_FACETS):
            rows = f"facet_{index}_rows"
            add(
                rows,
                ["source_id", "value"],
                lambda facet=facet: related_rows(facet),
                "",
                "SELECT NULL, NULL WHERE 1 = 0",
            )
            add(
                f"facet_{index}",
                ["value", "n"],
                lambda facet=facet, rows=rows: related_counts(found, facet, rows),
                f"SELECT '{facet}', CAST(value AS TEXT), NULL, NULL, NULL, n, "
                "ROW_NUMBER() OVER (ORDER BY n DESC, value) FROM {name}",
                "SELECT NULL, 0 WHERE 1 = 0",
            )
        add(
            "facet_columns",
            ["a", "b", "c", "d", "n"],
            lambda: column_counts(found),
            "SELECT 'columns', a, b, c, d, n, 0 FROM {name}",
            "SELECT NULL, NULL, NULL, NULL, 0 WHERE 1 = 0",
        )
        parts["total"] = ([], "", [], "SELECT 'total', NULL, NULL, NULL, NULL, count(*), 0 FROM matching")
    if limit:
        # A page past the last (a stale link) shows the last page, as Paginator.get_page does, in this same
        # statement: the offset is clamped to the count.
        clamped_offset = (
            f"(SELECT CASE WHEN {int(offset)} < n THEN {int(offset)} WHEN n > 0 THEN (n - 1) / {int(limit)} * "
            f"{int(limit)} ELSE 0 END FROM (SELECT count(*) AS n FROM matching) AS counted)"
        )
        if ranked:
            table, first, descending, second = "matching AS s", "rank", True, "key"
        else:
            first, second = SORT_ORDER[found.sort]
            table = "matching AS b JOIN evidence_source AS s ON s.id = b.id"
            descending, first = first.startswith("-"), first.lstrip("-")
        direction = " DESC" if descending else ""
        # Ordered again over its own few rows: the statement's rows come in no promised order.
        parts["page"] = (
            ["id", "sort_1", "sort_2"],
            f"SELECT s.id, s.{first}, s.{second} FROM {table} "
            f"ORDER BY s.{first}{direction}, s.{second} LIMIT {int(limit)} OFFSET {clamped_offset}",
            [],
            "SELECT 'page', CAST(id AS TEXT), NULL, NULL, NULL, 0, "
            f"ROW_NUMBER() OVER (ORDER BY sort_1{direction}, sort_2) FROM page",
        )
    return parts


def related_rows(facet: str) -> tuple[str, list]:
    """(source, value) of every related row a facet counts, from the ORM."""
    related, field = RELATED_FACETS[facet]
    try:
        sql, params = related.exclude(**{field: ""}).order_by().values_list("source", field).query.sql_with_params()
    except EmptyResultSet as nothing:
        raise Nothing from nothing
    return sql, list(params)


def related_counts(found: SourceSearch, facet: str, rows: str) -> tuple[str, list]:
    """A facet through a relation, counted from the relation's side (`rows`: its related_rows): each value
    with how many sources. The rows are joined to the ids, not tested with `IN` (see matched_ids); distinct
    pairs first, then counted, which PostgreSQL hashes where COUNT(DISTINCT) sorts (on disk at 300,000)."""
    if found.data.getlist(facet):
        ids_sql, params = matched_ids(found, without_facets(found.data, [facet]))
    else:
        ids_sql, params = "SELECT id FROM matching", []
    # One source can have several reports of one effect, or support several claims of one category.
    pairs = f"SELECT DISTINCT r.value, r.source_id FROM {rows} AS r JOIN ({ids_sql}) AS b ON b.id = r.source_id"
    return f"SELECT value, count(*) FROM ({pairs}) AS pairs GROUP BY value", params


def column_counts(found: SourceSearch) -> tuple[str, list]:
    """The sources per combination of the column facets' values (split per facet in Python)."""
    columns = tuple(COLUMN_FACETS.values())
    listed = ", ".join(columns)
    if any(found.data.getlist(name) for name in COLUMN_FACETS):
        rows_sql, params = matched_ids(found, without_facets(found.data, COLUMN_FACETS), columns)
    else:
        selected = ", ".join(f"s.{column}" for column in columns)
        rows_sql, params = f"SELECT {selected} FROM matching AS b JOIN evidence_source AS s ON s.id = b.id", []
    return f"SELECT {listed}, count(*) FROM ({rows_sql}) AS c GROUP BY {listed}", params


def read_rows(rows: Sequence[tuple], data: QueryDict, with_counts: bool) -> tuple[Counts | None, tuple[int, ...]]:
    facets: dict[str, list[tuple[int, str, int]]] = {name: [] for name in FACETS if name not in COLUMN_FACETS}
    cells, total, page = [], 0, []
    for part, a, b, c, d, n, position in rows:
        if part == "page":
            page.append((position, int(a)))
        elif part == "total":
            total = n
        elif part == "columns":
            cells.append(((a, b, c, d), n))
        else:
            facets[part].append((position, a, n))
    page_ids = tuple(pk for _, pk in sorted(page))
    if not with_counts:
        return None, page_ids
    counted = {name: {value: n for _, value, n in sorted(values)} for name, values in facets.items()}
    return Counts(total, counted | split_column_counts(cells, data)), page_ids
