"""Invariants of the data model, enforced by validation and by the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from evidence.models import (
    Article,
    Author,
    Authorship,
    Claim,
    Evidence,
    GradeOverride,
    GradeUpgrade,
    MergedSource,
    NotDuplicates,
    PendingTally,
    RiskOfBias,
    Source,
    StatementPart,
)

pytestmark = pytest.mark.django_db


def make_source(**fields) -> Source:
    fields.setdefault("title", "A test source")
    return Source.objects.create(**fields)


def test_dois_are_stored_in_lower_case_without_resolver_prefix():
    source = make_source(key="T1", doi="https://doi.org/10.1097/ADM.0000000000000986x")
    source.refresh_from_db()
    assert source.doi == "10.1097/adm.0000000000000986x"


def test_a_queryset_update_normalises_the_doi_too():
    source = make_source(key="T1")
    Source.objects.filter(pk=source.pk).update(doi="doi:10.1000/ABC")
    source.refresh_from_db()
    assert source.doi == "10.1000/abc"


def test_the_database_refuses_an_upper_case_doi_written_in_raw_sql():
    source = make_source(key="T1")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE evidence_source SET doi = %s WHERE id = %s", ["10.1000/ABC", source.pk])


def test_a_doi_is_unique_whatever_its_case():
    make_source(key="T1", doi="10.1000/abc")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(key="T2", doi="10.1000/ABC")


def test_many_sources_may_have_no_doi_or_pmid():
    make_source(key="T1")
    make_source(key="T2")
    assert Source.objects.filter(key__in=["T1", "T2"], doi="", pmid="").count() == 2


def test_a_pmid_is_unique_when_present():
    make_source(key="T1", pmid="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_source(key="T2", pmid="123")


def test_full_clean_names_what_is_wrong():
    source = Source(key="T1", title="x", doi="not-a-doi", pmid="12x", url="javascript:alert(1)", year=1200)
    with pytest.raises(ValidationError) as error:
        source.full_clean()
    assert set(error.value.message_dict) == {"doi", "pmid", "url", "year"}
    assert "is not a DOI" in error.value.message_dict["doi"][0]


def test_a_key_is_generated_from_the_first_author_and_suffixed_on_clash():
    source = make_source(title="Mitragynine studies", year=2016)
    assert source.key == "Mitragynine2016"
    author = Author.objects.get(family="Kruegel", given="Andrew C.")
    Authorship.objects.create(source=source, author=author, position=1)
    assert source.generate_key() == "Kruegel2016a"  # the demo data already has Kruegel2016


def test_authors_keep_their_order_and_are_shared_between_sources():
    kruegel = Source.objects.get(key="Kruegel2016")
    assert [a.family for a in kruegel.ordered_authors][:3] == ["Kruegel", "Gassaway", "Kapoor"]
    assert Author.objects.get(family="Kruegel", given="Andrew C.").sources.count() >= 2
    assert kruegel.author_summary == "Kruegel AC, Gassaway MM, Kapoor A, et al."


def test_an_author_name_is_unique():
    with pytest.raises(IntegrityError), transaction.atomic():
        Author.objects.create(family="Kruegel", given="Andrew C.")


@pytest.fixture
def article():
    return Article.objects.create(title="T", slug="t", text="Kratom helps. Kratom harms. Kratom helps.")


def test_a_claim_must_quote_its_span_exactly(article):
    claim = Claim(article=article, text="Kratom harms", start=0, end=12)
    with pytest.raises(ValidationError) as error:
        claim.full_clean()
    assert "'Kratom helps'" in error.value.message_dict["text"][0]


def test_a_claim_span_must_lie_inside_the_article(article):
    claim = Claim(article=article, text="x", start=10, end=999)
    with pytest.raises(ValidationError, match="outside the article"):
        claim.full_clean()


def test_a_claim_without_offsets_is_located_when_its_text_occurs_once(article):
    claim = Claim(article=article, text="Kratom harms.")
    claim.full_clean()
    assert (claim.start, claim.end) == (14, 27)
    assert article.text[claim.start : claim.end] == claim.text


def test_a_claim_whose_text_occurs_twice_needs_offsets(article):
    with pytest.raises(ValidationError, match="occurs 2 times"):
        Claim(article=article, text="Kratom helps.").full_clean()


def test_a_claim_outside_an_article_has_no_span():
    Claim(text="Kratom is a plant.").full_clean()
    with pytest.raises(ValidationError, match="no character span"):
        Claim(text="Kratom is a plant.", start=0, end=5).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(text="x", start=0, end=1)


def test_one_evidence_link_per_claim_and_source():
    evidence = Evidence.objects.select_related("claim", "source").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=evidence.claim, source=evidence.source, stance="mentions", finding="again")


def test_every_model_has_a_string_and_a_url():
    from django.apps import apps

    from evidence.bibliography.formats import parse
    from evidence.bibliography.importer import ImportedFile, commit_import

    data = b"@article{Logged1, title = {A synthetic record}, year = {2024}}"
    commit_import(parse(data), origin=ImportedFile.of(data, "synthetic.bib"))  # the demo data has no import log

    claim = Claim.objects.first()
    # What the demo data leaves empty, made here (unsaved): curators record these, the shared data has none.
    made = {
        RiskOfBias: RiskOfBias(source=Source.objects.first()),
        GradeOverride: GradeOverride(claim=claim, domain="imprecision", judgment="serious", reason="Synthetic."),
        GradeUpgrade: GradeUpgrade(claim=claim, kind="dose-response", reason="Synthetic."),
        StatementPart: StatementPart(claim=claim, position=1, kind="premise", text="Synthetic premise."),
        # What merging duplicates leaves behind (tests/test_merging.py covers it).
        MergedSource: MergedSource(
            key="SyntheticMerged", old_id=1, survivor=Source.objects.first(), title="Synthetic."
        ),
        NotDuplicates: NotDuplicates(first=Source.objects.first(), second=Source.objects.last()),
        # Folded at each commit: none is left pending.
        PendingTally: PendingTally(source_id=Source.objects.first().pk),
    }

    from evidence.models import ThesaurusEntry

    ThesaurusEntry.objects.create(term="synthetic test term", synonyms="liver injury")  # the demo data has none

    from evidence.models import BibliographyUpload

    for model in apps.get_app_config("evidence").get_models():
        if hasattr(model, "instance_type"):  # a history table (django-simple-history), tested with the history
            continue
        if model is BibliographyUpload:  # made only by an API import, so not in the demo data
            BibliographyUpload.objects.create(filename="synthetic.bib", format="auto", content=b"", content_sha256="0")
        instance = made.get(model) or model.objects.first()
        if model._meta.model_name in ("screeningdecision", "identification"):
            continue  # the screening stage's records start empty; tests/test_screening.py covers them
        assert instance is not None, model
        assert str(instance)
        assert instance.get_absolute_url().startswith("/")


@pytest.mark.parametrize("key", ["Kruegel2016", "Free:2024.x+y", "with space", "Váradi2016", "a%b", "x@y~z!$&'()*,;="])
def test_a_url_built_from_its_pattern_is_what_reverse_gives(key):
    from django.urls import reverse

    from evidence.models import url_with

    assert url_with("evidence:source", key) == reverse("evidence:source", args=[key])
    assert url_with("evidence:claim", 12345) == reverse("evidence:claim", args=[12345])
