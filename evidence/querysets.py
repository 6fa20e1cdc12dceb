"""Reads of the evidence base, as chainable QuerySet methods, one per kind of page where it helps."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, F, Max, OuterRef, Prefetch, Q, Subquery, Sum, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from .vocabularies import (
    SEVERITY_ORDER,
    CurationStatus,
    Population,
    ReportGroup,
    ReportSetting,
    ScreeningStatus,
    Stance,
    severity_rank,
)


def drafts_hidden() -> bool:
    """Whether readers see reviewed sources only (PUBLIC_DRAFTS=hide), or drafts too, marked as such."""
    return settings.PUBLIC_DRAFTS == "hide"


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
        return included.reviewed() if drafts_hidden() else included

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
# `EvidenceQuerySet.link_values()`, in the order `reports.link_values_of()` gives them for an object. The
# part (of a split statement), the source's id, key and what its n counts are for GRADE.
LINK_FIELDS = (
    "claim_id",
    "part_id",
    "curation_status",
    "stance",
    "source_id",
    "source__key",
    "source__study_design",
    "source__population",
    "source__sample_size",
    "source__sample_size_unit",
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

    def with_claims(self) -> EvidenceQuerySet:
        """Each link with its claim and article, in the order of the claims' articles and places (a source's
        page shows each claim's stored status beside the link's stance: claim_status.linked_statements)."""
        return self.select_related("claim__article").order_by("claim__article__title", "claim__start", "claim__pk")

    def link_values(self) -> models.QuerySet:
        """Rows of LINK_FIELDS: at 1,000 statements with 25,000 links, making every link and its source an
        object took most of the review page's time."""
        return self.values_list(*LINK_FIELDS)

    def strongest_of_each_claim(self, shown: int) -> EvidenceQuerySet:
        """Each claim's (and each of its parts') `shown` strongest links with their sources, by claim then
        strength: one query (a window function numbers each claim's links), whatever the number of claims."""
        place = Window(RowNumber(), partition_by=[F("claim_id"), F("part_id")], order_by=list(STRONGEST_FIRST))
        links = self.with_sources().annotate(place=place).filter(place__lte=shown)
        return links.order_by("claim_id", "part_id", "place")


class EvidenceManager(models.Manager.from_queryset(EvidenceQuerySet)):
    def get_by_natural_key(self, article_slug, start, end, source_key, part_position=None):
        of_part = {"part__position": part_position} if part_position is not None else {"part__isnull": True}
        return self.get(
            claim__article__slug=article_slug, claim__start=start, claim__end=end, source__key=source_key, **of_part
        )


# A claim's place in its article: by start, a claim that lost its span after every anchored one, then by id.
TEXT_POSITION = Coalesce(F("start"), Value(2**31 - 1))


class ClaimQuerySet(models.QuerySet):
    def of_articles(self, articles) -> ClaimQuerySet:
        return self.filter(article__in=articles)

    def in_text_order(self) -> ClaimQuerySet:
        """The same order on SQLite and PostgreSQL, which sort an empty start first and last."""
        return self.alias(position=TEXT_POSITION).order_by("position", "pk")

    def with_numbers(self) -> ClaimQuerySet:
        """Each claim's `number`: its place among all its article's statements (1 = first), whatever the
        filters, so statement 28 is statement 28 on the review page, the evidence map and the claims list.
        A counting subquery, not a window: a window would number only the claims the filters leave."""
        earlier = (
            self.model.objects.filter(article=OuterRef("article"))
            .alias(position=TEXT_POSITION)
            .filter(Q(position__lt=OuterRef("position")) | Q(position=OuterRef("position"), pk__lt=OuterRef("pk")))
            .values("article")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.alias(position=TEXT_POSITION).annotate(number=Coalesce(Subquery(earlier), 0) + 1)

    def with_numbers_of_whole_articles(self) -> ClaimQuerySet:
        """`with_numbers` for claims that are all their articles' statements (a review page, the home page's
        summaries), where a window numbers them alike: at 1,000 statements the counting subquery took 106 ms."""
        place = Window(RowNumber(), partition_by=[F("article_id")], order_by=[TEXT_POSITION.asc(), F("pk").asc()])
        return self.alias(position=TEXT_POSITION).annotate(number=place)

    def for_review(self) -> ClaimQuerySet:
        """Claims in text order, numbered, each with all its evidence and their sources: three queries for any
        number."""
        from .models import Evidence

        evidence = Prefetch("evidence", queryset=Evidence.objects.strongest_first())
        return self.for_summary().prefetch_related(evidence)

    def for_summary(self) -> ClaimQuerySet:
        """Claims in text order, numbered, with their article, for pages that show their stored statuses
        (claim_status.statements) and not their links."""
        return self.select_related("article").with_numbers().in_text_order()

    def for_admin_list(self) -> ClaimQuerySet:
        return self.select_related("article", "stored_status").annotate(evidence_count=Count("evidence"))


class ClaimManager(NaturalKeyManager.from_queryset(ClaimQuerySet)):
    natural_key_fields = ("article__slug", "start", "end")


# A report of animal or in vitro toxicity: from an animal setting, or from a study of animals or cells.
NON_HUMAN_REPORT = models.Q(setting=ReportSetting.ANIMAL) | models.Q(
    source__population__in=[Population.ANIMALS, Population.IN_VITRO]
)


class AdverseEffectReportQuerySet(models.QuerySet):
    def public(self) -> AdverseEffectReportQuerySet:
        """Reports of the sources readers see (SourceQuerySet.public)."""
        from .models import Source

        return self.filter(source__in=Source.objects.public())

    def in_group(self, group: str) -> AdverseEffectReportQuerySet:
        """Human reports (case reports, series, surveillance, surveys, trials, reviews of them), or animal and
        in vitro toxicity."""
        return self.filter(NON_HUMAN_REPORT) if group == ReportGroup.ANIMALS else self.exclude(NON_HUMAN_REPORT)

    def group_counts(self) -> dict[str, int]:
        """Reports in each group, in one query."""
        return self.aggregate(
            **{
                ReportGroup.HUMANS.value: Count("pk", filter=~NON_HUMAN_REPORT),
                ReportGroup.ANIMALS.value: Count("pk", filter=NON_HUMAN_REPORT),
            }
        )

    def by_organ_class_and_compound(self) -> models.QuerySet:
        """One row per (organ class, compound slug): distinct sources, stated cases, worst severity rank (0 = none)."""
        rank = Case(
            *(When(severity=severity, then=Value(severity_rank(severity))) for severity in SEVERITY_ORDER),
            default=Value(0),
        )
        return (
            self.values(organ_class=F("effect__system_organ_class"), compound_slug=F("compound__slug"))
            .annotate(source_count=Count("source", distinct=True), case_count=Sum("cases"), worst=Max(rank))
            .order_by("organ_class", "compound_slug")
        )

    def effect_terms(self) -> models.QuerySet:
        return (
            self.values(organ_class=F("effect__system_organ_class"), term=F("effect__term"))
            .distinct()
            .order_by("organ_class", "term")
        )
