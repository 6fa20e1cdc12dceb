"""Issue 18: the sources list matches a search once per request, however many facets, counts and pages read it."""

from contextlib import contextmanager

import pytest
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
