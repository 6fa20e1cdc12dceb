"""Bringing articles in: segmenting their text into claims, and keeping claims anchored when the text changes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from . import caching, claim_status
from .models import Article, Claim
from .segmentation import reanchor, statements

MAX_ARTICLE_CHARACTERS = 1_000_000


class ArticleTextError(ValueError):
    pass


@dataclass(frozen=True)
class Reanchoring:
    unchanged: int
    moved: int
    lost: list[Claim]


def check_text(text: str) -> None:
    if "\x00" in text:
        raise ArticleTextError("The text contains a NUL byte: is this a binary file rather than text?")
    if not text.strip():
        raise ArticleTextError("The text is empty.")
    if len(text) > MAX_ARTICLE_CHARACTERS:
        raise ArticleTextError(f"The text has {len(text):,} characters; the limit is {MAX_ARTICLE_CHARACTERS:,}.")


def decode_upload(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleTextError(
            f"The file is not UTF-8 text (undecodable byte at position {error.start}): save it as UTF-8 and retry."
        ) from None
    check_text(text)
    return text


def unique_slug(title: str) -> str:
    base = slugify(title)[:180] or "article"
    taken = set(Article.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def create_article(title: str, text: str, url: str = "", site: str = "") -> tuple[Article, int]:
    """A new article and one claim per statement of its text, ready for linking."""
    check_text(text)
    article = Article(title=title, slug=unique_slug(title), url=url, site=site, text=text)
    article.full_clean()
    article.save()
    return article, add_statement_claims(article)


def add_statement_claims(article: Article) -> int:
    """A claim for every statement of the text that has none yet."""
    existing = set(article.claims.values_list("start", "end"))
    new = [
        Claim(article=article, text=span.text, start=span.start, end=span.end)
        for span in statements(article.text)
        if (span.start, span.end) not in existing
    ]
    Claim.objects.bulk_create(new)
    claim_status.schedule(claim.pk for claim in new)  # a bulk insert sends no signal
    caching.changed()  # a bulk insert sends no signal
    return len(new)


@transaction.atomic
def reanchor_claims(article: Article) -> Reanchoring:
    """After the text was corrected: move each claim to where its quote now stands; report those not found.

    A claim whose quote no longer occurs keeps its evidence and its article but loses its span, so it is
    listed as unanchored on the review page instead of being dropped.
    """
    claims = list(article.claims.all())
    anchoring = reanchor(article.text, [(c.pk, c.text, c.start) for c in claims])
    changed = [c for c in claims if anchoring.spans.get(c.pk, (None, None)) != (c.start, c.end)]
    unchanged = len(claims) - len(changed)
    # Clear every changed span first, so two claims trading places never meet the unique constraint.
    Claim.objects.filter(pk__in=[c.pk for c in changed]).update(start=None, end=None)
    caching.changed()  # update() and bulk_update() send no signals
    for claim in changed:
        claim.start, claim.end = anchoring.spans.get(claim.pk, (None, None))
    Claim.objects.bulk_update([c for c in changed if c.start is not None], ["start", "end"])
    lost = [c for c in claims if c.pk in anchoring.lost]
    return Reanchoring(unchanged=unchanged, moved=len(changed) - len(lost), lost=lost)
