"""Bringing in a new article, and correcting an article's text without losing claims."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.articles import ArticleTextError, create_article, decode_upload, reanchor_claims
from evidence.models import Article, Claim, Evidence, Source

pytestmark = pytest.mark.django_db

NEW_TEXT = "Kratom and Sleep\nMany users report better sleep, e.g. after 2.5 g. Dr. Lee disagrees.\n- Sold online.\n"


def test_a_new_article_is_segmented_into_claims_ready_for_linking():
    article, count = create_article("Kratom and sleep", NEW_TEXT, url="https://example.org/sleep")
    assert article.slug == "kratom-and-sleep"
    assert count == 3
    claims = list(article.claims.order_by("start"))
    assert [c.text for c in claims] == [
        "Many users report better sleep, e.g. after 2.5 g.",
        "Dr. Lee disagrees.",
        "Sold online.",
    ]
    for claim in claims:
        claim.full_clean()
        assert (claim.category, claim.checkworthy) == ("other", True)


def test_slugs_never_clash():
    first, _ = create_article("Kratom and sleep", NEW_TEXT)
    second, _ = create_article("Kratom and sleep", NEW_TEXT)
    assert (first.slug, second.slug) == ("kratom-and-sleep", "kratom-and-sleep-2")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"caf\xe9 au lait", "not UTF-8 text (undecodable byte at position 3)"),
        (b"text\x00with a NUL", "contains a NUL byte"),
        (b"   \n  ", "The text is empty."),
    ],
)
def test_bad_uploads_get_a_clear_message(data, message):
    with pytest.raises(ArticleTextError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_upload(data)


def test_a_byte_order_mark_is_not_part_of_the_text():
    assert decode_upload("\ufeffKratom.".encode()) == "Kratom."


def test_correcting_the_text_moves_claims_and_keeps_the_lost_ones_with_their_evidence():
    article, _ = create_article("Kratom and sleep", NEW_TEXT)
    lee = article.claims.get(text="Dr. Lee disagrees.")
    Evidence.objects.create(claim=lee, source=Source.objects.first(), stance="mentions", finding="kept")
    article.text = (
        "Kratom and Sleep\nA new first sentence. Many users report better sleep, e.g. after 2.5 g.\n- Sold online.\n"
    )
    article.save()
    result = reanchor_claims(article)
    assert (result.unchanged, result.moved, [c.text for c in result.lost]) == (0, 2, ["Dr. Lee disagrees."])
    for claim in article.claims.exclude(pk=lee.pk):
        assert article.text[claim.start : claim.end] == claim.text
    lee.refresh_from_db()
    assert (lee.article, lee.start, lee.end) == (article, None, None)
    assert lee.evidence.count() == 1


def management(prefix):
    return {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}


def test_a_curator_pastes_an_article_in_the_admin_and_gets_its_claims(curator):
    response = curator.post(
        reverse("admin:evidence_article_add"),
        {"title": "Pasted article", "slug": "pasted-article", "text": NEW_TEXT.replace("\n", "\r\n")},
        follow=True,
    )
    assert "3 statements found and added as claims" in response.content.decode()
    article = Article.objects.get(slug="pasted-article")
    assert article.text == NEW_TEXT.replace("\n", "\r\n")  # kept exactly as submitted
    assert article.claims.count() == 3


def test_a_curator_uploads_an_article_file(curator):
    upload = SimpleUploadedFile("sleep.txt", NEW_TEXT.encode(), content_type="text/plain")
    response = curator.post(
        reverse("admin:evidence_article_add"),
        {"title": "Uploaded", "slug": "uploaded", "text": "", "upload": upload},
        follow=True,
    )
    assert "3 statements found" in response.content.decode()
    assert Article.objects.get(slug="uploaded").text == NEW_TEXT


def test_a_binary_upload_is_refused_and_nothing_saved(curator):
    upload = SimpleUploadedFile("x.pdf", b"%PDF-1.4\x00\xff\xfe", content_type="application/pdf")
    response = curator.post(
        reverse("admin:evidence_article_add"), {"title": "Binary", "slug": "binary", "text": "", "upload": upload}
    )
    assert response.status_code == 200
    assert "not UTF-8 text" in response.content.decode()
    assert not Article.objects.filter(slug="binary").exists()


def test_correcting_text_in_the_admin_reports_claims_that_no_longer_occur(curator):
    article, _ = create_article("Kratom and sleep", NEW_TEXT)
    new_text = NEW_TEXT.replace(" Dr. Lee disagrees.", "")
    response = curator.post(
        reverse("admin:evidence_article_change", args=[article.pk]),
        {"title": article.title, "slug": article.slug, "text": new_text},
        follow=True,
    )
    page = response.content.decode()
    assert "Text corrected: 1 claim unchanged, 1 moved." in page
    assert "1 claim no longer found in the text" in page and "Dr. Lee disagrees." in page
    review = curator.get(reverse("evidence:article", args=[article.slug])).content.decode()
    assert "Statements no longer found in the text (1)" in review
    assert Claim.objects.filter(article=article, start__isnull=True).count() == 1
