"""Issue 18: the sources list matches a search once per request, however many facets, counts and pages read it."""

from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from evidence import search
from evidence.query.thesaurus import understand

pytestmark = pytest.mark.django_db
SOURCES = reverse("evidence:sources")


@contextmanager
def statements_run():
    """Every SQL statement the block runs, with its parameters."""
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def every_word_match(q: str) -> str:
    """The parameter that carries the search's every-word match to the database."""
    query = understand(q)
    return search.tsquery(query) if connection.vendor == "postgresql" else search.fts5_query(query)


def statements_matching(seen, q: str) -> list[str]:
    expression = every_word_match(q)
    return [sql for sql, params in seen if params and expression in [str(p) for p in params]]


@pytest.mark.parametrize(
    "query",
    [
        "q=kratom",
        "q=kratom&design=case-report&population=humans",
        "q=kratom+liver&sort=title",
        "q=kratom&compound=mitragynine&organ_class=Hepatobiliary+disorders&supports_category=safety",
        "q=kratom&sort=newest&page=2",
        "q=kratom&page=99",  # past the last page: the last page, still in the same statement
        "q=liver+damage",
    ],
)
def test_the_search_is_matched_once_per_request(reader, query):
    q = QueryDict(query)["q"]
    reader.get(f"{SOURCES}?{query}")  # the lexicon is read once a minute: not part of a request's cost
    with statements_run() as seen:
        response = reader.get(f"{SOURCES}?{query}")
    assert response.status_code == 200
    matched = statements_matching(seen, q)
    assert len(matched) == 1, matched
    assert "search_matched" in matched[0]


def test_counts_facets_and_page_are_the_ones_separate_queries_give(reader):
    """The one statement's figures against the ORM's own, query by query."""
    from evidence.filters import SourceFilter, find_sources
    from evidence.models import Source

    data = QueryDict("q=kratom&population=humans&sort=oldest")
    found = find_sources(data)
    html = reader.get(f"{SOURCES}?{data.urlencode()}").content.decode()
    expected = SourceFilter(data, queryset=Source.objects.public()).qs
    assert f"{expected.count()} sources" in html
    first_page = list(expected.order_by("year", "key").values_list("key", flat=True)[:25])
    positions = [html.index(f'href="/sources/{key}/"') for key in first_page]
    assert positions == sorted(positions)
    assert found.valid


def side_of(found):
    """The side the matching statement chose for a search's facets."""
    from evidence import listing

    with connection.cursor() as cursor:
        return listing.run(cursor, listing.statement(found, 0, 0, True)).side


def counted_over_the_matches(found):
    """The facet counts over the search's matches themselves."""
    from evidence import listing

    with connection.cursor() as cursor:
        return listing.run(cursor, listing.counts_statement(found, listing.matched_sql(found))).counts(found.data)


@pytest.mark.parametrize(
    "query",
    [
        "q=kratom",
        "q=kratom&design=case-report&design=case-series",
        "q=kratom&population=humans&curation=reviewed",
        "q=kratom&compound=mitragynine",
        "q=kratom&organ_class=Hepatobiliary+disorders&reported_with=kratom",
        "q=kratom&adverse_effect=seizure+(recurrent)&supports_category=safety",
        "q=kratom&year_from=2015&retraction=none&sort=oldest",
    ],
)
def test_a_broad_search_counts_what_counting_its_matches_gives(query):
    """A search matching most sources has its facets counted over the other sources and subtracted from the
    counts without the search: every count must be the one counting its matches gives, in the same order."""
    from evidence import listing
    from evidence.filters import SourceFilter, find_sources
    from evidence.models import Source

    found = find_sources(QueryDict(query))
    assert side_of(found).broad  # "kratom" matches most of the demo's sources
    counts = listing.counts_of(found)
    expected = counted_over_the_matches(found)
    assert [list(values.items()) for values in counts.facets.values()] == [
        list(values.items()) for values in expected.facets.values()
    ]
    assert counts.total == SourceFilter(found.data, queryset=Source.objects.public()).qs.count()


def test_a_narrow_search_counts_over_its_matches():
    from evidence import listing
    from evidence.filters import find_sources

    found = find_sources(QueryDict("q=abuse+liability"))
    assert not side_of(found).broad
    assert listing.counts_of(found).facets == counted_over_the_matches(found).facets


def kept_match(q: str, head_size: int | None = None):
    """What the search's first request keeps (its side and best-ranked matches), the head cut if asked."""
    from evidence import listing
    from evidence.filters import find_sources

    with connection.cursor() as cursor:
        read = listing.run(cursor, listing.statement(find_sources(QueryDict(f"q={q}")), 0, 25, True))
    return listing.Match(read.side, read.head[:head_size])


