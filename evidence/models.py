"""The evidence base: compounds, citations and their authors, articles under review, their claims,
the evidence links between claims and sources, and the adverse effects that sources report.

docs/data-model.md describes every field and where each controlled vocabulary comes from.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from simple_history.models import HistoricalRecords

from . import identifiers
from .grade import CERTAINTY
from .querysets import AdverseEffectReportQuerySet, ClaimManager, EvidenceManager, NaturalKeyManager, SourceManager
from .support import Status
from .vocabularies import (
    SYSTEM_ORGAN_CLASS_CHOICES,
    Causality,
    ClaimCategory,
    CurationStatus,
    EntryType,
    GradeDomain,
    GradeJudgment,
    IndustryInvolvement,
    PartKind,
    Population,
    ReportSetting,
    RetractionStatus,
    RiskOfBiasJudgment,
    RiskOfBiasTool,
    ScreeningStatus,
    Severity,
    Stance,
    StudyDesign,
    UpgradeKind,
)

# Only web links: a javascript: or data: URL must never become a clickable link.
http_url_validator = URLValidator(schemes=["http", "https"])


class NormalisingCharField(models.CharField):
    """Normalises before validating, so a DOI pasted as https://doi.org/10.… is accepted and stored bare."""

    normalise = staticmethod(str.strip)

    def to_python(self, value):
        value = super().to_python(value)
        return self.normalise(value) if value else value


class DOIField(NormalisingCharField):
    normalise = staticmethod(identifiers.normalise_doi)


class PMIDField(NormalisingCharField):
    normalise = staticmethod(identifiers.normalise_pmid)


class PMCIDField(NormalisingCharField):
    normalise = staticmethod(identifiers.normalise_pmcid)


class CompoundManager(NaturalKeyManager):
    natural_key_fields = ("slug",)


class Compound(models.Model):
    slug = models.SlugField(unique=True, help_text="Stable identifier used in URLs, filters and fixtures.")
    name = models.CharField(max_length=200, unique=True)
    synonyms = models.TextField(blank=True, help_text="Other names and abbreviations, one per line.")
    pubchem_cid = models.PositiveIntegerField(
        "PubChem CID", null=True, blank=True, help_text="Only a CID seen on PubChem itself; leave empty otherwise."
    )
    description = models.TextField(blank=True)

    objects = CompoundManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_compound_change", args=[self.pk])

    @property
    def synonym_list(self) -> list[str]:
        return [line.strip() for line in self.synonyms.splitlines() if line.strip()]


class AuthorManager(NaturalKeyManager):
    natural_key_fields = ("family", "given")


