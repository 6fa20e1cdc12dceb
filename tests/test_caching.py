"""Issue 18: the data version and the cache keyed on it. Cached pages are never stale: each kind of write path
raises the version when it commits, and the next request shows the change.

These tests commit (transactional_db), as production does: inside a test's rolled-back transaction nothing
commits, and reads there bypass the cache. They make their own records (synthetic, no identifiers): the
database may have been emptied by an earlier live-server test."""

import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence import caching, listing, screening, synthetic
from evidence.admin.actions import mark_reviewed
from evidence.bibliography.formats import parse
from evidence.bibliography.importer import commit_import
from evidence.models import AdverseEffect, AdverseEffectReport, Compound, DataVersion, Source
from evidence.vocabularies import CurationStatus, Decision, ScreeningStage, ScreeningStatus

pytestmark = pytest.mark.django_db(transaction=True)
WORD = "zyxquorbital"  # made up: no real record uses it
SOURCES = reverse("evidence:sources")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def listed(client: Client, query: str = f"?q={WORD}") -> int:
    page = client.get(SOURCES + query).content.decode()
    return int(re.search(r'id="results-heading">([\d,]+) source', page).group(1).replace(",", ""))


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        client.get(url)
    return len(context)


def a_source(key: str, **fields) -> Source:
    defaults = {"title": f"Synthetic {WORD} record {key}", "year": 2020, "curation_status": CurationStatus.DRAFT}
    return Source.objects.create(key=key, **(defaults | fields))


def test_the_same_search_with_other_filters_reads_the_kept_match(client):
    """The first page of a search with other filters is found from what the first request's match kept:
    its side and best-ranked matches; no second full-text match."""
    for number, status in enumerate([CurationStatus.DRAFT, CurationStatus.REVIEWED, CurationStatus.REVIEWED]):
        a_source(f"KeptMatch{number}", curation_status=status)
    assert listed(client) == 3
    with CaptureQueriesContext(connection) as context:
        assert listed(client, f"?q={WORD}&curation=reviewed") == 2
    assert not [query["sql"] for query in context.captured_queries if "search_matched" in query["sql"]]
    page = client.get(SOURCES + f"?q={WORD}&curation=reviewed").content.decode()
    assert "KeptMatch1" in page and "KeptMatch2" in page and "KeptMatch0" not in page
    Source.objects.filter(key="KeptMatch0").update(curation_status=CurationStatus.REVIEWED)
    caching.changed()  # a queryset update is a bulk path: it says so itself
    assert listed(client, f"?q={WORD}&curation=reviewed") == 3


def test_a_kept_match_too_short_for_the_filters_is_matched_again_for_the_page(client, monkeypatch):
    monkeypatch.setattr(listing, "HEAD", 1)  # the search keeps its best-ranked source only: the draft
    for number, status in enumerate([CurationStatus.DRAFT, CurationStatus.REVIEWED, CurationStatus.REVIEWED]):
        a_source(f"KeptMatch{number}", curation_status=status)
    assert listed(client) == 3
    with CaptureQueriesContext(connection) as context:
        page = client.get(SOURCES + f"?q={WORD}&curation=reviewed").content.decode()
    statements = [query["sql"] for query in context.captured_queries]
    # Counted from the kept match (its best-ranked source checked against the filter), then matched again
    # for the page alone (no side chosen: the counts were made).
    assert [sql for sql in statements if "search_head" in sql]
    matched = [sql for sql in statements if "search_matched" in sql]
    assert len(matched) == 1 and "search_broad" not in matched[0]
    assert re.search(r'id="results-heading">2 source', page)
    assert "KeptMatch1" in page and "KeptMatch2" in page and "KeptMatch0" not in page


def test_a_second_request_is_served_from_the_cache(client):
    a_source("CacheTestOne")
    first = queries(client, SOURCES + f"?q={WORD}")
    assert queries(client, SOURCES + f"?q={WORD}") < first
    client.get(reverse("evidence:home"))
    assert queries(client, reverse("evidence:home")) < 5


def test_a_transaction_raises_the_version_once_and_a_rolled_back_one_not_at_all():
    a_source("CacheTestVersion")
    before = caching.current_version()
    with transaction.atomic():
        for number in range(5):
            a_source(f"CacheTestVersion{number}")
    assert caching.current_version() == before + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        a_source("CacheTestRolledBack")
        raise RuntimeError
    assert caching.current_version() == before + 1


