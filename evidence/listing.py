"""The sources list's figures in one SQL statement, two with a search: the full-text match computed once
per request.

A search's facet counts, its count and its page all select from the same matching sources. Each used to
run the match again (7 times for `?q=kratom`: a scan of 94,000 rows each at 100,000 sources). Here the
match is a materialised common table expression (`search_matched`: id, key, rank) that the total and the
ranked page read, in one statement whose rows are (part, value…, n, position); the facet counts read what
that statement hands on (below).

Each part is the ORM's own query for it (the FilterSet with every other filter kept, the facet counted from
the relation's side), with the text filter replaced by a join to the matched ids; so the counts are exactly
those the separate queries gave. The figures are cached per data version (the counts
per normalised query, the page per query, sort and page): evidence/caching.py.

With a search, the facets are counted by a second statement, over whichever side of the match is smaller:
the matching statement hands back that side's ids (see `Side`). A broad search (more than half the sources
match, as "kratom" does in a base about kratom) has its facets counted over the sources it does *not*
match, and subtracted from the same filters' counts without the search (kept per data version, shared by
every search with those filters): at 100,000 sources, counting 5,500 sources instead of 94,000 took a cold
search from ~0.55 s to ~0.3 s. The side is chosen from the match just made, so the figures are exact
either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import QuerySet
from django.http import QueryDict

from . import caching, routing, search
from .filters import (
    COLUMN_FACETS,
    FACETS,
    RELATED_FACETS,
    SORT_ORDER,
    SourceFilter,
    SourceSearch,
    in_order,
    split_column_counts,
    without_facets,
)
from .models import Source

MATCHED = "search_matched"
COUNTED_SIDE = "search_counted_side"  # the sources the facets are counted over: the matched or the others
HEAD = 500  # the best-ranked matches a search keeps, for the first page of its requests with other filters
PAGE_SIZE = 25  # sources per page of the list


class FiltersWithoutText(SourceFilter):
    """The sources list's filters but the text search, which the statement joins in from `search_matched`."""

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset


@dataclass(frozen=True)
class Counts:
    total: int
    facets: dict[str, dict[str, int]]  # facet -> value -> sources, in the page's order

    def without(self, others: Counts, total: int) -> Counts:
        """These counts less `others`' (the sources a broad search does not match), value by value."""
        return Counts(
            total,
            {
                name: in_order((value, n - others.facets[name].get(value, 0)) for value, n in values.items())
                for name, values in self.facets.items()
            },
        )


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
    """The counts and one page of a valid search, from the cache or computed (`compute`)."""
    if found.searching and not found.understood:  # nothing to look for: found nothing, as search.search says
        return Listing(NOTHING, offset, ())
    query = normalised(found)
    counts_key = caching.key_for(request, "source-counts", query)
    page_key = caching.key_for(request, "source-page", query, found.sort, offset, limit)
    counts, page_ids = caching.get(counts_key), caching.get(page_key)
    if counts is None or page_ids is None:
        keys = Keys(
            caching.key_for(request, "source-match", query[1]),
            caching.key_for(request, "source-counts", normalised(without_search(found))),
        )
        computed_counts, computed_ids = compute(found, offset, limit, counts is None, keys)
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


def without_search(found: SourceSearch) -> SourceSearch:
    """The same filters without the text search: the counts a broad search's are subtracted from. (The
    statement's filters leave the text to the match: `q` may stay in the data.)"""
    return replace(found, searching=False)


# --- the statement -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """Where a search's shared figures are kept (None: not kept)."""

    match: str | None  # its Match, per query as understood
    unsearched: str | None  # the counts of the same filters without the search


NOT_KEPT = Keys(None, None)