class Author(models.Model):
    family = models.CharField(
        "family name", max_length=300, help_text="For an organisation as author, its full name goes here."
    )
    given = models.CharField("given names", max_length=200, blank=True)
    is_organization = models.BooleanField("organisation", default=False)

    objects = AuthorManager()

    class Meta:
        ordering = ["family", "given"]
        constraints = [models.UniqueConstraint(fields=["family", "given"], name="author_unique_name")]
        indexes = [models.Index(Lower("family"), name="author_family_lower")]

    def __str__(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family

    def natural_key(self) -> tuple[str, str]:
        return (self.family, self.given)

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_author_change", args=[self.pk])

    @property
    def short_name(self) -> str:
        """`Kruegel AC`, as Vancouver-style author lists write it."""
        if self.is_organization or not self.given:
            return self.family
        initials = "".join(part[0] for part in self.given.replace("-", " ").replace(".", " ").split())
        return f"{self.family} {initials}"


class Versioned(models.Model):
    """A record curators edit: every save bumps `version` (so a stale form can be refused, see
    admin/versioning.py) and is kept in its history (who, when, what; revertible in the admin)."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)


# Digits, so that it fits an <int:…> as well as a <str:…> argument.
URL_PLACEHOLDER = "90817263544536271809"


@lru_cache(maxsize=32)
def _url_pattern(name: str, script_prefix: str) -> str:
    return reverse(name, args=[URL_PLACEHOLDER])


def url_with(name: str, argument) -> str:
    """reverse(name, args=[argument]) for a URL of one argument, from one reversed pattern per name and
    script prefix: reverse() for each of a review page's 5,000 links took a tenth of a second. The
    argument is quoted as reverse() quotes it."""
    pattern = _url_pattern(name, get_script_prefix())
    return pattern.replace(URL_PLACEHOLDER, quote(str(argument), safe=RFC3986_SUBDELIMS + "/~:@"))


class Source(Versioned):
    key = models.CharField(
        "citation key",
        max_length=identifiers.KEY_MAX_LENGTH,
        unique=True,
        blank=True,
        validators=[
            RegexValidator(identifiers.KEY_PATTERN, "Use letters, digits and _ : . - + only (no spaces, no slash).")
        ],
        help_text="Like Kruegel2016. Leave empty to generate it from the first author and year.",
    )
    entry_type = models.CharField(max_length=20, choices=EntryType.choices, default=EntryType.ARTICLE)
    title = models.CharField(max_length=1000)
    authors = models.ManyToManyField(Author, through="Authorship", related_name="sources")
    authors_truncated = models.BooleanField(
        "author list truncated (et al.)",
        default=False,
        help_text="The source names only its first authors: citations end the list with “et al.”.",
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1500), MaxValueValidator(2100)]
    )
    month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    container_title = models.CharField(
        "journal / container", max_length=500, blank=True, help_text="Journal, book or website title."
    )
    journal_abbreviation = models.CharField(
        max_length=300, blank=True, help_text="As the record gives it (e.g. MEDLINE TA); never made up."
    )
    volume = models.CharField(max_length=50, blank=True)
    issue = models.CharField("issue / number", max_length=50, blank=True, help_text="Issue, or a report's number.")
    pages = models.CharField(max_length=50, blank=True)
    publisher = models.CharField(
        max_length=300, blank=True, help_text="Publisher, or the institution that issued a report."
    )
    place = models.CharField("place of publication", max_length=200, blank=True)
    report_type = models.CharField(max_length=200, blank=True, help_text="A report's type or series.")
    howpublished = models.CharField(
        "how published", max_length=500, blank=True, help_text="Where a document that is not in a journal appeared."
    )
    doi = DOIField(
        "DOI",
        max_length=255,
        blank=True,
        validators=[identifiers.validate_doi],
        help_text="Without https://doi.org/; stored in lower case.",
    )
    pmid = PMIDField("PMID", max_length=12, blank=True, validators=[identifiers.validate_pmid])
    pmcid = PMCIDField("PMCID", max_length=16, blank=True, validators=[identifiers.validate_pmcid])
    url = models.URLField("URL", max_length=500, blank=True, validators=[http_url_validator])
    abstract = models.TextField(blank=True, help_text="The published abstract, only where it was seen.")
    summary = models.TextField(
        "summary of finding", blank=True, help_text="The finding in the curator's own words, never a quoted abstract."
    )
    keywords = models.TextField(blank=True, help_text="Keywords separated by semicolons.")
    # The ordered author names as one text, kept in step by evidence.signals: the full-text index and
    # the "first author" sort read it without a join.
    author_names = models.TextField(blank=True, editable=False)
    # The title normalised (identifiers.title_key), kept by evidence.signals: duplicates are found by an
    # indexed lookup instead of comparing every title in Python.
    title_key = models.CharField(max_length=identifiers.TITLE_KEY_LENGTH, blank=True, editable=False, db_index=True)
    # What the source is linked to, as words the full-text index reads (design, population, compounds and
    # their synonyms, adverse effects reported and their organ classes): kept by evidence.query.linked.
    linked_terms = models.TextField(blank=True, editable=False)
    study_design = models.CharField(max_length=40, choices=StudyDesign.choices, blank=True)
    population = models.CharField(max_length=20, choices=Population.choices, blank=True)
    sample_size = models.PositiveIntegerField("sample size (n)", null=True, blank=True)
    sample_size_unit = models.CharField(
        max_length=100, blank=True, help_text="What n counts: participants, exposures, products, deaths …"
    )
    compounds = models.ManyToManyField(Compound, blank=True, related_name="sources", verbose_name="compounds studied")
    retraction_status = models.CharField(max_length=30, choices=RetractionStatus.choices, default=RetractionStatus.NONE)
    # What the notice says, as Retraction Watch records it (evidence/retractions.py); empty for "none".
    retraction_date = models.DateField(null=True, blank=True, help_text="The date of the notice.")
    retraction_reason = models.TextField(blank=True, help_text="The reasons the notice gives, separated by semicolons.")
    retraction_notice = DOIField(
        "retraction notice (DOI)",
        max_length=255,
        blank=True,
        validators=[identifiers.validate_doi],
        help_text="The DOI of the retraction, correction or expression of concern.",
    )
    curation_status = models.CharField(max_length=20, choices=CurationStatus.choices, default=CurationStatus.DRAFT)
    # Imported records and records added by identifier start as candidates (evidence.screening); a source
    # a curator enters by hand is included at once.
    screening_status = models.CharField(
        max_length=20, choices=ScreeningStatus.choices, default=ScreeningStatus.INCLUDED, db_index=True
    )
    provenance = models.TextField(blank=True, help_text="Where this record's metadata was seen (URLs, dates).")
    curator_notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = SourceManager()
    history = HistoricalRecords(excluded_fields=["author_names", "title_key", "linked_terms"])

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="source_unique_doi"),
            models.UniqueConstraint(fields=["pmid"], condition=~Q(pmid=""), name="source_unique_pmid"),
            models.CheckConstraint(condition=Q(doi=Lower("doi")), name="source_doi_lower_case"),
            models.CheckConstraint(condition=~Q(key=""), name="source_key_not_empty"),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1500, year__lte=2100), name="source_year_range"
            ),
            models.CheckConstraint(
                condition=Q(month__isnull=True) | Q(month__gte=1, month__lte=12), name="source_month_range"
            ),
        ]
        indexes = [
            models.Index(fields=["year"]),
            models.Index(fields=["study_design"]),
            models.Index(fields=["title"]),
            models.Index(fields=["curation_status"]),
            # The home page's latest reviewed sources, read in this order: a scan of every source without it.
            models.Index(
                fields=["-updated_at", "key"],
                condition=Q(screening_status=ScreeningStatus.INCLUDED, curation_status=CurationStatus.REVIEWED),
                name="source_latest_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    def get_absolute_url(self) -> str:
        return url_with("evidence:source", self.key)

    def clean(self) -> None:
        if not self.key:
            self.key = self.generate_key()
        if MergedSource.objects.filter(key=self.key).exists():
            raise ValidationError(
                {"key": f"{self.key} was merged into another source and redirects there: choose another key."}
            )

    def save(self, *args, **kwargs) -> None:
        self.normalise_identifiers()
        if not self.key:
            self.key = self.generate_key()
        super().save(*args, **kwargs)

    def normalise_identifiers(self) -> None:
        """Also on save, for code that writes without full_clean()."""
        for name in ("doi", "pmid", "pmcid", "retraction_notice"):
            setattr(self, name, self._meta.get_field(name).to_python(getattr(self, name)))

    def refresh_author_names(self) -> None:
        names = "; ".join(str(a.author) for a in self.authorships.select_related("author").order_by("position"))
        Source.objects.filter(pk=self.pk).update(author_names=names)
        self.author_names = names

    def generate_key(self) -> str:
        """A key from the first author (or the title, before authors exist) and the year, unique."""
        first = self.authorships.select_related("author").first() if self.pk else None
        return identifiers.citation_key(
            first.author.family if first else None,
            self.title,
            self.year,
            # A merged record's key still answers (a redirect to its survivor): never given out again.
            lambda stem: (
                set(Source.objects.filter(key__startswith=stem).exclude(pk=self.pk).values_list("key", flat=True))
                | set(MergedSource.objects.filter(key__startswith=stem).values_list("key", flat=True))
            ),
        )

    @property
    def retraction_note(self) -> str:
        """`Retracted 2024-01-26 (Fake Peer Review); notice https://doi.org/…`, for the downloads; "" when none."""
        if self.retraction_status == RetractionStatus.NONE:
            return ""
        parts = [self.get_retraction_status_display().capitalize()]
        if self.retraction_date:
            parts.append(f"{self.retraction_date:%Y-%m-%d}")
        if self.retraction_reason:
            parts.append(f"({self.retraction_reason})")
        note = " ".join(parts)
        return f"{note}; notice https://doi.org/{self.retraction_notice}" if self.retraction_notice else note

    @property
    def ordered_authors(self) -> list[Author]:
        return [authorship.author for authorship in self.authorships.all()]

    @property
    def author_summary(self) -> str:
        """`Kruegel AC, Gassaway MM, Kapoor A, et al.` from prefetched authorships."""
        names = [author.short_name for author in self.ordered_authors]
        return ", ".join(names[:3]) + (", et al." if len(names) > 3 or self.authors_truncated else "")


class AuthorshipManager(models.Manager):
    def get_by_natural_key(self, source_key: str, position: int) -> Authorship:
        return self.get(source__key=source_key, position=position)


class Authorship(models.Model):
    """An author's place in a source's author list (1 = first author)."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])

    objects = AuthorshipManager()

    class Meta:
        ordering = ["source", "position"]
        constraints = [
            models.UniqueConstraint(fields=["source", "position"], name="authorship_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="authorship_position_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.author} ({self.source.key})"

    def natural_key(self) -> tuple[str, int]:
        return (self.source.key, self.position)

    natural_key.dependencies = ["evidence.source", "evidence.author"]

    def get_absolute_url(self) -> str:
        return self.source.get_absolute_url()


class ArticleManager(NaturalKeyManager):
    natural_key_fields = ("slug",)


class Article(models.Model):
    """A document under review, whose statements are checked against the evidence."""

    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=200, unique=True)
    url = models.URLField("URL", max_length=500, blank=True, validators=[http_url_validator])
    site = models.CharField(max_length=200, blank=True)
    accessed = models.DateField(null=True, blank=True, help_text="When the text was copied from the site.")
    text = models.TextField(help_text="The full text, exactly as published; claims point into it by offsets.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleManager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def get_absolute_url(self) -> str:
        return reverse("evidence:article", args=[self.slug])


class Claim(Versioned):
    """A statement, usually a sentence of an article, located there by its character span."""

    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.CASCADE, related_name="claims")
    text = models.TextField()
    start = models.PositiveIntegerField(
        null=True, blank=True, help_text="Offset of the first character in the article."
    )
    end = models.PositiveIntegerField(null=True, blank=True, help_text="Offset just past the last character.")
    category = models.CharField(max_length=20, choices=ClaimCategory.choices, default=ClaimCategory.OTHER)
    checkworthy = models.BooleanField(
        default=True, help_text="Untick for statements no evidence can check: pronunciation, rhetoric, plain advice."
    )
    compounds = models.ManyToManyField(Compound, blank=True, related_name="claims")
    sources = models.ManyToManyField(Source, through="Evidence", related_name="claims")
    curator_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["article", "start", "pk"]
        constraints = [
            # A span only inside an article; an article's claim may lose its span when the text is
            # corrected and its quote no longer occurs (it is then reported as unanchored).
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(article__isnull=False, start__isnull=False, end__isnull=False, start__lt=models.F("end")),
                name="claim_span_with_article",
            ),
            models.UniqueConstraint(fields=["article", "start", "end"], name="claim_unique_span"),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else f"{self.text[:79]}…"

    def natural_key(self) -> tuple[str, int, int]:
        return (self.article.slug if self.article else None, self.start, self.end)

    natural_key.dependencies = ["evidence.article"]

    def get_absolute_url(self) -> str:
        return url_with("evidence:claim", self.pk)

    def get_place_url(self) -> str:
        """Where the statement is discussed on its article's review page."""
        return f"{reverse('evidence:article', args=[self.article.slug])}#claim-{self.pk}"

    def clean(self) -> None:
        if self.article_id is None:
            if self.start is not None or self.end is not None:
                raise ValidationError("A claim outside an article has no character span: leave start and end empty.")
            return
        if self.start is None and self.end is None:
            self.locate_in_article()
        if self.start is None or self.end is None:
            raise ValidationError("A claim in an article needs its start and end offsets.")
        if not 0 <= self.start < self.end <= len(self.article.text):
            raise ValidationError(
                {"end": f"The span {self.start}–{self.end} is outside the article (0–{len(self.article.text)})."}
            )
        quoted = self.article.text[self.start : self.end]
        if quoted != self.text:
            raise ValidationError(
                {
                    "text": f"The text must equal the article's characters {self.start}–{self.end}, "
                    f"which read: {quoted!r}"
                }
            )

    def locate_in_article(self) -> None:
        """Fill the span from the text when it occurs exactly once, so curators need not count characters."""
        occurrences = self.article.text.count(self.text) if self.text else 0
        if occurrences != 1:
            where = "does not occur" if occurrences == 0 else f"occurs {occurrences} times"
            raise ValidationError(
                {"text": f"The text {where} in the article: give start and end, or quote it exactly."}
            )
        self.start = self.article.text.index(self.text)
        self.end = self.start + len(self.text)


class Evidence(Versioned):
    """What one source says about one claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    # Set when the link bears on one part of a split statement rather than on the statement as a whole.
    part = models.ForeignKey("StatementPart", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    stance = models.CharField(max_length=20, choices=Stance.choices)
    finding = models.TextField(help_text="What the source shows about this claim, in the curator's own words.")
    locator = models.CharField(max_length=200, blank=True, help_text="Page, table or figure, e.g. 'Table 2'.")
    quote = models.TextField(blank=True, help_text="A short quotation from the source, if useful.")
    curation_status = models.CharField(max_length=20, choices=CurationStatus.choices, default=CurationStatus.DRAFT)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EvidenceManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ["claim", "source__key"]
        constraints = [
            # One link per statement and source, and one per part and source: a source can support one
            # part of a statement and contradict another.
            models.UniqueConstraint(
                fields=["claim", "source"], condition=Q(part__isnull=True), name="evidence_one_link_per_pair"
            ),
            models.UniqueConstraint(
                fields=["part", "source"], condition=Q(part__isnull=False), name="evidence_one_link_per_part"
            ),
        ]
        indexes = [models.Index(fields=["stance"])]

    def __str__(self) -> str:
        claim = self.claim.text if len(self.claim.text) <= 50 else f"{self.claim.text[:49]}…"
        return f"{self.source.key} {self.get_stance_display()} “{claim}”"

    def natural_key(self) -> tuple:
        key = (*self.claim.natural_key(), self.source.key)
        return (*key, self.part.position) if self.part_id else key

    natural_key.dependencies = ["evidence.claim", "evidence.source"]

    def get_absolute_url(self) -> str:
        return self.claim.get_absolute_url()

    def clean(self) -> None:
        if self.part_id and self.claim_id and self.part.claim_id != self.claim_id:
            raise ValidationError({"part": "This part belongs to another statement."})
        # Only a source screened in may be evidence: a candidate or an excluded record is no one's evidence.
        if self.source_id is not None and self.source.screening_status != ScreeningStatus.INCLUDED:
            raise ValidationError(
                {
                    "source": f"{self.source.key} is {self.source.get_screening_status_display()}: include it at "
                    "screening before linking it as evidence."
                }
            )


class AdverseEffectManager(NaturalKeyManager):
    natural_key_fields = ("term",)


class AdverseEffect(models.Model):
    term = models.CharField(max_length=200, unique=True, help_text="e.g. withdrawal, seizure, liver injury.")
    system_organ_class = models.CharField(max_length=100, choices=SYSTEM_ORGAN_CLASS_CHOICES)

    objects = AdverseEffectManager()

    class Meta:
        ordering = ["term"]
        indexes = [models.Index(fields=["system_organ_class"])]

    def __str__(self) -> str:
        return self.term

    def natural_key(self) -> tuple[str]:
        return (self.term,)

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_adverseeffect_change", args=[self.pk])


class AdverseEffectReportManager(models.Manager.from_queryset(AdverseEffectReportQuerySet)):
    def get_by_natural_key(self, source_key, term, compound_slug, setting, severity) -> AdverseEffectReport:
        return self.get(
            source__key=source_key,
            effect__term=term,
            compound__slug=compound_slug,
            setting=setting,
            severity=severity,
        )


class AdverseEffectReport(Versioned):
    """A source reporting an adverse effect of a compound."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="adverse_effect_reports")
    effect = models.ForeignKey(AdverseEffect, on_delete=models.PROTECT, related_name="reports")
    compound = models.ForeignKey(Compound, on_delete=models.PROTECT, related_name="adverse_effect_reports")
    cases = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of cases or participants, only where the source states it."
    )
    frequency = models.CharField(max_length=200, blank=True, help_text="e.g. '14.0% of 129 respondents'.")
    severity = models.CharField(max_length=20, choices=Severity.choices, blank=True)
    setting = models.CharField(max_length=20, choices=ReportSetting.choices)
    co_exposures = models.TextField("co-exposures", blank=True, help_text="Other substances involved.")
    causality = models.CharField(
        max_length=20, choices=Causality.choices, blank=True, help_text="WHO-UMC causality category."
    )
    notes = models.TextField(blank=True)

    objects = AdverseEffectReportManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["effect__term", "source__key"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "effect", "compound", "setting", "severity"], name="adverse_effect_report_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.effect} ({self.compound}) in {self.source.key}"

    def natural_key(self) -> tuple:
        return (self.source.key, self.effect.term, self.compound.slug, self.setting, self.severity)

    natural_key.dependencies = ["evidence.source", "evidence.adverseeffect", "evidence.compound"]

    def get_absolute_url(self) -> str:
        return self.source.get_absolute_url()


