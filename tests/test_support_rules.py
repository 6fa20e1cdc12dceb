"""Every row of the decision table in docs/flagging.md, on plain data: no database, no HTTP."""

import pytest

from evidence.grade import Domain, Judgment, Override, Upgrade
from evidence.support import Grading, Link, Status, assess, summarise, weigh

RCT = "randomised-controlled-trial"
SURVEY = "cross-sectional-survey"
REVIEW = "systematic-review"


def status_of(category, *links, checkworthy=True):
    return assess(category, checkworthy, list(links)).status


# Row 1: not checkworthy, whatever the evidence.
def test_a_claim_marked_not_checkworthy_is_not_checkable():
    result = assess("other", False, [Link("supports", RCT, "humans")])
    assert result.status is Status.NOT_CHECKABLE
    assert result.certainty is None
    assert result.reasons == ("Marked not checkworthy: no evidence can check it.",)


# Row 2: nothing that supports or contradicts.
@pytest.mark.parametrize("links", [[], [Link("mentions", RCT, "humans"), Link("mentions", "in-vitro", "in-vitro")]])
def test_no_support_or_contradiction_is_unsupported(links):
    result = assess("efficacy", True, links)
    assert result.status is Status.UNSUPPORTED
    assert result.certainty is None
    assert result.reasons[0] == "Supported by none; contradicted by none."


# Row 3: contradiction and no support.
def test_contradiction_without_support_is_contradicted():
    result = assess("dosage", True, [Link("contradicts", SURVEY, "humans", 129), Link("mentions", RCT, "humans")])
    assert result.status is Status.CONTRADICTED
    assert result.certainty == "very low"  # observational (low), 129 participants: imprecision serious
    assert [s.stance for s in result.deciding] == ["contradicts"] and result.opposing == ()
    assert result.reasons[0] == "Supported by none; contradicted by 1 cross-sectional survey (n=129)."
    assert "1 source only mentions it." in result.reasons


# Row 4: support and contradiction of comparable strength.
def test_contradiction_as_strong_as_the_support_is_contested():
    result = assess("efficacy", True, [Link("supports", SURVEY, "humans"), Link("contradicts", SURVEY, "humans")])
    assert result.status is Status.CONTESTED
    assert result.reasons[1] == "The best contradiction (low) is as strong as the best support (low)."
    assert result.certainty == "very low"  # low, inconsistency very serious


def test_a_stronger_contradiction_than_the_support_is_contested_not_supported():
    links = [Link("supports", SURVEY, "humans"), Link("contradicts", RCT, "humans", 40)]
    assert status_of("efficacy", *links) is Status.CONTESTED


# Row 5: support only partial.
def test_only_partial_support_is_weak():
    result = assess("efficacy", True, [Link("partially-supports", RCT, "humans", 26)])
    assert result.status is Status.WEAK
    assert result.reasons[1] == "Only partial support: no source fully supports what the claim says."
    # high; indirectness (outcome) −1, imprecision (26 participants) −2, publication bias (one small study) −1
    assert result.certainty == "very low"


def test_full_but_indirect_support_beside_partial_direct_support_is_weak_and_says_so():
    links = [Link("supports", "narrative-review", "none"), Link("partially-supports", RCT, "humans", 26)]
    result = assess("efficacy", True, links)
    assert result.status is Status.WEAK
    assert result.reasons[1] == (
        "No source supports it both fully and directly: the full support, from 1 narrative review, is indirect, "
        "and the direct support only partial."
    )


# Row 6: support only indirect for what the claim says.
@pytest.mark.parametrize("design", ["animal-study", "in-vitro", "case-report", "narrative-review", "regulatory"])
@pytest.mark.parametrize("category", ["efficacy", "safety", "dosage", "dependence"])
def test_claims_about_people_backed_only_by_indirect_designs_are_weak(category, design):
    result = assess(category, True, [Link("supports", design)])
    assert result.status is Status.WEAK
    assert result.reasons[1].startswith("Only indirect support for a claim about people:")


def test_a_human_design_of_animals_is_still_indirect_for_people():
    assert status_of("efficacy", Link("supports", REVIEW, "animals")) is Status.WEAK
    assert status_of("efficacy", Link("supports", REVIEW, "none")) is Status.SUPPORTED


def test_retracted_sources_never_count():
    result = assess("efficacy", True, [Link("supports", RCT, "humans", 26, retracted=True)])
    assert result.status is Status.UNSUPPORTED
    assert "1 retracted source not counted." in result.reasons
    retracted_contradiction = [Link("supports", SURVEY, "humans"), Link("contradicts", RCT, "humans", retracted=True)]
    assert status_of("efficacy", *retracted_contradiction) is Status.SUPPORTED