@pytest.mark.parametrize(
    "query",
    [
        "q=kratom&design=case-report&design=case-series",
        "q=kratom&population=humans",
        "q=kratom&compound=mitragynine&curation=reviewed",
        "q=kratom&organ_class=Hepatobiliary+disorders",
        "q=kratom&year_from=2015&supports_category=safety",
        "q=abuse+liability&population=animals",
        "q=abuse+liability&design=case-report",  # matches nothing
    ],
)
def test_the_first_page_from_a_kept_match_is_the_one_matching_again_gives(query):
    """The same search with other filters reads the kept match instead of matching again: its counts and first
    page must be those of the full computation, for a broad and a narrow search."""
    from evidence import listing
    from evidence.filters import find_sources

    found = find_sources(QueryDict(query))
    match = kept_match(found.data["q"])
    assert match.head
    with connection.cursor() as cursor:
        kept = listing.from_kept_match(cursor, found, match, listing.PAGE_SIZE, listing.NOT_KEPT)
    expected = listing.compute(found, 0, listing.PAGE_SIZE, True)
    assert kept == expected
    assert [list(values.items()) for values in kept[0].facets.values()] == [
        list(values.items()) for values in expected[0].facets.values()
    ]  # in the same order too (dicts compare equal in any order)


def test_a_kept_match_too_short_for_the_filters_is_not_used():
    from evidence import listing
    from evidence.filters import find_sources

    found = find_sources(QueryDict("q=kratom&population=humans"))
    full = listing.compute(found, 0, listing.PAGE_SIZE, True)
    with connection.cursor() as cursor:
        counts, page = listing.from_kept_match(cursor, found, kept_match("kratom", 3), 25, listing.NOT_KEPT)
        # Enough for a page of 2 when 2 of the best 40 pass the filter: the page is theirs.
        short = listing.from_kept_match(cursor, found, kept_match("kratom", 40), 2, listing.NOT_KEPT)
    assert page is None and counts == full[0]  # the counts hold; the page is further down the ranking
    assert short == listing.compute(found, 0, 2, True)


def test_a_source_with_a_64_bit_id_is_found_counted_and_kept():
    """Source ids are 64-bit: the side and the best-ranked matches go back to the database as such."""
    from evidence import listing
    from evidence.filters import find_sources
    from evidence.models import Source

    Source.objects.create(pk=3_000_000_000, key="BigIdOne", title="Zyxquorbital synthetic record", year=2020)
    Source.objects.create(key="BigIdTwo", title="Zyxquorbital synthetic record two", year=2021)
    found = find_sources(QueryDict("q=zyxquorbital&year_from=2020"))
    counts, page = listing.compute(found, 0, listing.PAGE_SIZE, True)
    assert counts.total == 2 and 3_000_000_000 in page
    with connection.cursor() as cursor:
        kept = listing.from_kept_match(cursor, found, kept_match("zyxquorbital"), listing.PAGE_SIZE, listing.NOT_KEPT)
    assert kept == (counts, page)


def copy_of_source(cursor, pk: int, new_key: str) -> None:
    """A copy of a source's row under another key and without its identifiers, written in SQL (the id and
    the search vector are made by the database)."""
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'evidence_source' "
        "AND is_generated = 'NEVER' AND column_name NOT IN ('id', 'key', 'doi', 'pmid')"
    )
    columns = ", ".join(f'"{name}"' for (name,) in cursor.fetchall())
    cursor.execute(
        f"INSERT INTO evidence_source (key, doi, pmid, {columns}) "
        f"SELECT %s, '', '', {columns} FROM evidence_source WHERE id = %s",
        [new_key, pk],
    )


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_between_the_statements_is_not_half_seen(monkeypatch):
    """PostgreSQL: the matching statement, the counting one and the counts without the search read one
    snapshot. A matching source committed by another connection right after the match must show in none of
    the figures, not in the counts without the search only (which would count it in its facets, not in the
    total)."""
    from django.db import connections

    from evidence import listing
    from evidence.filters import find_sources
    from evidence.models import Source

    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the statements run in autocommit, and a writer locks the whole database")
    call_command("load_demo", verbosity=0)  # "kratom" matches most of it: a broad search
    found = find_sources(QueryDict("q=kratom"))
    before = listing.counts_of(found)
    matching = listing.compute(found, 0, 1, False)[1][0]
    other, run, written = connections.create_connection("default"), listing.run, []

    def run_then_commit_elsewhere(cursor, sql_and_params):
        rows = run(cursor, sql_and_params)
        if not written:
            written.append(True)
            with other.cursor() as writing:  # autocommit: committed at once
                copy_of_source(writing, matching, "SnapshotLate")
        return rows

    monkeypatch.setattr(listing, "run", run_then_commit_elsewhere)
    try:
        counts, _ = listing.compute(found, 0, listing.PAGE_SIZE, True)
    finally:
        other.close()
    assert Source.objects.filter(key="SnapshotLate").exists()  # the write did commit, mid-request
    assert counts == before