def compute(
    found: SourceSearch, offset: int, limit: int, with_counts: bool, keys: Keys = NOT_KEPT
) -> tuple[Counts | None, tuple[int, ...]]:
    """The figures of a search: its match (once), the page, and the total and facet counts if asked.

    Without a search, one statement. With one, the statement that matches also says which side the facets
    are counted over and hands back that side's ids, which a second statement counts over (see `Side`). A
    broad search's counts need those of its filters without the search (`keys.unsearched`). What the match
    left (`Match`) lets the first page of the same search with other filters skip the match."""
    # Where the page's other reads go (a replica, unless the request is pinned to the primary): the ids read
    # here and the rows read by them must come from the same database, or a lagging replica lacks some.
    # The statements below read one snapshot, as one statement did: a write committed between them would show
    # in the counts and not in the side they are subtracted from.
    with routing.one_snapshot(router.db_for_read(Source)) as cursor:
        without_jit(cursor)
        first_by_relevance = found.searching and found.sort == "relevance" and offset == 0
        kept = caching.get(keys.match) if first_by_relevance else None
        if kept is not None and kept.head:
            counts, page_ids = from_kept_match(cursor, found, kept, limit, keys)
            if page_ids is None:  # further down the ranking: matched again, for the page only
                page_ids = run(cursor, statement(found, offset, limit, with_counts=False)).page_ids
            return (counts if with_counts else None), page_ids
        read = run(cursor, statement(found, offset, limit, with_counts))
        counts = read.counts(found.data) if with_counts else None
        if counts is not None and read.side is not None:
            counted = run(cursor, counts_statement(found, read.side.sql(cursor.db.vendor))).counts(found.data)
            counts = counted_for(cursor, found, read.side, counted, keys, counts.total)
            if read.head:
                caching.put(keys.match, Match(read.side, read.head))
    return counts, read.page_ids


def counted_for(cursor, found: SourceSearch, side: Side, counted: Counts, keys: Keys, total: int | None) -> Counts:
    """A search's counts from those over its side: as they are, or for a broad search subtracted from the
    counts of its filters without the search, which give its total too when `total` is None."""
    if not side.broad:
        return Counts(counted.total if total is None else total, counted.facets)
    # Every broad search with these filters needs the same counts: right after a write, the first computes
    # them and the others wait for its value.
    plain = without_search(found)
    _, unsearched = caching.kept_or_computed(
        keys.unsearched, lambda: run(cursor, statement(plain, 0, 0, True)).counts(plain.data)
    )
    return unsearched.without(counted, unsearched.total - counted.total if total is None else total)


@dataclass(frozen=True)
class Match:
    """What a search's match leaves for its requests with other filters, kept per query and data version:
    the side its facets are counted over, and its best-ranked matches in the page's order (rank, then key)."""

    side: Side
    head: tuple[int, ...]


def from_kept_match(
    cursor, found: SourceSearch, match: Match, limit: int, keys: Keys
) -> tuple[Counts, tuple[int, ...] | None]:
    """The counts and first page of a search by relevance from its kept match, without matching again: one
    statement counts over the side and finds which of the best-ranked matches pass the filters. The page is
    None when fewer than a page of them do, though more sources match (it lies further down the ranking)."""
    vendor = cursor.db.vendor
    read = run(cursor, counts_statement(found, match.side.sql(vendor), ids_sql(vendor, match.head)))
    counts = counted_for(cursor, found, match.side, read.counts(found.data), keys, None)
    passing = set(read.head)
    page = tuple(pk for pk in match.head if pk in passing)[:limit]
    return counts, (page if len(page) >= min(limit, counts.total) else None)


def run(cursor, sql_and_params: tuple[str, list]) -> Rows:
    sql, params = sql_and_params
    cursor.execute(sql, params)
    return read_rows(cursor.fetchall())


def without_jit(cursor) -> None:
    """PostgreSQL's JIT compiled this wide statement for 2.4 s at 100,000 sources, longer than it runs: off
    until the transaction ends."""
    if cursor.db.vendor == "postgresql":
        cursor.execute("SET LOCAL jit = off")