# Row 7: direct support and no contradiction of equal or stronger design.
def test_direct_support_is_supported_with_reasons_in_words():
    links = [
        Link("supports", RCT, "humans", 26),
        Link("supports", SURVEY, "humans", 2798),
        Link("supports", SURVEY, "humans", 129),
    ]
    result = assess("efficacy", True, links, note="trial in healthy regular users, not chronic-pain patients")
    assert result.status is Status.SUPPORTED
    assert result.certainty == "high"
    assert result.reasons == (
        "Supported by 1 randomised controlled trial (n=26) and 2 cross-sectional surveys (n=2,798 and 129); "
        "contradicted by none.",
        "Direct support from 1 randomised controlled trial (n=26) and 2 cross-sectional surveys (n=2,798 and 129).",
        "Certainty high (⊕⊕⊕⊕): starts high: randomised controlled trial is randomised or experimental; "
        "risk of bias and publication bias not assessed.",
        "Note: trial in healthy regular users, not chronic-pain patients",
    )


def test_a_weaker_contradiction_leaves_support_standing_but_lowers_certainty():
    links = [Link("supports", RCT, "humans"), Link("contradicts", "case-report", "humans", 1)]
    result = assess("safety", True, links)
    assert result.status is Status.SUPPORTED
    assert result.reasons[1].endswith("and every contradiction is weaker.")
    # high; inconsistency (one against one) −2, imprecision (no participants recorded) −2
    assert result.certainty == "very low"
    assert "Inconsistency: very serious (−2). 1 of 2 counted studies point the other way: case report." in (
        result.reasons
    )


@pytest.mark.parametrize(
    ("category", "design", "expected"),
    [
        ("mechanism", "in-vitro", Status.SUPPORTED),  # receptor pharmacology is direct for mechanism
        ("mechanism", "animal-study", Status.SUPPORTED),
        ("mechanism", SURVEY, Status.WEAK),  # a survey cannot show a mechanism
        ("product-quality", "product-analysis", Status.SUPPORTED),
        ("product-quality", SURVEY, Status.WEAK),
        ("legal", "regulatory", Status.SUPPORTED),
        ("legal", "narrative-review", Status.WEAK),
        ("traditional-use", "narrative-review", Status.SUPPORTED),
        ("traditional-use", "in-vitro", Status.WEAK),
        ("other", "narrative-review", Status.SUPPORTED),
        ("efficacy", "", Status.WEAK),  # a source of unrecorded design is never direct for people
    ],
)
def test_what_is_direct_depends_on_the_kind_of_claim(category, design, expected):
    assert status_of(category, Link("supports", design)) is expected


@pytest.mark.parametrize(
    ("link", "category", "certainty"),
    [
        (Link("supports", "regulatory", "none", key="LawA"), "legal", "high"),  # the legal record itself
        (Link("supports", "in-vitro", "in-vitro", key="CellsA"), "mechanism", "high"),  # direct experiment
        (Link("supports", SURVEY, "humans", 500, key="SurveyA"), "efficacy", "low"),  # observational, precise
        (Link("supports", RCT, "humans", 500, key="TrialA"), "traditional-use", "moderate"),  # design indirect
        (Link("partially-supports", "animal-study", "animals", key="MiceA"), "efficacy", "very low"),
    ],
)
def test_the_certainty_is_grades_rating_of_the_deciding_studies(link, category, certainty):
    result = assess(category, True, [link])
    assert result.certainty == result.rating.certainty == certainty
    assert result.reasons[2] == result.rating.reason
    assert [study.label for study in result.deciding] == [link.key]


def test_a_curators_grading_reaches_the_rating():
    link = Link("supports", SURVEY, "humans", 500, key="SurveyA")
    override = Override(Judgment.SERIOUS, "Synthetic: the respondents were recruited by a vendor.")
    grading = Grading(overrides={Domain.RISK_OF_BIAS: override}, upgrades=(Upgrade("dose-response", "Synthetic."),))
    result = assess("efficacy", True, [link], grading=grading)
    assert result.certainty == "low"  # low, risk of bias −1, dose–response +1
    assert result.rating.domain(Domain.RISK_OF_BIAS).computed is Judgment.NOT_ASSESSED
    assert (
        "Risk of bias: serious (−1), set by a curator: Synthetic: the respondents were recruited by a vendor."
        in (result.reasons[3])
    )


def test_weighing_is_by_design_level_less_indirectness_and_partiality():
    assert weigh("efficacy", Link("supports", RCT, "humans")).strength == 3
    assert weigh("efficacy", Link("partially-supports", RCT, "humans")).strength == 2
    assert weigh("traditional-use", Link("partially-supports", RCT, "humans")).strength == 1


def test_summary_counts_every_status():
    assert summarise([Status.WEAK, Status.WEAK, Status.SUPPORTED]) == {
        "supported": 1,
        "weak": 2,
        "contested": 0,
        "contradicted": 0,
        "unsupported": 0,
        "not_checkable": 0,
        "mixed": 0,
    }


def test_the_narrative_leaves_out_the_domain_lines_a_page_lists_beside_it():
    result = assess("efficacy", True, [Link("partially-supports", RCT, "humans", 26, key="TrialA")])
    footnotes = [d.footnote for d in result.rating.downgrades]
    assert len(footnotes) == 3 and all(f in result.reasons for f in footnotes)
    assert result.narrative == tuple(r for r in result.reasons if r not in footnotes)
    assert result.narrative[2].startswith("Certainty very low")
