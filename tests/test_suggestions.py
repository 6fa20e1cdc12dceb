"""Candidate sources for unsupported claims: ranked, shown, and linked only by a curator's click."""

import re

import pytest
from django.test import Client
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


def test_the_admin_page_of_an_unsupported_claim_lists_candidates_above_the_save_buttons(
    curator, reader, unsupported_claim, django_assert_max_num_queries
):
    url = reverse("admin:evidence_claim_change", args=[unsupported_claim.pk])
    # Session and user (2); the claim for review and its links (2); its grading: appraisals, compounds,
    # overrides, upgrades, parts (5); evidence matching: compounds and thesaurus to understand it, retrieval,
    # rarity (4); the candidates by key (1); then the change form as before: the claim, permissions (2),
    # compounds, the inlines' parts (2), evidence, overrides, upgrades, content type, articles (11). None per
    # candidate. (PostgreSQL needs one fewer.)
    with django_assert_max_num_queries(25):
        page = curator.get(url).content.decode()
    assert "Candidate sources for this unsupported claim" in page
    # The same candidates as the public claim page (evidence.query.matching), in the same order.
    public = reader.get(unsupported_claim.get_absolute_url()).content.decode()
    keys = re.findall(r"Link (\w+) as draft", page)
    assert len(keys) == 5 and keys[0] == "Kruegel2016"
    assert [key for key in re.findall(r'href="/sources/(\w+)/"', public) if key in keys] == keys
    # Above the Save buttons, each button submitting its own CSRF-protected form (outside the claim's form).
    assert page.index('id="candidate-sources"') < page.index('<div class="submit-row">')
    action = reverse("admin:evidence_claim_link_source", args=[unsupported_claim.pk])
    for key in keys:
        pk = Source.objects.get(key=key).pk
        assert f'form="link-source-{pk}">Link {key} as draft</button>' in page
        form = page[page.index(f'<form method="post" action="{action}" id="link-source-{pk}">') :]
        assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]
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
    assert "Linked Kruegel2016 as a draft, “supports”: not counted until reviewed." in response.content.decode()

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


def test_linking_without_the_forms_csrf_token_is_refused(curator_user, unsupported_claim):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator_user)
    url = reverse("admin:evidence_claim_link_source", args=[unsupported_claim.pk])
    source = Source.objects.get(key="Kruegel2016")
    assert client.post(url, {"source": source.pk, "stance": "supports"}).status_code == 403
    assert not Evidence.objects.filter(claim=unsupported_claim).exists()
