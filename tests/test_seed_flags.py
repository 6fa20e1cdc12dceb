"""The seed article's result under the documented rules: what a reader of the demo sees.

docs/flagging.md ("On the seed article") explains every certainty that changed when GRADE replaced the
design-label certainty; the statuses did not change."""

import pytest

from evidence.grade import Judgment
from evidence.models import Article, Claim
from evidence.reports import build_report

pytestmark = pytest.mark.django_db

# (statement number, first words, status, certainty) for every checkworthy statement, in text order.
EXPECTED = [
    (1, "Kratom (Mitragyna speciosa), a Southeast Asian herb", "supported", "high"),
    (2, "Traditional use includes pain relief", "weak", "very low"),
    (3, "However, kratom's variability in effects", "supported", "low"),
    (4, "Dosage varies individually", "weak", "very low"),
    (8, "Learn how this herbal extract", "weak", "very low"),
    (10, "Kratom, scientifically known as Mitragyna speciosa", "supported", "low"),
    (12, "This herb has been traditionally used", "weak", "very low"),
    (13, "Its active compounds, mitragynine and 7-hydroxymitragynine", "supported", "high"),
    (14, "When consumed, kratom binds to specific receptors", "supported", "high"),
    (15, "This interaction provides a soothing effect", "weak", "very low"),
    (16, "The plant’s ability to engage opioid pathways", "weak", "very low"),
    (17, "Kratom, a herb native to Southeast Asia", "supported", "low"),
    (18, "Pronounced ‘kra-tom’, it offers a natural alternative", "weak", "very low"),
    (19, "The plant contains compounds known as alkaloids", "supported", "high"),
    (20, "Studies suggest kratom can effectively reduce pain", "weak", "low"),
    (23, "Kratom’s effects can vary significantly", "supported", "low"),
    (24, "Additionally, the quality and purity of kratom products", "supported", "low"),
    (26, "It’s important to note that the appropriate dose", "weak", "very low"),
    (27, "Starting low—typically 1-3 grams", "weak", "very low"),
    (28, "Remember that consistency is key", "contradicted", "very low"),
    (32, "Additionally, familiarize yourself with local laws", "weak", "moderate"),
    (34, "Kratom has emerged as a potential natural solution", "weak", "very low"),
]


@pytest.fixture
def report():
    article = Article.objects.get(slug="kratom-for-chronic-pain")
    return build_report(article, Claim.objects.for_review().filter(article=article))


def test_every_checkworthy_seed_statement_gets_the_status_its_evidence_gives(report):
    checkworthy = [s for s in report.statements if s.claim.checkworthy]
    assert len(checkworthy) == len(EXPECTED)
    for statement, (number, opening, status, certainty) in zip(checkworthy, EXPECTED, strict=True):
        assert (statement.number, statement.claim.text[: len(opening)]) == (number, opening)
        assert (statement.status.value, statement.assessment.certainty) == (status, certainty), opening
    assert {s.status.value for s in report.statements if not s.claim.checkworthy} == {"not_checkable"}
    assert [s.number for s in report.statements] == list(range(1, 38))


PEOPLE_CLAIMS = ("efficacy", "safety", "dosage")


def test_no_claim_about_people_on_fewer_than_100_participants_is_above_low_and_every_downgrade_says_why(report):
    rated = [s for s in report.statements if s.claim.category in PEOPLE_CLAIMS and s.assessment.rating]
    assert len(rated) == 12
    for statement in rated:
        people = sum(study.sample_size or 0 for study in statement.assessment.deciding if study.counts_people)
        if people < 100:
            assert statement.assessment.certainty in ("low", "very low"), statement.number
        for domain in statement.assessment.rating.downgrades:
            assert domain.reason and domain.footnote in statement.assessment.reasons


def test_the_pain_efficacy_statement_is_rated_down_for_indirectness_and_imprecision(report):
    # Statement 8: one crossover trial in 26 healthy regular users on experimental pain, an animal study
    # and two reviews, for relief of persistent pain in patients.
    statement = next(s for s in report.statements if s.number == 8)
    rating = statement.assessment.rating
    assert rating.certainty == "very low"
    assert rating.domain("indirectness").judgment is Judgment.SERIOUS
    assert rating.domain("imprecision").reason == (
        "26 participants in Vicknasingam2020, fewer than 100, against an optimal information size of 400."
    )
    assert rating.domain("risk_of_bias").judgment is Judgment.NOT_ASSESSED


def test_the_safer_than_opioids_claim_explains_why_it_is_only_weak(report):
    statement = next(s for s in report.statements if s.number == 16)
    assert statement.assessment.reasons[:3] == (
        "Supported by 1 narrative review; partially by 1 systematic review / meta-analysis, 3 animal studies and "
        "1 narrative review; contradicted by 2 cross-sectional surveys (n=129 and 129).",
        "No source supports it both fully and directly: the full support, from 1 narrative review, is indirect, "
        "and the direct support only partial.",
        "Certainty very low (⊕◯◯◯): starts low: observational evidence only (what Swogger2018 pools is not "
        "recorded); inconsistency serious (−1); indirectness serious (−1); imprecision very serious (−2); "
        "risk of bias and publication bias not assessed.",
    )