@dataclass(frozen=True)
class Side:
    """The sources a search's facets are counted over, as the matching statement chose them: its matches,
    or (`broad`: more than half of all sources match) the sources it does not match. Their ids come back
    as text and go into the counting statement as a constant: PostgreSQL then plans the counts for as
    many rows as there are (its estimate for a search's matches can be 6 times too many, and a hash of
    every supporting link was built for 5,500 sources)."""

    broad: bool
    ids: str | None  # PostgreSQL's array text ({1,2}) or SQLite's JSON array ([1,2]); None for no id

    def sql(self, vendor: str) -> tuple[str, list]:
        return ids_sql(vendor, self.ids)


def ids_sql(vendor: str, ids: str | Sequence[int] | None) -> tuple[str, list]:
    """A SELECT of ids given as a constant (as text from the database, or a list), and its params."""
    if not isinstance(ids, str | None):
        ids = ("{%s}" if vendor == "postgresql" else "[%s]") % ",".join(str(int(pk)) for pk in ids)
    if vendor == "postgresql":
        return "SELECT unnest(CAST(%s AS bigint[])) AS id", [ids]  # ids are 64-bit (BigAutoField)
    return "SELECT value AS id FROM json_each(%s)", [ids]


def side_row(vendor: str) -> tuple[str, str]:
    """The matching statement's CTE that chooses the side (once: inlined, PostgreSQL counted twice), and
    its row that lists the side's ids (see Side)."""
    broad = f"(SELECT count(*) FROM {MATCHED}) * 2 > (SELECT count(*) FROM evidence_source)"
    # A left join to the matches, not NOT IN: PostgreSQL cannot anti-join NOT IN (ids might be NULL) and
    # probes a hashed list that spills past work_mem; SQLite indexes the matches for the join.
    others = f"SELECT s.id FROM evidence_source AS s LEFT JOIN {MATCHED} AS m ON m.id = s.id WHERE m.id IS NULL"
    if vendor == "postgresql":
        listed = "'{' || string_agg(CAST(id AS TEXT), ',') || '}'"
    else:
        listed = "'[' || group_concat(id) || ']'"
    # CASE evaluates the chosen side's list only.
    return (
        f"search_broad AS MATERIALIZED (SELECT {broad} AS broad)",
        f"SELECT 'side', CASE WHEN broad THEN (SELECT {listed} FROM ({others}) AS o) "
        f"ELSE (SELECT {listed} FROM {MATCHED}) END, NULL, NULL, NULL, CASE WHEN broad THEN 1 ELSE 0 END, 0 "
        "FROM search_broad",
    )


def statement(
    found: SourceSearch, offset: int, limit: int, with_counts: bool, match_inline: bool = True
) -> tuple[str, list]:
    """The matching statement's SQL: the page and the total, and without a search the facet counts too;
    with a search, the side its facets are counted over (counts_statement). `match_inline=False` leaves
    out the match, for a `search_matched` table made beforehand (the benchmark's floor)."""
    parts = result_parts(found, offset, limit, with_counts)
    if with_counts and not found.searching:
        parts |= count_parts(found, "matching")
    with_clauses, selects, params = [], [], []
    if found.searching and match_inline:
        body, match_params = matched_sql(found)
        # Both databases materialise a CTE read several times; saying so keeps either from inlining it.
        with_clauses.append(f"{MATCHED} AS MATERIALIZED ({body})")
        params += match_params
    if found.searching and with_counts:
        chosen, row = side_row(connections[router.db_for_read(Source)].vendor)
        with_clauses.append(chosen)
        selects.append(row)
        if found.sort == "relevance":  # the best-ranked matches, whatever the filters (see Match)
            selects.append(
                f"SELECT 'head', CAST(id AS TEXT), NULL, NULL, NULL, 0, ROW_NUMBER() OVER (ORDER BY rank DESC, key) "
                f"FROM (SELECT id, rank, key FROM {MATCHED} ORDER BY rank DESC, key LIMIT {HEAD}) AS best"
            )
    return assembled(parts, with_clauses, selects, params)


