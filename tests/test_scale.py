"""The synthetic corpus, and pages that stay bounded when it is loaded; the benchmark runs."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.urls import reverse

from evidence import load, synthetic
from evidence.identifiers import title_key
from evidence.models import AdverseEffectReport, Article, Author, Claim, Evidence, Source
from tests.conftest import count_queries

pytestmark = pytest.mark.django_db
MODELS = [Source, Author, Claim, Evidence, AdverseEffectReport, Article]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def corpus():
    before = counts()
    out = io.StringIO()
    call_command("generate_corpus", "--sources", "1000", "--seed", "3", stdout=out)
    yield out.getvalue()
    call_command("generate_corpus", "--remove", stdout=io.StringIO())
    assert counts() == before


def test_the_corpus_is_deterministic_marked_and_removable(corpus):
    assert corpus.startswith("Made 500 authors, 1,000 sources, 200 claims, 5,000 evidence, ")
    synthetic_sources = Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX)
    assert synthetic_sources.count() == 1000
    assert all("synthetic" in provenance for provenance in synthetic_sources.values_list("provenance", flat=True))
    assert (
        not Evidence.objects.filter(claim__article__slug__startswith=synthetic.SYNTHETIC_SLUG)
        .exclude(source__key__startswith=synthetic.SYNTHETIC_PREFIX)
        .exists()
    )  # never mixed with the real demo data
    first = Source.objects.get(key="SYN-000000")
    assert first.title and first.author_names.startswith(synthetic.SYNTHETIC_AUTHOR)
    with pytest.raises(CommandError, match="exists already"):
        call_command("generate_corpus", "--sources", "10")


def test_the_same_seed_gives_the_same_corpus(corpus):
    titles = list(Source.objects.filter(key__startswith="SYN-").order_by("key").values_list("title", flat=True)[:20])
    call_command("generate_corpus", "--remove", stdout=io.StringIO())
    call_command("generate_corpus", "--sources", "1000", "--seed", "3", stdout=io.StringIO())
    assert (
        list(Source.objects.filter(key__startswith="SYN-").order_by("key").values_list("title", flat=True)[:20])
        == titles
    )


def test_pages_stay_bounded_with_the_corpus_loaded(reader, django_capture_on_commit_callbacks):
    urls = [
        reverse("evidence:home"),
        reverse("evidence:claims"),
        reverse("evidence:evidence-map"),
        reverse("evidence:sources") + "?q=kratom&design=animal-study",
        reverse("evidence:adverse-effects"),
    ]
    count_queries(reader, urls[3])  # the search lexicon is read once a minute, not per page: read it first
    before = {url: count_queries(reader, url) for url in urls}
    with django_capture_on_commit_callbacks(execute=True):  # committed: the statuses recomputed
        call_command("generate_corpus", "--sources", "1000", "--seed", "3", stdout=io.StringIO())
    assert {url: count_queries(reader, url) for url in urls} == before
    claims = reader.get(reverse("evidence:claims")).content.decode()
    assert len(re.findall(r'<a href="/claims/\d+/">', claims)) == 50 and "Page 1 of 5" in claims
    the_map = reader.get(reverse("evidence:evidence-map")).content.decode()
    assert the_map.count('class="evidence-map__statement"') == 60
    assert "Statements 1–60 of 222 across, sources 1–50 of " in the_map
    assert the_map.count('<th scope="row">') == 50
    # The last page of statements, reached by the links, has the rest; the sources' page starts again.
    last = reader.get(reverse("evidence:evidence-map") + "?page=4&sources=2").content.decode()
    assert last.count('class="evidence-map__statement"') == 42 and "Statements 181–222 of 222" in last
    assert 'rel="prev" href="?page=3"' in last and 'rel="prev" href="?page=4&amp;sources=1"' in last


def test_api_endpoints_stay_bounded_with_the_corpus_loaded(reader, django_capture_on_commit_callbacks):
    """The API's lists and details run as many queries on the demo data as with 1,000 more sources, and an
    article of many statements as one of few."""
    urls = [
        "/api/v1/sources/?q=kratom&design=animal-study",
        "/api/v1/claims/",
        "/api/v1/articles/",
        "/api/v1/overviews/adverse-effects/",
        f"/api/v1/claims/{Claim.objects.filter(evidence__isnull=False).order_by('pk').first().pk}/",
    ]
    count_queries(reader, urls[0])  # the search lexicon is read once a minute: read it first
    before = {url: count_queries(reader, url) for url in urls}
    demo_article = count_queries(reader, "/api/v1/articles/kratom-for-chronic-pain/")
    with django_capture_on_commit_callbacks(execute=True):  # committed: the statuses stored
        call_command("generate_corpus", "--sources", "1000", "--seed", "3", stdout=io.StringIO())
    assert {url: count_queries(reader, url) for url in urls} == before
    largest = Article.objects.filter(slug__startswith=synthetic.SYNTHETIC_SLUG).order_by("slug").first()
    assert largest.claims.count() != Claim.objects.filter(article__slug="kratom-for-chronic-pain").count()
    assert count_queries(reader, f"/api/v1/articles/{largest.slug}/") == demo_article
    busiest = Claim.objects.filter(article=largest, evidence__isnull=False).order_by("pk").first()
    assert count_queries(reader, f"/api/v1/claims/{busiest.pk}/") == before[urls[-1]]
    # A source bearing on one statement and one bearing on many: each linked statement assessed at once.
    synthetic_sources = Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX)
    cited = synthetic_sources.annotate(links=Count("evidence")).filter(links__gt=0).order_by("links", "pk")
    fewest, most = cited.first(), cited.last()
    assert most.links > fewest.links
    assert count_queries(reader, f"/api/v1/sources/{fewest.key}/") == count_queries(
        reader, f"/api/v1/sources/{most.key}/"
    )


def test_the_benchmark_prints_every_figure(corpus):
    out = io.StringIO()
    call_command("benchmark", "--repeat", "2", "--entries", "100", "--json", stdout=out)
    figures = json.loads(out.getvalue())
    names = [row["name"] for row in figures["rows"]]
    pages = [name for name in names if not name.startswith("  API")]
    assert pages[:4] == ["sources list: search + two facets", "source detail", "statements list", "claim detail"]
    assert "import 100 BibTeX entries, commit" in names and "export 100 sources as csv (from the database)" in names
    assert "write 100 records as BibTeX (LaTeX-escaped)" in names
    assert f"recompute all {Claim.objects.count():,} claims' stored statuses" in names
    assert all(row["median"] > 0 for row in figures["rows"])
    floored = [row for row in figures["rows"] if row["name"].startswith(("import", "write", "sources list"))]
    assert floored and all(row["floor"] > 0 and row["ratio"] == row["median"] / row["floor"] for row in floored)
    assert Source.objects.filter(key__startswith="BENCH").count() == 0  # the measured import was rolled back


def test_the_benchmark_can_measure_the_pages_alone(corpus):
    out = io.StringIO()
    call_command("benchmark", "--only", "pages", "--repeat", "1", "--json", stdout=out)
    rows = json.loads(out.getvalue())["rows"]
    # Last, each kind of page the load test asks for, a few of its URLs each computed once.
    rows, load_mix = rows[: -len(load.WEIGHTS)], rows[-len(load.WEIGHTS) :]
    assert [row["name"].split(": ")[1].split(" (")[0] for row in load_mix] == list(load.WEIGHTS)
    assert all(row["name"].startswith("load-test URLs, cold") and row["median"] > 0 for row in load_mix)
    # 10 pages with a cold cache and 6 API endpoints, two more searches, then the 12 pages with a warm cache.
    assert len(rows) == 30 and not any(row["name"].startswith(("import", "export", "write")) for row in rows)
    # Each page's size, as sent: the review page's target is in bytes as well as milliseconds.
    assert all(row["bytes"] > 0 for row in rows)
    floored = [row for row in rows if row["floor"] and not row["name"].startswith("  API")]
    assert [row["name"][:12] for row in floored] == ["sources list", "review page ", "sources list", "sources list"]
    cold = [row["name"] for row in rows[:-12] if not row["name"].startswith("  API")]
    assert [row["name"] for row in rows[-12:]] == [f"warm cache: {name}" for name in cold]
    # Each API endpoint follows its page, measured against the page's own time.
    for page, api in zip(rows, rows[1:], strict=False):
        if api["name"].startswith("  API"):
            assert api["floor"] == page["median"] and api["ratio"] == api["median"] / page["median"]


def test_the_benchmark_makes_the_corpus_it_is_asked_for_or_says_why_not(db):
    out = io.StringIO()
    call_command("benchmark", "--sources", "500", "--repeat", "1", "--entries", "20", stdout=out)
    assert "Generated 500 synthetic sources" in out.getvalue()
    assert Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX).count() == 500
    with pytest.raises(CommandError, match="holds 500 synthetic sources, not 1,000"):
        call_command("benchmark", "--sources", "1000", stdout=io.StringIO())


def test_at_full_size_the_first_article_has_1000_statements_and_the_claims_add_up():
    size = synthetic.CorpusSize(100_000)
    per_article = size.claims_per_article()
    assert (len(per_article), per_article[0], sum(per_article)) == (200, 1_000, 20_000)
    assert max(per_article[1:]) - min(per_article[1:]) <= 1


def test_synthetic_sources_have_their_title_key(corpus):
    assert all(
        source.title_key == title_key(source.title)
        for source in Source.objects.filter(key__startswith=synthetic.SYNTHETIC_PREFIX)
    )