# The tools that give an overall risk-of-bias judgment.
JUDGING_TOOLS = [RiskOfBiasTool.ROB_2, RiskOfBiasTool.ROBINS_I, RiskOfBiasTool.NEWCASTLE_OTTAWA, RiskOfBiasTool.SYRCLE]


class RiskOfBias(models.Model):
    """A curator's appraisal of one study: the tool used, the overall risk-of-bias judgment and why, and
    the funding and conflicts of interest the paper declares. A source without one is "not assessed"."""

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="risk_of_bias")
    tool = models.CharField(max_length=20, choices=RiskOfBiasTool.choices, default=RiskOfBiasTool.NOT_ASSESSED)
    judgment = models.CharField("overall judgment", max_length=20, choices=RiskOfBiasJudgment.choices, blank=True)
    reason = models.TextField(blank=True, help_text="Why this judgment: the domains of the tool that decided it.")
    funding = models.TextField(blank=True, help_text="Funding as the paper states it; empty unless read there.")
    conflicts = models.TextField(
        "declared conflicts of interest", blank=True, help_text="As the paper declares them; empty unless read there."
    )
    industry = models.CharField(
        "industry involvement",
        max_length=20,
        choices=IndustryInvolvement.choices,
        default=IndustryInvolvement.NOT_RECORDED,
        help_text="Whether the paper declares industry funding or conflicts; GRADE's publication bias reads it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "risk of bias"
        constraints = [
            models.CheckConstraint(
                condition=Q(judgment="") | Q(tool__in=JUDGING_TOOLS), name="risk_of_bias_judged_with_a_tool"
            ),
            models.CheckConstraint(condition=Q(judgment="") | ~Q(reason=""), name="risk_of_bias_judgment_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.source.key}: {self.get_judgment_display() or 'not assessed'}"

    def get_absolute_url(self) -> str:
        return self.source.get_absolute_url()

    def clean(self) -> None:
        errors = {}
        if self.judgment and self.source_id and self.source.retraction_status == RetractionStatus.RETRACTED:
            errors["judgment"] = (
                "A retracted source is not appraised: its results count for nothing, so leave the judgment empty."
            )
        elif self.judgment and self.tool not in JUDGING_TOOLS:
            errors["tool"] = "Name the tool the judgment was made with (RoB 2, ROBINS-I, Newcastle–Ottawa or SYRCLE)."
        if self.judgment and not self.reason.strip():
            errors["reason"] = "Say why: the domains of the tool that decided the judgment."
        if self.industry == IndustryInvolvement.DECLARED and not (self.funding.strip() or self.conflicts.strip()):
            errors["industry"] = "Quote the funding or the conflicts the paper declares."
        if errors:
            raise ValidationError(errors)


class CuratorsGrading(models.Model):
    """A curator's GRADE record for a claim, shown to readers with its reason, which it cannot lack."""

    reason_missing = "Say why: readers see the reason beside it."
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return self.claim.get_absolute_url()

    def clean(self) -> None:
        if not self.reason.strip():
            raise ValidationError({"reason": self.reason_missing})


class GradeOverride(CuratorsGrading):
    """A curator's judgment of one GRADE domain for a claim, shown beside the computed one."""

    reason_missing = "An override needs its reason: readers see it beside the computed one."
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="grade_overrides")
    domain = models.CharField(max_length=20, choices=GradeDomain.choices)
    judgment = models.CharField(max_length=20, choices=GradeJudgment.choices)
    reason = models.TextField(help_text="Why the computed judgment is wrong for this claim: it is shown beside it.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "domain"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "domain"], name="grade_override_one_per_domain"),
            models.CheckConstraint(condition=~Q(reason=""), name="grade_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.judgment}"


class GradeUpgrade(CuratorsGrading):
    """A reason to rate observational evidence for a claim up that a curator has seen in the studies."""

    reason_missing = "Say what the effect or the gradient is, and in which studies."
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="grade_upgrades")
    kind = models.CharField(max_length=20, choices=UpgradeKind.choices)
    reason = models.TextField(help_text="The effect size or the gradient, and in which studies.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "kind"], name="grade_upgrade_one_per_kind"),
            models.CheckConstraint(condition=~Q(reason=""), name="grade_upgrade_has_reason"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class StatementPart(models.Model):
    """One assertion of a statement that makes several: a span of its text, or a paraphrase of a premise it
    implies. Each part has its own checkworthiness, category, evidence and status."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    kind = models.CharField(max_length=10, choices=PartKind.choices, default=PartKind.SPAN)
    text = models.TextField(help_text="For a span, the statement's own words; for a premise, a paraphrase.")
    start = models.PositiveIntegerField(
        null=True, blank=True, help_text="Offset in the statement's text (not the article's); empty for a premise."
    )
    end = models.PositiveIntegerField(null=True, blank=True)
    category = models.CharField(max_length=20, choices=ClaimCategory.choices, default=ClaimCategory.OTHER)
    checkworthy = models.BooleanField(default=True, help_text="Untick for a part that asserts nothing testable.")
    curator_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "position"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "position"], name="statement_part_unique_position"),
            models.CheckConstraint(
                condition=Q(kind=PartKind.SPAN, start__isnull=False, end__isnull=False, start__lt=models.F("end"))
                | Q(kind=PartKind.PREMISE, start__isnull=True, end__isnull=True),
                name="statement_part_span_by_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"part {self.position}: {self.text}"

    def natural_key(self) -> tuple:
        return (*self.claim.natural_key(), self.position)

    natural_key.dependencies = ["evidence.claim"]

    def get_absolute_url(self) -> str:
        return self.claim.get_absolute_url()

    def clean(self) -> None:
        if self.kind == PartKind.PREMISE:
            if self.start is not None or self.end is not None:
                raise ValidationError({"start": "A premise is a paraphrase, not a span: leave start and end empty."})
            if not self.text.strip():
                raise ValidationError({"text": "Write the premise the statement implies."})
            return
        if self.claim_id is None:
            return
        statement = self.claim.text
        if self.start is None and self.end is None:
            self.locate_in_statement()
        if self.start is None or self.end is None or not 0 <= self.start < self.end <= len(statement):
            raise ValidationError(
                {"end": f"The span {self.start}–{self.end} is outside the statement (0–{len(statement)})."}
            )
        quoted = statement[self.start : self.end]
        if not self.text:
            self.text = quoted
        elif self.text != quoted:
            raise ValidationError(
                {"text": f"A span's text must equal the statement's characters {self.start}–{self.end}: {quoted!r}"}
            )

    def locate_in_statement(self) -> None:
        """Fill the span from a quote that occurs exactly once in the statement."""
        occurrences = self.claim.text.count(self.text) if self.text else 0
        if occurrences != 1:
            where = "does not occur" if occurrences == 0 else f"occurs {occurrences} times"
            raise ValidationError({"text": f"The text {where} in the statement: give start and end, or quote it."})
        self.start = self.claim.text.index(self.text)
        self.end = self.start + len(self.text)


class ClaimStatus(models.Model):
    """A claim's status and certainty as the rules last computed them, with what the pages show beside them
    (reasons, GRADE domains, parts). Kept by evidence/claim_status.py, never edited by hand: the pages and
    the `?status=` filter read it instead of assessing every claim on every request."""

    claim = models.OneToOneField(Claim, primary_key=True, on_delete=models.CASCADE, related_name="stored_status")
    status = models.CharField(max_length=20, choices=[(status.value, status.label) for status in Status], db_index=True)
    certainty = models.CharField(max_length=10, choices=[(c, c) for c in CERTAINTY], blank=True, db_index=True)
    # The rules' version that computed it (claim_status.RULES_VERSION): rows of older rules are recomputed.
    rules_version = models.PositiveSmallIntegerField()
    assessment = models.JSONField(help_text="Reasons, GRADE rating and parts, as claim_status.as_stored() wrote them.")

    class Meta:
        verbose_name_plural = "claim statuses"

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.status}"

    def get_absolute_url(self) -> str:
        return url_with("evidence:claim", self.claim_id)


class ImportLog(models.Model):
    """One committed bibliography import: which file (by its SHA-256), who, when, and what it did. A second
    commit of the same bytes finds its entry here and says so. Written by the importer only."""

    sha256 = models.CharField("SHA-256 of the file", max_length=64, db_index=True)
    filename = models.CharField(max_length=200)
    format = models.CharField(max_length=20)
    size = models.PositiveIntegerField("bytes")
    batch = models.CharField(max_length=20, unique=True, help_text="In the provenance and history of every record.")
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_at = models.DateTimeField(default=timezone.now, db_index=True)
    summary = models.CharField(max_length=200, help_text="What the plan held: new, duplicates, conflicts, failed.")
    created = models.PositiveIntegerField("records written")
    filled = models.PositiveIntegerField("existing records filled in")

    class Meta:
        ordering = ["-committed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.batch})"

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_importlog_change", args=[self.pk])


class ThesaurusEntry(models.Model):
    """A curator's addition to the search thesaurus (evidence/data/thesaurus.json ships the rest)."""

    term = models.CharField(
        max_length=200, unique=True, help_text="A word or phrase readers type, e.g. “liver damage”."
    )
    synonyms = models.TextField(
        help_text="Terms searched as well whenever a query contains the term, one per line, e.g. “liver injury”."
    )
    origin = models.CharField(
        "where the terms come from", max_length=300, blank=True, help_text="E.g. “MeSH entry terms”, “readers’ words”."
    )

    class Meta:
        ordering = ["term"]
        verbose_name_plural = "thesaurus entries"

    def __str__(self) -> str:
        return self.term

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_thesaurusentry_change", args=[self.pk])


class BibliographyUpload(models.Model):
    """A bibliography uploaded through the API, planned, and committed at most once: a second commit of
    the same upload returns the first one's result instead of importing again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    filename = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=20, help_text="The format asked for (or auto) when it was uploaded.")
    content = models.BinaryField(help_text="The file as uploaded: the commit plans again from these bytes.")
    content_sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(
        null=True, blank=True, help_text="What the commit wrote: batch, created and updated keys."
    )

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.filename or 'upload'} ({self.uploaded_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("api:import-detail", args=[self.pk])


class DataVersion(models.Model):
    """One row: a number every committed write to the evidence base raises (evidence/caching.py). Cached
    counts are kept under keys that include it, so no cached figure outlives the data it was counted from; it
    lives in the database so that every worker and every box reads the same number."""

    n = models.BigIntegerField(default=0)
    # The version the spelling vocabulary (PostgreSQL: evidence_search_vocabulary) was last built at.
    vocabulary_at = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data version {self.n}"

    def get_absolute_url(self) -> str:
        return reverse("evidence:home")  # no page of its own: the public pages are what it keys


# The screening stage's records (decisions, exclusion reasons, identifications), what merging duplicates
# leaves behind (old keys that redirect, pairs marked "not duplicates") and the tallies of the home page and
# the overview live in modules of their own.
from .merge_models import MergedSource, NotDuplicates  # noqa: E402, F401
from .screening_models import ExclusionReason, Identification, ScreeningDecision  # noqa: E402, F401
from .tally_models import PendingTally, SourceTally, Tally  # noqa: E402, F401
