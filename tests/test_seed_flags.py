"""The seed article's result under the documented rules: what a reader of the demo sees."""

import pytest

from evidence.models import Article, Claim
from evidence.reports import build_report

pytestmark = pytest.mark.django_db

# (first words of the statement, status, certainty) for every checkworthy statement, in text order.
EXPECTED = [
    ("Kratom (Mitragyna speciosa), a Southeast Asian herb", "supported", "low"),
    ("Traditional use includes pain relief", "weak", "low"),
    ("However, kratom's variability in effects", "supported", "high"),
    ("Dosage varies individually", "weak", "very low"),
    ("Learn how this herbal extract", "weak", "moderate"),
    ("Kratom, scientifically known as Mitragyna speciosa", "supported", "very low"),
    ("This herb has been traditionally used", "weak", "very low"),
    ("Its active compounds, mitragynine and 7-hydroxymitragynine", "supported", "moderate"),
    ("When consumed, kratom binds to specific receptors", "supported", "high"),
    ("This interaction provides a soothing effect", "weak", "moderate"),
    ("The plant’s ability to engage opioid pathways", "weak", "low"),
    ("Kratom, a herb native to Southeast Asia", "supported", "low"),
    ("Pronounced ‘kra-tom’, it offers a natural alternative", "weak", "moderate"),
    ("The plant contains compounds known as alkaloids", "supported", "high"),
    ("Studies suggest kratom can effectively reduce pain", "weak", "low"),
    ("Kratom’s effects can vary significantly", "supported", "high"),
    ("Additionally, the quality and purity of kratom products", "supported", "low"),
    ("It’s important to note that the appropriate dose", "weak", "very low"),
    ("Starting low—typically 1-3 grams", "weak", "very low"),
    ("Remember that consistency is key", "contradicted", "low"),
    ("Additionally, familiarize yourself with local laws", "weak", "moderate"),
    ("Kratom has emerged as a potential natural solution", "weak", "moderate"),
]


def test_every_checkworthy_seed_statement_gets_the_status_its_evidence_gives():
    article = Article.objects.get(slug="kratom-for-chronic-pain")
    report = build_report(article, Claim.objects.for_review().filter(article=article))
    checkworthy = [s for s in report.statements if s.claim.checkworthy]
    assert len(checkworthy) == len(EXPECTED)
    for statement, (opening, status, certainty) in zip(checkworthy, EXPECTED, strict=True):
        assert statement.claim.text.startswith(opening)
        assert (statement.status.value, statement.assessment.certainty) == (status, certainty), opening
    assert {s.status.value for s in report.statements if not s.claim.checkworthy} == {"not_checkable"}


def test_the_safer_than_opioids_claim_explains_why_it_is_only_weak():
    article = Article.objects.get(slug="kratom-for-chronic-pain")
    claim = Claim.objects.for_review().get(article=article, text__startswith="The plant’s ability to engage")
    (statement,) = build_report(article, [claim]).statements
    assert statement.assessment.reasons[:3] == (
        "Supported by 1 narrative review; partially by 1 systematic review / meta-analysis, 3 animal studies and "
        "1 narrative review; contradicted by 2 cross-sectional surveys (n=129 and 129).",
        "Only partial support: no source fully supports what the claim says.",
        "Certainty low: best evidence systematic review / meta-analysis (high), down one for partial support, "
        "down one for contradiction.",
    )
