"""Reads of the evidence base, as chainable QuerySet methods, one per kind of page where it helps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, F, Max, Prefetch, Sum, Value, When

from .vocabularies import SEVERITY_ORDER


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
        return self.filter(curation_status="reviewed")

    def public(self) -> SourceQuerySet:
        """What readers see: every source, drafts marked as such (PUBLIC_DRAFTS=mark, the default), or
        only reviewed ones (PUBLIC_DRAFTS=hide)."""
        return self.reviewed() if settings.PUBLIC_DRAFTS == "hide" else self.all()

    def rebuild_author_names(self) -> None:
        """Write each source's author_names from its authorships, all read in one query."""
        from .models import Authorship

        names = {source_id: [] for source_id in self.values_list("pk", flat=True)}
        authorships = Authorship.objects.filter(source__in=self.values("pk")).select_related("author")
        authorships = authorships.order_by("position")
        for authorship in authorships:
            names[authorship.source_id].append(str(authorship.author))
        sources = [self.model(pk=pk, author_names="; ".join(people)) for pk, people in names.items()]
        self.model.objects.bulk_update(sources, ["author_names"], batch_size=1000)


class SourceManager(NaturalKeyManager.from_queryset(SourceQuerySet)):
    natural_key_fields = ("key",)


# Evidence reads best strongest stance first: support, partial support, contradiction, mentions.
STANCE_ORDER = Case(
    When(stance="supports", then=Value(0)),
    When(stance="partially-supports", then=Value(1)),
    When(stance="contradicts", then=Value(2)),
    default=Value(3),
)
STRONGEST_FIRST = (STANCE_ORDER, "source__key")
# The sources' long texts are never shown beside a claim: left in the database when evidence is read
# with its sources (at 25,000 links reading them was a third of the review page's time).
SOURCE_LONG_TEXTS = [
    f"source__{name}" for name in ("abstract", "summary", "keywords", "provenance", "curator_notes", "author_names")
]


class ClaimQuerySet(models.QuerySet):
    def for_review(self) -> ClaimQuerySet:
        """Claims in text order, each with its evidence and their sources: three queries for any number."""
        from .models import Evidence

        evidence = Evidence.objects.select_related("source").defer(*SOURCE_LONG_TEXTS).order_by(*STRONGEST_FIRST)
        return (
            self.select_related("article")
            .prefetch_related(Prefetch("evidence", queryset=evidence))
            .order_by("start", "pk")
        )

    def for_admin_list(self) -> ClaimQuerySet:
        return self.select_related("article").annotate(evidence_count=Count("evidence"))


class ClaimManager(NaturalKeyManager.from_queryset(ClaimQuerySet)):
    natural_key_fields = ("article__slug", "start", "end")


class AdverseEffectReportQuerySet(models.QuerySet):
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