def test_a_saved_record_shows_at_once(client):
    a_source("CacheTestSaved")
    home = client.get(reverse("evidence:home")).content.decode()
    assert listed(client) == 1
    a_source("CacheTestSavedToo")  # post_save
    assert listed(client) == 2
    assert client.get(reverse("evidence:home")).content.decode() != home


def test_a_relation_added_shows_in_the_facet_counts(client):
    compound = Compound.objects.create(name="Synthetic compound", slug="synthetic-compound")
    source = a_source("CacheTestLinked")
    assert listed(client, f"?q={WORD}&compound=synthetic-compound") == 0
    source.compounds.add(compound)  # m2m_changed
    assert listed(client, f"?q={WORD}&compound=synthetic-compound") == 1


def test_a_bulk_import_raises_the_version_and_its_records_show_once_screened_in(client):
    curator = get_user_model().objects.create_user("cache-importer", password="synthetic-password")
    a_source("CacheTestBeforeImport")
    assert listed(client) == 1
    before = caching.current_version()
    entry = (
        f"@article{{CacheTestImported, title = {{Imported {WORD} record}}, author = {{Synthetica, Ann}}, "
        "year = {2021}}"
    )
    (imported,) = commit_import(parse(entry.encode())).created  # bulk_create: no signal, an explicit raise
    assert caching.current_version() == before + 1
    for stage in (ScreeningStage.TITLE_ABSTRACT, ScreeningStage.FULL_TEXT):  # new records are candidates
        imported.refresh_from_db()
        screening.decide(imported.pk, stage, Decision.INCLUDE, curator, screening.state_token(imported), dual=False)
    assert listed(client) == 2


def test_a_bulk_admin_action_shows_at_once(client, monkeypatch):
    source = a_source("CacheTestReviewed")
    assert listed(client, f"?q={WORD}&curation=reviewed") == 0
    admin = get_user_model().objects.create_superuser("cache-admin", password="synthetic-password")
    request = RequestFactory().post("/admin/")
    request.user = admin
    request._messages = type("Messages", (), {"add": lambda *args, **kwargs: None})()
    bump = caching._bump

    def a_reader_arrives_as_the_version_rises():  # what a reader who came in between would have cached
        bump()
        listed(client, f"?q={WORD}&curation=reviewed")

    monkeypatch.setattr(caching, "_bump", a_reader_arrives_as_the_version_rises)
    mark_reviewed(admin_site._registry[Source], request, Source.objects.filter(pk=source.pk))  # bulk update
    assert listed(client, f"?q={WORD}&curation=reviewed") == 1


def test_a_screening_decision_shows_at_once(client):
    curator = get_user_model().objects.create_user("cache-curator", password="synthetic-password")
    source = a_source("CacheTestScreened", screening_status=ScreeningStatus.CANDIDATE)
    screening.decide(
        source.pk, ScreeningStage.TITLE_ABSTRACT, Decision.INCLUDE, curator, screening.state_token(source), dual=False
    )
    source.refresh_from_db()
    assert listed(client) == 0
    seen = screening.state_token(source)
    screening.decide(source.pk, ScreeningStage.FULL_TEXT, Decision.INCLUDE, curator, seen, dual=False)
    assert listed(client) == 1


def test_the_synthetic_corpus_made_and_removed_in_bulk_shows_at_once(client):
    a_source("CacheTestCorpus")
    before = listed(client, "?")
    synthetic.generate(10, seed=1)  # bulk inserts
    assert listed(client, "?") == before + 10
    synthetic.remove()  # raw deletes
    assert listed(client, "?") == before


def test_the_adverse_effects_overview_follows_a_new_report(client):
    source = a_source("CacheTestHarm")
    compound = Compound.objects.create(name="Synthetic harm compound", slug="synthetic-harm-compound")
    effect = AdverseEffect.objects.create(term="Synthetic effect", system_organ_class="Hepatobiliary disorders")
    overview = client.get(reverse("evidence:adverse-effects")).content.decode()
    assert "Synthetic effect" not in overview
    AdverseEffectReport.objects.create(source=source, effect=effect, compound=compound, setting="case-report")
    assert "Synthetic effect" in client.get(reverse("evidence:adverse-effects")).content.decode()


