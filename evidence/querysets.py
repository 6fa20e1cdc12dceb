"""Reads of the evidence base, as chainable QuerySet methods, one per kind of page where it helps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, F, Max, Prefetch, Sum, Value, When, Window
from django.db.models.functions import RowNumber

from .vocabularies import SEVERITY_ORDER, CurationStatus, ScreeningStatus, Stance


class NaturalKeyManager(models.Manager):
    """Lets fixtures refer to rows by their natural key, so loading them twice updates, not duplicates."""

    natural_key_fields: tuple[str, ...] = ()

    def get_by_natural_key(self, *values):
        return self.get(**dict(zip(self.natural_key_fields, values, strict=True)))


class SourceQuerySet(models.QuerySet):
    def with_authors(self) -> SourceQuerySet:
        from .models import Authorship

        # One query for all authorships of the page's sources, in author order.
        return self.prefetch_related(
            Prefetch("authorships", queryset=Authorship.objects.select_related("author").order_by("position"))
        )

    def for_admin_list(self) -> SourceQuerySet:
        return self.with_authors().annotate(evidence_count=Count("evidence", distinct=True))

    def reviewed(self) -> SourceQuerySet:
        return self.filter(curation_status=CurationStatus.REVIEWED)

    def screened_in(self) -> SourceQuerySet:
        """Sources included at screening: the only ones that may be evidence or be suggested as such."""
        return self.filter(screening_status=ScreeningStatus.INCLUDED)

    def public(self) -> SourceQuerySet:
        """What readers see, the one rule every public page and download goes through: sources included at
        screening (never a candidate or an excluded record), drafts marked as such (PUBLIC_DRAFTS=mark, the
        default), or only reviewed ones (PUBLIC_DRAFTS=hide)."""
        included = self.screened_in()
        return included.reviewed() if settings.PUBLIC_DRAFTS == "hide" else included


class SourceManager(NaturalKeyManager.from_queryset(SourceQuerySet)):
    natural_key_fields = ("key",)


# Evidence reads best strongest stance first: support, partial support, contradiction, mentions.
STANCE_ORDER = Case(
    When(stance=Stance.SUPPORTS, then=Value(0)),
    When(stance=Stance.PARTIALLY_SUPPORTS, then=Value(1)),
    When(stance=Stance.CONTRADICTS, then=Value(2)),
    default=Value(3),
)
STRONGEST_FIRST = (STANCE_ORDER, "source__key")
# The sources' long texts are never shown beside a claim: left in the database when evidence is read
# with its sources (at 25,000 links reading them was a third of the review page's time).
SOURCE_LONG_TEXTS = [
    f"source__{name}" for name in ("abstract", "summary", "keywords", "provenance", "curator_notes", "author_names")
]


# What the support rules read of one evidence link, after its claim's id: the columns of
# `EvidenceQuerySet.link_values()`, in the order `reports.link_values_of()` gives them for an object.
LINK_FIELDS = (
    "claim_id",
    "curation_status",
    "stance",
    "source__study_design",
    "source__population",
    "source__sample_size",
    "source__retraction_status",
)


class EvidenceQuerySet(models.QuerySet):
    def of_articles(self, articles) -> EvidenceQuerySet:
        return self.filter(claim__article__in=articles)

    def with_sources(self) -> EvidenceQuerySet:
        """Each link with its source (long texts left in the database)."""
        return self.select_related("source").defer(*SOURCE_LONG_TEXTS)

    def strongest_first(self) -> EvidenceQuerySet:
        return self.with_sources().order_by(*STRONGEST_FIRST)

    def link_values(self) -> models.QuerySet:
        """Rows of LINK_FIELDS: at 1,000 statements with 25,000 links, making every link and its source an
        object took most of the review page's time."""
        return self.values_list(*LINK_FIELDS)

    def strongest_of_each_claim(self, shown: int) -> EvidenceQuerySet:
        """Each claim's `shown` strongest links with their sources, by claim then strength: one query (a
        window function numbers each claim's links), whatever the number of claims."""
        place = Window(RowNumber(), partition_by=[F("claim_id")], order_by=list(STRONGEST_FIRST))
        return self.with_sources().annotate(place=place).filter(place__lte=shown).order_by("claim_id", "place")


class EvidenceManager(models.Manager.from_queryset(EvidenceQuerySet)):
    def get_by_natural_key(self, article_slug, start, end, source_key):
        return self.get(claim__article__slug=article_slug, claim__start=start, claim__end=end, source__key=source_key)


class ClaimQuerySet(models.QuerySet):
    def of_articles(self, articles) -> ClaimQuerySet:
        return self.filter(article__in=articles)

    def in_text_order(self) -> ClaimQuerySet:
        return self.order_by("start", "pk")

    def for_review(self) -> ClaimQuerySet:
        """Claims in text order, each with all its evidence and their sources: three queries for any number."""
        from .models import Evidence

        evidence = Prefetch("evidence", queryset=Evidence.objects.strongest_first())
        return self.select_related("article").prefetch_related(evidence).in_text_order()

    def for_admin_list(self) -> ClaimQuerySet:
        return self.select_related("article").annotate(evidence_count=Count("evidence"))


class ClaimManager(NaturalKeyManager.from_queryset(ClaimQuerySet)):
    natural_key_fields = ("article__slug", "start", "end")


class AdverseEffectReportQuerySet(models.QuerySet):
    def public(self) -> AdverseEffectReportQuerySet:
        """Reports of the sources readers see (SourceQuerySet.public)."""
        from .models import Source

        return self.filter(source__in=Source.objects.public())

    def by_organ_class_and_compound(self) -> models.QuerySet:
        """One row per (organ class, compound slug): distinct sources, stated cases, worst severity rank (0 = none)."""
        severity_rank = Case(
            *(When(severity=severity, then=Value(rank)) for rank, severity in enumerate(SEVERITY_ORDER, start=1)),
            default=Value(0),
        )
        return (
            self.values(organ_class=F("effect__system_organ_class"), compound_slug=F("compound__slug"))
            .annotate(source_count=Count("source", distinct=True), case_count=Sum("cases"), worst=Max(severity_rank))
            .order_by("organ_class", "compound_slug")
        )

    def effect_terms(self) -> models.QuerySet:
        return (
            self.values(organ_class=F("effect__system_organ_class"), term=F("effect__term"))
            .distinct()
            .order_by("organ_class", "term")
        )
