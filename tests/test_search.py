"""Full-text search over sources, the same behaviour on SQLite (FTS5) and PostgreSQL (tsvector)."""

import pytest
from django.db import connection

from evidence import search
from evidence.models import Author, Authorship, Source

pytestmark = pytest.mark.django_db


def keys(q, queryset=None):
    return set(search.search(queryset or Source.objects.all(), q).values_list("key", flat=True))


def test_words_are_found_in_titles_and_every_word_must_match():
    assert {"Hemby2018", "Yue2018"} <= keys("abuse liability")
    assert "Trakulsrichai2013" in keys("abuse")
    assert "Trakulsrichai2013" not in keys("abuse liability")


def test_stemming_matches_other_forms_of_a_word():
    assert "Tatum2018" in keys("seizure")  # the title says "seizures"


def test_authors_are_searched_and_follow_renames():
    assert "Hemby2018" in keys("McCurdy")
    author = Author.objects.get(family="Hemby")
    author.family = "Hembyson"
    author.save()
    assert "Hemby2018" in keys("Hembyson")
    assert "Hemby2018" not in keys("Hemby")


def test_a_new_authorship_is_searchable_at_once():
    source = Source.objects.get(key="Tatum2018")
    author = Author.objects.create(family="Zyxwvut", given="Q.")
    Authorship.objects.create(source=source, author=author, position=99)
    assert keys("Zyxwvut") == {"Tatum2018"}
    Authorship.objects.filter(author=author).delete()
    assert keys("Zyxwvut") == set()


def test_keywords_and_abstracts_are_searched():
    source = Source.objects.get(key="Tatum2018")
    source.keywords = "quokkaword; other"
    source.abstract = "An abstract mentioning wombatword."
    source.save()
    assert keys("quokkaword") == {"Tatum2018"}
    assert keys("wombatword") == {"Tatum2018"}


def test_a_title_match_ranks_above_an_abstract_match():
    title_hit = Source.objects.get(key="Tatum2018")
    title_hit.title = "Platypusword in the title"
    title_hit.save()
    abstract_hit = Source.objects.get(key="Afzal2020")
    abstract_hit.abstract = "Platypusword only in the abstract, far down."
    abstract_hit.save()
    ranked = list(
        search.by_relevance(search.search(Source.objects.all(), "platypusword"), "platypusword").values_list(
            "key", flat=True
        )
    )
    assert ranked == ["Tatum2018", "Afzal2020"]


def test_or_phrases_and_exclusions_follow_web_search_syntax():
    assert keys("seizures OR liver") == keys("seizures") | keys("liver")
    assert keys('"abuse liability"') == {"Hemby2018", "Yue2018"}
    assert keys("abuse liability -mitragynine") == keys("abuse liability") - keys("mitragynine")


@pytest.mark.parametrize(
    "hostile",
    [
        '"',
        "NEAR(a b)",
        "title:abuse",
        "abuse*",
        "AND OR NOT",
        "'; DROP TABLE evidence_source; --",
        "a" * 5000,
        "(((",
        "^abuse",
    ],
)
def test_search_syntax_from_users_never_raises(hostile):
    list(search.search(Source.objects.all(), hostile))  # must not raise
    assert Source.objects.count() == 76


def test_a_query_with_no_words_finds_nothing():
    assert keys("   ") == set() and keys("!!!") == set()
    assert keys("-abuse") == set()  # only an exclusion: nothing to look for, on either database


def test_nul_bytes_are_removed_before_postgresql_sees_them():
    assert search.clean_query("abu\x00se ") == "abu se"


def test_fts5_queries_quote_every_term():
    # Words the thesaurus does not know are searched as typed; a quoted phrase is never expanded.
    assert search.fts5_query("quokka wombat") == '("quokka") AND ("wombat")'
    assert search.fts5_query('"use disorder" or quokka -mice') == '("use disorder" OR "quokka") NOT "mice"'
    assert search.fts5_query("NEAR(a b)") == '("near a") AND ("b")'
    assert search.fts5_query("-only") == ""
    # Expanded: the compound's synonyms, as adjacent words.
    assert search.fts5_query("7-hydroxymitragynine").startswith('("7 hydroxymitragynine" OR "7 oh"')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")
def test_postgresql_uses_the_gin_index_for_search():
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM evidence_source WHERE {search.POSTGRES_COLUMN} "
            "@@ websearch_to_tsquery('english', 'abuse')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert search.POSTGRES_COLUMN_INDEX in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="migration 0021 is PostgreSQL's only")
def test_postgresql_keeps_the_search_vector_in_the_row_and_the_listing_reads_covering_indexes():
    with connection.cursor() as cursor:
        # A search reads every matching row's vector: from the row, not through a TOAST lookup each.
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'evidence_source'::regclass AND attname = %s",
            [search.POSTGRES_COLUMN],
        )
        assert cursor.fetchone() == ("m",)
        # The public filter and the column facets: every column they read is in one index (at 100,000 sources
        # the listing's plans read it index-only; an empty test table is planned otherwise).
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'evidence_source_listing'")
        (definition,) = cursor.fetchone()
        # A search's "supports claims about" facet reads the kept sources' links by index, without the table.
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'evidence_evidence_by_source'")
        (by_source,) = cursor.fetchone()
    assert "(source_id) INCLUDE (stance, claim_id)" in by_source
    assert "(screening_status, id) INCLUDE (study_design, population, retraction_status, curation_status, year)" in (
        definition
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored search vector exists on PostgreSQL only")
def test_the_stored_search_vector_follows_every_searched_column():
    source = Source.objects.create(key="Vector1", title="Numbatword", keywords="quollword")
    assert keys("numbatword") == keys("quollword") == {"Vector1"}
    Author.objects.create(family="Bilbyword")
    Authorship.objects.create(source=source, author=Author.objects.get(family="Bilbyword"), position=1)
    Source.objects.filter(pk=source.pk).update(title="Renamed", abstract="dunnartword")
    assert keys("bilbyword") == keys("dunnartword") == {"Vector1"} and keys("numbatword") == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite rebuilds tables on ALTER; PostgreSQL does not")
def test_the_search_index_survives_a_table_rebuild():
    # A migration that adds a column to evidence_source makes SQLite rebuild the table, dropping its
    # triggers (migration 0005 did); after every migrate they are put back and the index rebuilt.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {search.FTS_TABLE}_insert")
    assert search.ensure_sqlite_index(connection) is True
    Source.objects.create(key="Rebuilt1", title="Wallabyword after a rebuild")
    assert keys("wallabyword") == {"Rebuilt1"}
    assert search.ensure_sqlite_index(connection) is False
