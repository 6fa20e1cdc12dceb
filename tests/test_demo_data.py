"""The demo data is the shared, curated data, record for record: nothing invented, nothing lost."""

import json
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from evidence.demo import FIXTURE_FILES, build_fixtures, dump_fixture
from evidence.models import AdverseEffectReport, Article, Claim, Evidence, Source

pytestmark = pytest.mark.django_db
SHARED = settings.SHARED_DATA_DIR


@pytest.fixture(scope="module")
def shared_bib() -> str:
    assert (SHARED / "sources.bib").is_file(), f"the shared data must be beside the checkout, at {SHARED}"
    return (SHARED / "sources.bib").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shared_claims() -> list[dict]:
    return json.loads((SHARED / "seed-claims.json").read_text(encoding="utf-8"))


def test_the_committed_fixtures_are_exactly_what_the_shared_data_gives():
    rebuilt = build_fixtures(SHARED)
    for name in FIXTURE_FILES:
        committed = (settings.FIXTURE_DIRS[0] / f"{name}.json").read_text(encoding="utf-8")
        assert committed == dump_fixture(rebuilt[name]), f"fixtures/{name}.json differs: run make fixtures"


def test_the_seed_article_is_kept_byte_for_byte():
    article = Article.objects.get(slug="kratom-for-chronic-pain")
    assert article.text.encode("utf-8") == (SHARED / "seed-article.txt").read_bytes()


def test_every_claim_span_equals_the_article_text():
    claims = Claim.objects.select_related("article").filter(article__slug="kratom-for-chronic-pain")
    assert claims.count() == 37
    for claim in claims:
        assert claim.article.text[claim.start : claim.end] == claim.text


def test_every_doi_and_pmid_appears_in_the_shared_data_exactly(shared_bib):
    # Read the shared file with a plain regex, independently of the importer that built the fixtures.
    shared_dois = {doi.lower() for doi in re.findall(r"^\s*doi = \{([^}]+)\}", shared_bib, re.MULTILINE)}
    shared_pmids = set(re.findall(r"^\s*pmid = \{(\d+)\}", shared_bib, re.MULTILINE))
    shared_pmcids = set(re.findall(r"^\s*pmcid = \{(PMC\d+)\}", shared_bib, re.MULTILINE))
    sources = Source.objects.all()
    # DOIs are case-insensitive by definition, and stored lower-cased; PMIDs must match to the digit.
    assert {s.doi for s in sources if s.doi} == shared_dois
    assert {s.pmid for s in sources if s.pmid} == shared_pmids
    assert {s.pmcid for s in sources if s.pmcid} == shared_pmcids


def test_every_shared_source_is_there_with_its_year_and_provenance(shared_bib):
    keys_years = dict(
        re.findall(r"^@\w+\{(\w+),(?:(?!^@).)*?^\s*year = \{(\d+)\}", shared_bib, re.MULTILINE | re.DOTALL)
    )
    keys = re.findall(r"^@\w+\{(\w+),", shared_bib, re.MULTILINE)
    assert sorted(Source.objects.values_list("key", flat=True)) == sorted(keys)
    for source in Source.objects.all():
        assert source.provenance.startswith("seen:"), source.key
        assert str(source.year) == keys_years.get(source.key, "None"), source.key


def test_the_evidence_links_are_the_curated_ones(shared_claims):
    shared_links = {
        (claim["text"], link["source"], link["stance"], link["finding"])
        for claim in shared_claims
        for link in claim["evidence"]
    }
    links = {
        (e.claim.text, e.source.key, e.stance, e.finding) for e in Evidence.objects.select_related("claim", "source")
    }
    assert len(shared_links) == 136
    assert links == shared_links


def test_claim_classifications_are_the_curated_ones(shared_claims):
    expected = {(c["start"], c["category"], c["checkworthy"], tuple(sorted(c["compounds"]))) for c in shared_claims}
    actual = {
        (c.start, c.category, c.checkworthy, tuple(sorted(c.compounds.values_list("slug", flat=True))))
        for c in Claim.objects.all()
    }
    assert actual == expected
    assert sum(c["checkworthy"] for c in shared_claims) == Claim.objects.filter(checkworthy=True).count() == 22


def test_the_adverse_effect_reports_are_the_curated_ones():
    shared = json.loads((SHARED / "adverse-effects.json").read_text(encoding="utf-8"))
    expected = {
        (
            r["source"],
            r["effect"],
            r["system_organ_class"],
            r["compound"],
            r["setting"],
            r.get("severity", ""),
            r.get("cases"),
            r["note"],
        )
        for r in shared
    }
    actual = {
        (
            r.source.key,
            r.effect.term,
            r.effect.system_organ_class,
            r.compound.slug,
            r.setting,
            r.severity,
            r.cases,
            r.notes,
        )
        for r in AdverseEffectReport.objects.select_related("source", "effect", "compound")
    }
    assert actual == expected
    assert len(actual) == 35


def test_every_demo_record_passes_model_validation():
    for model in apps.get_app_config("evidence").get_models():
        if hasattr(model, "instance_type"):  # history rows are written by django-simple-history, not edited
            continue
        for instance in model.objects.all():
            instance.full_clean()


def test_loading_the_demo_twice_creates_no_duplicates():
    models = list(apps.get_app_config("evidence").get_models())
    before = {model: model.objects.count() for model in models}
    call_command("load_demo", verbosity=0)
    assert {model: model.objects.count() for model in models} == before
    assert before[Source] == 76


def test_demo_compound_tags_follow_the_documented_rule():
    assert set(Source.objects.get(key="Kruegel2016").compounds.values_list("slug", flat=True)) == {
        "mitragynine",
        "7-hydroxymitragynine",
    }
    # A source with an adverse-effect report for kratom is tagged kratom even if its title does not say so.
    for report in AdverseEffectReport.objects.select_related("source", "compound"):
        assert report.source.compounds.filter(pk=report.compound_id).exists()
