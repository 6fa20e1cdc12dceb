"""The evidence base: compounds, citations and their authors, articles under review, their claims,
the evidence links between claims and sources, and the adverse effects that sources report.

docs/data-model.md describes every field and where each controlled vocabulary comes from.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS
from simple_history.models import HistoricalRecords

from . import identifiers
from .querysets import AdverseEffectReportQuerySet, ClaimManager, EvidenceManager, NaturalKeyManager, SourceManager
from .vocabularies import (
    SYSTEM_ORGAN_CLASS_CHOICES,
    Causality,
    ClaimCategory,
    CurationStatus,
    EntryType,
    Population,
    ReportSetting,
    RetractionStatus,
    ScreeningStatus,
    Severity,
    Stance,
    StudyDesign,
)

# Only web links: a javascript: or data: URL must never become a clickable link.
http_url_validator = URLValidator(schemes=["http", "https"])


class NormalizingCharField(models.CharField):
    """Normalises before validating, so a DOI pasted as https://doi.org/10.… is accepted and stored bare."""

    normalize = staticmethod(str.strip)

    def to_python(self, value):
        value = super().to_python(value)
        return self.normalize(value) if value else value


class DOIField(NormalizingCharField):
    normalize = staticmethod(identifiers.normalize_doi)


class PMIDField(NormalizingCharField):
    normalize = staticmethod(identifiers.normalize_pmid)


class PMCIDField(NormalizingCharField):
    normalize = staticmethod(identifiers.normalize_pmcid)


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
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1500), MaxValueValidator(2100)]
    )
    month = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    container_title = models.CharField(
        "journal / container", max_length=500, blank=True, help_text="Journal, book or website title."
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
    study_design = models.CharField(max_length=40, choices=StudyDesign.choices, blank=True)
    population = models.CharField(max_length=20, choices=Population.choices, blank=True)
    sample_size = models.PositiveIntegerField("sample size (n)", null=True, blank=True)
    sample_size_unit = models.CharField(
        max_length=100, blank=True, help_text="What n counts: participants, exposures, products, deaths …"
    )
    compounds = models.ManyToManyField(Compound, blank=True, related_name="sources", verbose_name="compounds studied")
    retraction_status = models.CharField(max_length=30, choices=RetractionStatus.choices, default=RetractionStatus.NONE)
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
    history = HistoricalRecords(excluded_fields=["author_names", "title_key"])

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

    def save(self, *args, **kwargs) -> None:
        self.normalize_identifiers()
        if not self.key:
            self.key = self.generate_key()
        super().save(*args, **kwargs)

    def normalize_identifiers(self) -> None:
        """Also on save, for code that writes without full_clean()."""
        for name in ("doi", "pmid", "pmcid"):
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
            lambda stem: set(
                Source.objects.filter(key__startswith=stem).exclude(pk=self.pk).values_list("key", flat=True)
            ),
        )

    @property
    def ordered_authors(self) -> list[Author]:
        return [authorship.author for authorship in self.authorships.all()]

    @property
    def author_summary(self) -> str:
        """`Kruegel AC, Gassaway MM, Kapoor A, et al.` from prefetched authorships."""
        names = [author.short_name for author in self.ordered_authors]
        return ", ".join(names[:3]) + (", et al." if len(names) > 3 else "")


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
        constraints = [models.UniqueConstraint(fields=["claim", "source"], name="evidence_one_link_per_pair")]
        indexes = [models.Index(fields=["stance"])]

    def __str__(self) -> str:
        claim = self.claim.text if len(self.claim.text) <= 50 else f"{self.claim.text[:49]}…"
        return f"{self.source.key} {self.get_stance_display()} “{claim}”"

    def natural_key(self) -> tuple:
        return (*self.claim.natural_key(), self.source.key)

    natural_key.dependencies = ["evidence.claim", "evidence.source"]

    def get_absolute_url(self) -> str:
        return self.claim.get_absolute_url()

    def clean(self) -> None:
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


# The screening stage's records (decisions, exclusion reasons, identifications) live in their own module.
from .screening_models import ExclusionReason, Identification, ScreeningDecision  # noqa: E402, F401
