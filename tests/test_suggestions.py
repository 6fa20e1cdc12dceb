"""Candidate sources for unsupported claims: ranked, shown, and linked only by a curator's click."""

import pytest
from django.urls import reverse

from evidence.articles import create_article
from evidence.models import Claim, Evidence, Source
from evidence.suggestions import stem, suggest_sources, terms

pytestmark = pytest.mark.django_db


def test_terms_drop_stopwords_and_stem_lightly():
    assert terms("The receptors are binding to opioid receptor sites") == [
        "receptor",
        "bind",
        "opioid",
        "receptor",
        "site",
    ]
    assert stem("studies") == "study" and stem("gas") == "gas"


def test_a_claim_about_receptor_binding_finds_the_receptor_studies():
    keys = [s.key for s in suggest_sources("7-hydroxymitragynine binds mu-opioid receptors", Source.objects.all())]
    assert len(keys) == 5
    assert keys[0] == "Kruegel2016"
    assert "Matsumoto2004" in keys


def test_nothing_to_match_gives_no_suggestions():
    assert suggest_sources("It is what it is.", Source.objects.all()) == []


@pytest.fixture
def unsupported_claim():
    article, _ = create_article("Receptors", "Mitragynine binds the mu-opioid receptor as a partial agonist.")
    return article.claims.get()


def test_the_admin_page_of_an_unsupported_claim_lists_candidates(
    curator, unsupported_claim, django_assert_max_num_queries
):
    with django_assert_max_num_queries(30):
        page = curator.get(reverse("admin:evidence_claim_change", args=[unsupported_claim.pk])).content.decode()
    assert "Candidate sources for this unsupported claim" in page
    assert page.count('name="stance"') == 5
    assert "Link Kruegel2016" in page
    assert Evidence.objects.filter(claim=unsupported_claim).count() == 0  # shown, never linked automatically


def test_a_supported_claim_gets_no_suggestions(curator):
    claim = Claim.objects.get(text__startswith="When consumed, kratom binds")
    page = curator.get(reverse("admin:evidence_claim_change", args=[claim.pk])).content.decode()
    assert "Candidate sources" not in page


def test_one_click_links_a_suggestion_as_a_draft_and_asks_for_the_finding(curator, curator_user, unsupported_claim):
    source = Source.objects.get(key="Kruegel2016")
    url = reverse("admin:evidence_claim_link_source", args=[unsupported_claim.pk])
    response = curator.post(url, {"source": source.pk, "stance": "supports"}, follow=True)
    evidence = Evidence.objects.get(claim=unsupported_claim, source=source)
    assert (evidence.stance, evidence.curation_status, evidence.added_by) == ("supports", "draft", curator_user)
    assert response.redirect_chain[-1][0] == reverse("admin:evidence_evidence_change", args=[evidence.pk])
    assert "Now write its finding in your own words." in response.content.decode()

    again = curator.post(url, {"source": source.pk, "stance": "contradicts"}, follow=True)
    assert "Kruegel2016 is already linked to this claim." in again.content.decode()
    assert Evidence.objects.filter(claim=unsupported_claim).count() == 1


def test_linking_is_post_only_and_for_curators(curator, reader, unsupported_claim):
    url = reverse("admin:evidence_claim_link_source", args=[unsupported_claim.pk])
    assert curator.get(url).status_code == 405
    assert reader.post(url, {"source": 1, "stance": "supports"}).status_code == 302  # to the login page
    response = curator.post(url, {"source": 1, "stance": "bogus"}, follow=True)
    assert "Choose a source and a stance to link." in response.content.decode()
    assert not Evidence.objects.filter(claim=unsupported_claim).exists()
