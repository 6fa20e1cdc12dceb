"""Controlled vocabularies of the evidence base.

Stored values are the slugs used by the curated data in ../shared/data, so fixtures and imports
map one to one. docs/data-model.md says where each list comes from.
"""

from __future__ import annotations

from django.db import models


class EntryType(models.TextChoices):
    ARTICLE = "article", "journal article"
    REVIEW = "review", "review article"
    BOOK = "book", "book"
    CHAPTER = "chapter", "book chapter"
    REPORT = "report", "report"
    WEBPAGE = "webpage", "web page"
    REGULATORY = "regulatory", "regulatory document"
    DATASET = "dataset", "dataset"


class StudyDesign(models.TextChoices):
    # Ordered roughly from the strongest design for questions about people to the weakest;
    # docs/data-model.md gives the hierarchy. The one name of each design, on pages and in the reasons
    # for a claim's status ("2 cohort studies"): a countable noun.
    SYSTEMATIC_REVIEW = "systematic-review", "systematic review / meta-analysis"
    RCT = "randomised-controlled-trial", "randomised controlled trial"
    NON_RANDOMISED_TRIAL = "non-randomised-trial", "non-randomised trial"
    COHORT = "cohort", "cohort study"
    CASE_CONTROL = "case-control", "case-control study"
    CROSS_SECTIONAL_SURVEY = "cross-sectional-survey", "cross-sectional survey"
    PHARMACOKINETIC = "pharmacokinetic", "pharmacokinetic study"
    SURVEILLANCE = "surveillance", "surveillance / poison-centre dataset"
    MORTALITY_SERIES = "mortality-series", "mortality / toxicology series"
    CASE_SERIES = "case-series", "case series"
    CASE_REPORT = "case-report", "case report"
    NARRATIVE_REVIEW = "narrative-review", "narrative review"
    ANIMAL_STUDY = "animal-study", "animal study"
    IN_VITRO = "in-vitro", "in vitro study"
    PRODUCT_ANALYSIS = "product-analysis", "product analysis"
    REGULATORY = "regulatory", "regulatory or policy document"
    OTHER = "other", "other source"

    @property
    def plural(self) -> str:
        return IRREGULAR_DESIGN_PLURALS.get(self, f"{self.label}s")


IRREGULAR_DESIGN_PLURALS = {
    StudyDesign.SYSTEMATIC_REVIEW: "systematic reviews / meta-analyses",
    StudyDesign.COHORT: "cohort studies",
    StudyDesign.CASE_CONTROL: "case-control studies",
    StudyDesign.PHARMACOKINETIC: "pharmacokinetic studies",
    StudyDesign.MORTALITY_SERIES: "mortality / toxicology series",
    StudyDesign.CASE_SERIES: "case series",
    StudyDesign.ANIMAL_STUDY: "animal studies",
    StudyDesign.IN_VITRO: "in vitro studies",
    StudyDesign.PRODUCT_ANALYSIS: "product analyses",
}


class Population(models.TextChoices):
    HUMANS = "humans", "humans"
    ANIMALS = "animals", "animals"
    IN_VITRO = "in-vitro", "in vitro"
    NONE = "none", "none"


class RetractionStatus(models.TextChoices):
    NONE = "none", "none"
    RETRACTED = "retracted", "retracted"
    EXPRESSION_OF_CONCERN = "expression-of-concern", "expression of concern"
    CORRECTED = "corrected", "corrected"


class CurationStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    REVIEWED = "reviewed", "reviewed"


class ScreeningStatus(models.TextChoices):
    """Where a source stands in the systematic-review screening (docs/curation.md). Only INCLUDED sources
    are ever public; curation_status (draft / reviewed) then says whether an included record was checked."""

    CANDIDATE = "candidate", "awaiting title/abstract screening"
    FULL_TEXT = "full-text", "awaiting full-text assessment"
    INCLUDED = "included", "included"
    EXCLUDED = "excluded", "excluded"


class ScreeningStage(models.TextChoices):
    TITLE_ABSTRACT = "title-abstract", "title and abstract"
    FULL_TEXT = "full-text", "full text"


class Decision(models.TextChoices):
    INCLUDE = "include", "include"
    EXCLUDE = "exclude", "exclude"
    MAYBE = "maybe", "maybe"


class ClaimCategory(models.TextChoices):
    MECHANISM = "mechanism", "mechanism"
    EFFICACY = "efficacy", "efficacy"
    SAFETY = "safety", "safety / adverse effects"
    DEPENDENCE = "dependence", "dependence / addiction"
    DOSAGE = "dosage", "dosage"
    PRODUCT_QUALITY = "product-quality", "product quality"
    LEGAL = "legal", "legal / regulatory"
    TRADITIONAL_USE = "traditional-use", "traditional use"
    OTHER = "other", "other"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "supports"
    PARTIALLY_SUPPORTS = "partially-supports", "partially supports"
    CONTRADICTS = "contradicts", "contradicts"
    MENTIONS = "mentions", "mentions"


SUPPORTING_STANCES = (Stance.SUPPORTS, Stance.PARTIALLY_SUPPORTS)


class Severity(models.TextChoices):
    MILD = "mild", "mild"
    MODERATE = "moderate", "moderate"
    SEVERE = "severe", "severe"
    LIFE_THREATENING = "life-threatening", "life-threatening"
    FATAL = "fatal", "fatal"