def test_signed_in_users_and_an_emptied_database_bypass_the_cache(client):
    a_source("CacheTestBypass")
    user = get_user_model().objects.create_user("cache-reader", password="synthetic-password")
    client.get(SOURCES + f"?q={WORD}")
    client.force_login(user)
    first = queries(client, SOURCES + f"?q={WORD}")
    assert queries(client, SOURCES + f"?q={WORD}") >= first - 1  # nothing from the cache (a session read aside)
    client.logout()
    DataVersion.objects.all().delete()  # as a flush leaves it
    assert caching.current_version() is None
    assert listed(client) == 1
    a_source("CacheTestAfterFlush")  # the row comes back, from a random number
    assert caching.current_version() is not None
    assert listed(client) == 2


def test_spelling_corrections_know_a_word_committed_since_the_last_correction():
    from evidence.query.spelling import correct

    a_source("CacheTestSpelling")
    assert correct("zanthoxil") is None  # nothing near it yet; PostgreSQL's vocabulary built at this version
    a_source("CacheTestSpellingToo", title="Synthetic record on zanthoxyl")
    correction = correct("zanthoxil")
    assert correction is not None and correction.corrected == "zanthoxyl"


def test_anonymous_pages_kept_whole_follow_an_edit(client):
    source = a_source("CacheTestPage")
    url = source.get_absolute_url()
    assert "Synthetic" in client.get(url).content.decode()
    first = queries(client, url)
    assert first <= 1  # the data version, then the page as kept
    source.title = f"Renamed {WORD} record"
    source.save()
    assert "Renamed" in client.get(url).content.decode()


def test_a_recompute_that_changes_a_stored_status_raises_the_version():
    # Statuses are recomputed in their own on-commit callback, which may run after the write's own raise: a
    # page cached in between (new version, old status) must be superseded by the recompute's raise.
    from evidence import claim_status
    from evidence.articles import add_statement_claims, create_article
    from evidence.models import Claim, ClaimStatus

    article, _ = create_article("Cache test article", f"Synthetic {WORD} cures synthetic headaches.")
    add_statement_claims(article)
    claim = Claim.objects.get(article=article)
    ClaimStatus.objects.filter(claim=claim).update(status="contradicted")  # a row the rules will change
    before = DataVersion.objects.get().n
    assert claim_status.recompute([claim.pk]) == {claim.pk}
    assert DataVersion.objects.get().n == before + 1
    assert claim_status.recompute([claim.pk]) == set() and DataVersion.objects.get().n == before + 1


def test_the_review_page_and_a_statements_evidence_are_kept_whole_and_follow_a_new_link(client):
    from evidence.articles import add_statement_claims, create_article
    from evidence.models import Claim, Evidence

    article, _ = create_article("Cache test review", f"Synthetic {WORD} cures synthetic headaches.")
    add_statement_claims(article)
    claim = Claim.objects.get(article=article)
    review = reverse("evidence:article", args=[article.slug])
    fragment = reverse("evidence:claim-evidence-fragment", args=[claim.pk])
    source = a_source("CacheTestReview", title="An unrelated record", curation_status=CurationStatus.REVIEWED)
    assert "CacheTestReview" not in client.get(fragment).content.decode()
    client.get(review)
    assert queries(client, review) <= 1 and queries(client, fragment) <= 1  # the data version, then the page
    Evidence.objects.create(claim=claim, source=source, stance="supports", finding="x", curation_status="reviewed")
    claim.refresh_from_db()
    assert "CacheTestReview" in client.get(fragment).content.decode()
    assert f"badge--{claim.stored_status.status}" in client.get(review).content.decode()


def test_a_sources_formatted_references_are_kept_by_their_record_across_writes(client, monkeypatch):
    from evidence import views

    formatted = []
    monkeypatch.setattr(views, "cite_as", lambda record: formatted.append(record.title) or [("APA", record.title)])
    source = a_source("CiteOnce")
    page = reverse("evidence:source", args=[source.key])
    client.get(page)
    a_source("SomethingElse")  # a write elsewhere: a new data version, the page made again…
    assert client.get(page).status_code == 200
    assert formatted == [source.title]  # …but not its references: their record is the same
    Source.objects.filter(pk=source.pk).update(title=f"Retitled {WORD}")
    caching.changed()
    assert f"Retitled {WORD}" in client.get(page).content.decode()
    assert formatted == [source.title, f"Retitled {WORD}"]