def counts_statement(
    found: SourceSearch, side: tuple[str, list], head: tuple[str, list] | None = None
) -> tuple[str, list]:
    """The facet counts of a search over a side of it (`side`: the SQL of its ids, and its params), every
    filter kept, with the number of sources counted over; and which of the `head` ids pass the filters."""
    side_sql, side_params = side
    parts = {"counted": (["id"], *passing(found, COUNTED_SIDE), "")} | count_parts(found, "counted")
    parts["total"] = ([], "", [], "SELECT 'total', NULL, NULL, NULL, NULL, count(*), 0 FROM counted")
    with_clauses, params = [f"{COUNTED_SIDE} AS MATERIALIZED ({side_sql})"], list(side_params)
    if head:
        head_sql, head_params = head
        # Materialised: SQLite indexes it for the join; json_each itself it scanned for every filtered source.
        with_clauses.append(f"search_head AS MATERIALIZED ({head_sql})")
        params += head_params
        parts["passing"] = (
            ["id"],
            *passing(found, "search_head"),
            "SELECT 'head', CAST(id AS TEXT), NULL, NULL, NULL, 0, 0 FROM passing",
        )
    return assembled(parts, with_clauses, [], params)


def passing(found: SourceSearch, side: str) -> tuple[str, list]:
    """SQL for the ids of `side` that pass every filter (none when a filter can match nothing)."""
    try:
        return matched_ids(found, found.data, side=side)
    except Nothing:
        return "SELECT NULL WHERE 1 = 0", []


def assembled(parts: dict, with_clauses: list[str], selects: list[str], params: list) -> tuple[str, list]:
    """One statement of `parts` (name -> (columns, SQL, params, the SELECT that turns its rows into the
    statement's uniform rows: part, value…, n, position)) after the given CTEs and selects."""
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
    found: SourceSearch, data: QueryDict, columns: tuple[str, ...] = (), ranked: bool = False, side: str = MATCHED
) -> tuple[str, list]:
    """SQL for the ids (and these columns; `ranked`: and the match's rank and key) of the public sources that
    pass the filters of `data` and are in `side` (the search's matches, or the side its facets are counted
    over). The side is joined, not tested with `IN`: PostgreSQL guesses 200 distinct ids in a CTE it
    semi-joins, and probed the sources' primary key 94,000 times."""
    kept = data.urlencode()
    if kept not in found.filtered:
        found.filtered[kept] = FiltersWithoutText(data, queryset=Source.objects.public()).qs.order_by()
    queryset = found.filtered[kept].values("id", *columns)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet as nothing:
        raise Nothing from nothing
    if not found.searching:
        return sql, list(params)
    selected = ", ".join([*(f"f.{column}" for column in ("id", *columns)), *(["m.rank", "m.key"] if ranked else [])])
    return f"SELECT {selected} FROM ({sql}) AS f JOIN {side} AS m ON m.id = f.id", list(params)


def result_parts(found: SourceSearch, offset: int, limit: int, with_total: bool) -> dict:
    """The parts (see `assembled`) of `matching` (the results: every filter, the match joined), their total
    and one page of them."""
    ranked = found.searching and found.sort == "relevance"
    try:
        sql, params = matched_ids(found, found.data, ranked=ranked)
    except Nothing:
        sql, params = ("SELECT NULL, NULL, NULL WHERE 1 = 0" if ranked else "SELECT NULL WHERE 1 = 0"), []
    parts = {"matching": (["id", "rank", "key"] if ranked else ["id"], sql, params, "")}
    if with_total:
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