SEVERITY_ORDER = [choice.value for choice in Severity]  # mild … fatal: later is worse


def severity_rank(severity: str) -> int:
    """1 for the mildest severity, … 0 for none stated: the worst of several is the highest."""
    return SEVERITY_ORDER.index(severity) + 1 if severity in SEVERITY_ORDER else 0


class ReportSetting(models.TextChoices):
    CASE_REPORT = "case-report", "case report"
    SURVEY = "survey", "survey self-report"
    POISON_CENTRE = "poison-centre", "poison-centre"
    CLINICAL_STUDY = "clinical-study", "clinical study"
    ANIMAL = "animal", "animal"
    MORTALITY_DATA = "mortality-data", "mortality data"
    OUTBREAK = "outbreak", "outbreak investigation"
    REVIEW = "review", "review"


class Causality(models.TextChoices):
    # WHO-UMC system for standardised case causality assessment.
    CERTAIN = "certain", "certain"
    PROBABLE = "probable", "probable / likely"
    POSSIBLE = "possible", "possible"
    UNLIKELY = "unlikely", "unlikely"
    UNASSESSABLE = "unassessable", "unassessable / unclassifiable"


# The 27 MedDRA system organ classes, by their international English names.
SYSTEM_ORGAN_CLASSES = (
    "Blood and lymphatic system disorders",
    "Cardiac disorders",
    "Congenital, familial and genetic disorders",
    "Ear and labyrinth disorders",
    "Endocrine disorders",
    "Eye disorders",
    "Gastrointestinal disorders",
    "General disorders and administration site conditions",
    "Hepatobiliary disorders",
    "Immune system disorders",
    "Infections and infestations",
    "Injury, poisoning and procedural complications",
    "Investigations",
    "Metabolism and nutrition disorders",
    "Musculoskeletal and connective tissue disorders",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
    "Nervous system disorders",
    "Pregnancy, puerperium and perinatal conditions",
    "Product issues",
    "Psychiatric disorders",
    "Renal and urinary disorders",
    "Reproductive system and breast disorders",
    "Respiratory, thoracic and mediastinal disorders",
    "Skin and subcutaneous tissue disorders",
    "Social circumstances",
    "Surgical and medical procedures",
    "Vascular disorders",
)
SYSTEM_ORGAN_CLASS_CHOICES = [(name, name) for name in SYSTEM_ORGAN_CLASSES]


class RiskOfBiasTool(models.TextChoices):
    # The Cochrane tools by design: RoB 2 for randomised trials, ROBINS-I or Newcastle–Ottawa for
    # observational studies, SYRCLE's tool for animal studies; a review is appraised with AMSTAR-2,
    # which rates the review, not a study's risk of bias ("not applicable").
    NOT_ASSESSED = "not-assessed", "not assessed"
    ROB_2 = "rob-2", "RoB 2 (randomised trials)"
    ROBINS_I = "robins-i", "ROBINS-I (non-randomised studies)"
    NEWCASTLE_OTTAWA = "newcastle-ottawa", "Newcastle–Ottawa scale (observational studies)"
    SYRCLE = "syrcle", "SYRCLE (animal studies)"
    NOT_APPLICABLE = "not-applicable", "not applicable (a review: AMSTAR-2 rates the review itself)"


class RiskOfBiasJudgment(models.TextChoices):
    LOW = "low", "low"
    SOME_CONCERNS = "some-concerns", "some concerns"
    HIGH = "high", "high"
    CRITICAL = "critical", "critical"


class IndustryInvolvement(models.TextChoices):
    NOT_RECORDED = "not-recorded", "not recorded"
    NONE_DECLARED = "none-declared", "none declared"
    DECLARED = "declared", "industry funding or conflicts declared"


class GradeJudgment(models.TextChoices):
    # The judgments of a GRADE domain; the same words as evidence.grade.Judgment.
    NOT_SERIOUS = "not serious", "not serious"
    SERIOUS = "serious", "serious"
    VERY_SERIOUS = "very serious", "very serious"


class GradeDomain(models.TextChoices):
    RISK_OF_BIAS = "risk_of_bias", "risk of bias"
    INCONSISTENCY = "inconsistency", "inconsistency"
    INDIRECTNESS = "indirectness", "indirectness"
    IMPRECISION = "imprecision", "imprecision"
    PUBLICATION_BIAS = "publication_bias", "publication bias"


class UpgradeKind(models.TextChoices):
    # GRADE's reasons to rate observational evidence up that a curator can see in a paper.
    LARGE_EFFECT = "large-effect", "large effect"
    VERY_LARGE_EFFECT = "very-large-effect", "very large effect"
    DOSE_RESPONSE = "dose-response", "dose–response gradient"


class PartKind(models.TextChoices):
    SPAN = "span", "span of the statement"
    PREMISE = "premise", "implied premise (paraphrase)"


class ReportGroup(models.TextChoices):
    # The adverse-effects overview shows reports in people apart from animal and in vitro toxicity: an LD50
    # in rats is not a case of human poisoning.
    HUMANS = "humans", "human reports"
    ANIMALS = "animals", "animal and in vitro toxicity"