def count_parts(found: SourceSearch, counted: str) -> dict:
    """The parts of the facet counts: a facet whose own filter is not in use counts over `counted` (the
    results, or a search's side with every filter kept), one whose filter is in use over its own set (every
    other filter kept)."""
    parts = {}

    def add(name: str, columns: list[str], make, rows_select: str, empty: str) -> None:
        try:
            sql, params = make()
        except Nothing:
            sql, params = empty, []
        parts[name] = (columns, sql, params, rows_select.format(name=name))

    for index, facet in enumerate(name for name in FACETS if name not in COLUMN_FACETS):
        rows = f"facet_{index}_rows"
        add(rows, ["source_id", "value"], lambda facet=facet: related_rows(facet), "", "SELECT NULL, NULL WHERE 1 = 0")
        add(
            f"facet_{index}",
            ["value", "n"],
            lambda facet=facet, rows=rows: related_counts(found, facet, rows, counted),
            f"SELECT '{facet}', CAST(value AS TEXT), NULL, NULL, NULL, n, 0 FROM {{name}}",
            "SELECT NULL, 0 WHERE 1 = 0",
        )
    add(
        "facet_columns",
        ["a", "b", "c", "d", "n"],
        lambda: column_counts(found, counted),
        "SELECT 'columns', a, b, c, d, n, 0 FROM {name}",
        "SELECT NULL, NULL, NULL, NULL, 0 WHERE 1 = 0",
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


def related_counts(found: SourceSearch, facet: str, rows: str, counted: str) -> tuple[str, list]:
    """A facet through a relation, counted from the relation's side (`rows`: its related_rows): each value
    with how many sources. The rows are joined to the ids, not tested with `IN` (see matched_ids); distinct
    pairs first, then counted, which PostgreSQL hashes where COUNT(DISTINCT) sorts (on disk at 300,000)."""
    if found.data.getlist(facet):
        ids_sql, params = matched_ids(found, without_facets(found.data, [facet]), side=COUNTED_SIDE)
    else:
        ids_sql, params = f"SELECT id FROM {counted}", []
    # One source can have several reports of one effect, or support several claims of one category.
    pairs = f"SELECT DISTINCT r.value, r.source_id FROM {rows} AS r JOIN ({ids_sql}) AS b ON b.id = r.source_id"
    return f"SELECT value, count(*) FROM ({pairs}) AS pairs GROUP BY value", params


def column_counts(found: SourceSearch, counted: str) -> tuple[str, list]:
    """The sources per combination of the column facets' values (split per facet in Python)."""
    columns = tuple(COLUMN_FACETS.values())
    listed = ", ".join(columns)
    if any(found.data.getlist(name) for name in COLUMN_FACETS):
        rows_sql, params = matched_ids(found, without_facets(found.data, COLUMN_FACETS), columns, side=COUNTED_SIDE)
    else:
        selected = ", ".join(f"s.{column}" for column in columns)
        rows_sql, params = f"SELECT {selected} FROM {counted} AS b JOIN evidence_source AS s ON s.id = b.id", []
    return f"SELECT {listed}, count(*) FROM ({rows_sql}) AS c GROUP BY {listed}", params


@dataclass(frozen=True)
class Rows:
    """A statement's rows, read: the page's ids, the facets' values and the column facets' cells, the total,
    and from a matching statement the side and the best-ranked matches."""

    page_ids: tuple[int, ...]
    facets: dict[str, dict[str, int]]
    cells: list[tuple[tuple, int]]
    total: int
    side: Side | None
    head: tuple[int, ...]

    def counts(self, data: QueryDict) -> Counts:
        return Counts(self.total, self.facets | split_column_counts(self.cells, data))


def read_rows(rows: Sequence[tuple]) -> Rows:
    facets: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS if name not in COLUMN_FACETS}
    cells, total, page, side, head = [], 0, [], None, []
    for part, a, b, c, d, n, position in rows:
        if part == "page":
            page.append((position, int(a)))
        elif part == "head":
            head.append((position, int(a)))
        elif part == "total":
            total = n
        elif part == "side":
            side = Side(bool(n), a)
        elif part == "columns":
            cells.append(((a, b, c, d), n))
        else:
            facets[part].append((a, n))
    counted = {name: in_order(values) for name, values in facets.items()}
    return Rows(tuple(pk for _, pk in sorted(page)), counted, cells, total, side, tuple(pk for _, pk in sorted(head)))
