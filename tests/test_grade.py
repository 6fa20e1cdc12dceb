"""Every row of the GRADE decision table in docs/flagging.md, on plain data: no database, no HTTP.

The studies are synthetic: labels like `TrialA` name no real paper."""

import pytest

from evidence.grade import Domain, Judgment, Override, Study, Upgrade, rate

RCT = "randomised-controlled-trial"
SURVEY = "cross-sectional-survey"


def trial(label="TrialA", n=500, **fields):
    return Study(label, "supports", RCT, "humans", n, "participants", **fields)


def survey(label="SurveyA", n=500, **fields):
    return Study(label, "supports", SURVEY, "humans", n, "participants", **fields)


def animal(label="MiceA", **fields):
    return Study(label, "supports", "animal-study", "animals", 40, "mice", **fields)


def judged(domain, *deciding, opposing=(), category="efficacy", about_people=True, compounds=()):
    rating = rate(category, about_people, list(deciding), list(opposing), compounds)
    return rating.domain(domain)


# Start level.
@pytest.mark.parametrize(
    ("category", "study", "start"),
    [
        ("efficacy", trial(), 3),  # S1 randomised
        ("mechanism", Study("CellsA", "supports", "in-vitro", "in-vitro"), 3),  # S2 experiment
        ("efficacy", animal(), 3),  # S2, then rated down for indirectness
        ("legal", Study("LawA", "supports", "regulatory", "none"), 3),  # S3 the legal record itself
        ("efficacy", Study("ReportA", "supports", "regulatory", "none"), 1),  # S4 otherwise
        ("efficacy", survey(), 1),  # S4 observational
    ],
)
def test_the_body_starts_high_for_randomised_or_experimental_evidence_and_low_otherwise(category, study, start):
    assert rate(category, True, [study]).start == start


def test_a_systematic_review_starts_low_and_says_what_is_not_recorded():
    rating = rate("efficacy", True, [Study("ReviewA", "supports", "systematic-review", "humans")])
    assert rating.start_reason == "starts low: observational evidence only (what ReviewA pools is not recorded)"


def test_for_a_claim_about_people_studies_in_people_set_the_start_when_there_are_any():  # S2
    assert rate("efficacy", True, [survey(), animal()]).start == 1
    assert rate("mechanism", False, [survey(), animal()]).start == 3


def test_one_randomised_study_among_observational_ones_starts_the_body_high():
    rating = rate("efficacy", True, [survey(), trial()])
    assert (rating.start, rating.start_reason) == (3, "starts high: TrialA is randomised or experimental")


# Risk of bias, rows R1–R6.
@pytest.mark.parametrize(
    ("judgments", "expected"),
    [
        (["", ""], Judgment.NOT_ASSESSED),  # R1
        (["low", "critical"], Judgment.VERY_SERIOUS),  # R2
        (["low", "high", ""], Judgment.VERY_SERIOUS),  # R3: high in half of those assessed
        (["low", "low", "high"], Judgment.SERIOUS),  # R4
        (["low", "some-concerns"], Judgment.SERIOUS),  # R5
        (["low", "low", "some-concerns"], Judgment.NOT_SERIOUS),  # R6
    ],
)
def test_risk_of_bias_is_judged_from_the_recorded_assessments(judgments, expected):
    studies = [trial(f"Trial{i}", risk_of_bias=j) for i, j in enumerate(judgments)]
    assert judged(Domain.RISK_OF_BIAS, *studies).computed is expected


def test_risk_of_bias_reasons_say_what_was_not_assessed():
    assert judged(Domain.RISK_OF_BIAS, trial()).reason == "No risk-of-bias assessment recorded for the deciding study."
    rating = judged(Domain.RISK_OF_BIAS, trial("TrialA", risk_of_bias="high"), trial("TrialB"), trial("TrialC"))
    assert rating.reason == "High risk in TrialA (1 of 3 assessed; 2 studies not assessed)."


# Inconsistency, rows I1–I4.
def test_one_study_cannot_be_inconsistent():  # I1
    rating = judged(Domain.INCONSISTENCY, trial())
    assert (rating.computed, rating.reason) == (Judgment.NOT_SERIOUS, "One study: consistency cannot be judged.")


def test_studies_pointing_the_same_way_are_consistent():  # I2
    assert judged(Domain.INCONSISTENCY, trial(), survey()).computed is Judgment.NOT_SERIOUS


def test_a_minority_pointing_the_other_way_is_serious_inconsistency():  # I3
    against = Study("SurveyB", "contradicts", SURVEY, "humans", 129)
    rating = judged(Domain.INCONSISTENCY, trial(), survey(), opposing=[against])
    assert (rating.computed, rating.reason) == (
        Judgment.SERIOUS,
        "1 of 3 counted studies point the other way: SurveyB.",
    )


def test_as_many_against_as_for_is_very_serious_inconsistency():  # I4
    against = [Study("SurveyB", "contradicts", SURVEY, "humans"), Study("SurveyC", "contradicts", SURVEY, "humans")]
    assert judged(Domain.INCONSISTENCY, trial(), survey(), opposing=against).computed is Judgment.VERY_SERIOUS


# Indirectness, rows D1–D4.
def test_one_direct_study_makes_indirectness_not_serious():  # D1
    rating = judged(Domain.INDIRECTNESS, trial(), animal())
    assert (rating.computed, rating.reason) == (Judgment.NOT_SERIOUS, "Direct evidence from TrialA.")


def test_only_animal_evidence_for_a_claim_about_people_is_very_serious():  # D2
    rating = judged(Domain.INDIRECTNESS, animal())
    assert rating.computed is Judgment.VERY_SERIOUS
    assert "MiceA: population (animals)" in rating.reason


def test_animal_evidence_for_a_mechanism_claim_is_direct():
    assert judged(Domain.INDIRECTNESS, animal(), category="mechanism", about_people=False).computed is (
        Judgment.NOT_SERIOUS
    )


def test_every_study_indirect_on_two_counts_is_very_serious():  # D3
    partial_other_compound = Study("TrialB", "partially-supports", RCT, "humans", 26, compounds=frozenset({"x-ol"}))
    review = Study("ReviewA", "partially-supports", "narrative-review", "none", direct_design=False)
    rating = judged(Domain.INDIRECTNESS, partial_other_compound, review, compounds={"kratom"})
    assert rating.computed is Judgment.VERY_SERIOUS
    assert rating.reason == (
        "No deciding study is direct, each on two counts or not in people: "
        "TrialB: intervention (x-ol, not kratom), outcome (shows only part of what the claim says); "
        "ReviewA: design (bears on this kind of claim only indirectly), outcome (shows only part of what the claim "
        "says)."
    )


def test_a_partial_trial_and_animal_support_are_serious_indirectness():  # D4
    partial = Study("TrialB", "partially-supports", RCT, "humans", 26)
    rating = judged(Domain.INDIRECTNESS, partial, animal())
    assert rating.computed is Judgment.SERIOUS
    assert rating.reason == (
        "No deciding study is direct: TrialB: outcome (shows only part of what the claim says); "
        "MiceA: population (animals)."
    )


def test_a_study_of_a_compound_the_claim_names_is_direct_for_it():
    study = trial(compounds=frozenset({"kratom", "mitragynine"}))
    assert judged(Domain.INDIRECTNESS, study, compounds={"kratom"}).computed is Judgment.NOT_SERIOUS


# Imprecision, rows P1–P4, against the optimal information size of 400.
def test_imprecision_is_not_assessed_for_claims_not_about_people():  # P1
    rating = judged(Domain.IMPRECISION, animal(), category="mechanism", about_people=False)
    assert rating.computed is Judgment.NOT_ASSESSED


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([250, 150], Judgment.NOT_SERIOUS),  # P2: 400 in all
        ([300, 99], Judgment.SERIOUS),  # P3
        ([100], Judgment.SERIOUS),  # P3
        ([26, 73], Judgment.VERY_SERIOUS),  # P4: 99
        ([None], Judgment.VERY_SERIOUS),  # P4: nothing recorded counts as none
    ],
)
def test_imprecision_counts_the_deciding_studies_participants(sizes, expected):
    studies = [survey(f"Survey{i}", n) for i, n in enumerate(sizes)]
    assert judged(Domain.IMPRECISION, *studies).computed is expected


def test_imprecision_counts_people_only():
    products = Study("LabA", "supports", "product-analysis", "humans", 900, "products")
    rating = judged(Domain.IMPRECISION, trial(n=26), products, animal())
    assert (rating.computed, rating.reason) == (
        Judgment.VERY_SERIOUS,
        "26 participants in TrialA, fewer than 100, against an optimal information size of 400.",
    )


def test_imprecision_names_the_studies_whose_n_is_missing():
    rating = judged(Domain.IMPRECISION, survey("SurveyA", 150), survey("SurveyB", None))
    assert rating.reason == (
        "150 participants in SurveyA (n not recorded for SurveyB, counted as none), "
        "against an optimal information size of 400."
    )


# Publication bias, rows B1–B4.
def test_industry_funding_and_few_small_studies_are_very_serious():  # B1
    rating = judged(Domain.PUBLICATION_BIAS, trial(n=26, industry=True))
    assert rating.computed is Judgment.VERY_SERIOUS
    assert rating.reason == (
        "Suspected: industry funding or conflicts declared in TrialA; the human evidence is 1 small study (TrialA) "
        "(funding and conflicts recorded for 1 of 1)."
    )


@pytest.mark.parametrize(
    "studies",
    [
        [trial(n=26)],  # few small studies, funding not recorded
        [trial(n=500, industry=True)],  # industry funding, a large study
    ],
)
def test_either_concern_is_serious_publication_bias(studies):  # B2
    assert judged(Domain.PUBLICATION_BIAS, *studies).computed is Judgment.SERIOUS


def test_publication_bias_without_funding_records_is_not_assessed():  # B3
    rating = judged(Domain.PUBLICATION_BIAS, trial(), survey())
    assert rating.computed is Judgment.NOT_ASSESSED
    assert rating.reason == (
        "Funding and conflicts of interest not recorded for any of the 2 deciding studies; not few small studies."
    )


def test_declared_no_industry_and_enough_studies_is_not_serious():  # B4
    studies = [trial(industry=False), survey(n=80), survey("SurveyB", n=60)]
    assert judged(Domain.PUBLICATION_BIAS, *studies).computed is Judgment.NOT_SERIOUS


# Overrides, upgrades and the certainty.
def test_an_override_replaces_the_judgment_and_keeps_the_computed_one_visible():
    override = Override(Judgment.NOT_SERIOUS, "Synthetic: the outcome is the clinical one.")
    rating = rate(
        "efficacy",
        True,
        [Study("TrialB", "partially-supports", RCT, "humans", 500)],
        (),
        (),
        {Domain.INDIRECTNESS: override},
    )
    indirectness = rating.domain(Domain.INDIRECTNESS)
    assert (indirectness.computed, indirectness.judgment) == (Judgment.SERIOUS, Judgment.NOT_SERIOUS)
    assert indirectness.footnote == (
        "Indirectness: not serious, set by a curator: Synthetic: the outcome is the clinical one. "
        "(computed: serious. No deciding study is direct: TrialB: outcome (shows only part of what the claim says).)"
    )
    assert rating.certainty == "high"


@pytest.mark.parametrize(
    ("kinds", "certainty"),
    [
        (["large-effect"], "moderate"),
        (["very-large-effect"], "high"),
        (["large-effect", "dose-response"], "high"),
        (["very-large-effect", "dose-response"], "high"),  # clamped at high
    ],
)
def test_upgrades_raise_observational_evidence(kinds, certainty):
    studies = [survey(n=500, industry=False), survey("SurveyB", n=500, industry=False)]
    rating = rate("efficacy", True, studies, upgrades=[Upgrade(kind, "Synthetic reason.") for kind in kinds])
    assert rating.certainty == certainty


def test_randomised_evidence_is_not_rated_up():
    rating = rate("efficacy", True, [trial(n=26)], upgrades=[Upgrade("large-effect", "Synthetic reason.")])
    assert rating.upgrades[0][1] == 0
    assert rating.certainty == "very low"  # high, imprecision very serious (−2), publication bias serious (−1)


def test_certainty_is_start_less_downgrades_plus_upgrades_and_never_below_very_low():
    partial = Study("TrialB", "partially-supports", RCT, "humans", 26)
    against = [Study("SurveyB", "contradicts", SURVEY, "humans"), Study("SurveyC", "contradicts", SURVEY, "humans")]
    rating = rate("efficacy", True, [partial, animal()], against)
    assert [d.judgment.steps for d in rating.domains] == [0, 2, 1, 2, 1]
    assert (rating.level, rating.certainty, rating.symbols) == (0, "very low", "⊕◯◯◯")


def test_the_reason_names_the_start_each_downgrade_and_what_was_not_assessed():
    rating = rate("efficacy", True, [Study("TrialB", "partially-supports", RCT, "humans", 26), animal()])
    assert rating.reason == (
        "Certainty very low (⊕◯◯◯): starts high: TrialB is randomised or experimental; "
        "indirectness serious (−1); imprecision very serious (−2); publication bias serious (−1); "
        "risk of bias not assessed."
    )
    assert [d.domain for d in rating.downgrades] == [Domain.INDIRECTNESS, Domain.IMPRECISION, Domain.PUBLICATION_BIAS]


def test_well_powered_consistent_direct_trials_stay_high():
    studies = [trial(n=300, risk_of_bias="low", industry=False), trial("TrialB", n=300, risk_of_bias="low")]
    rating = rate("efficacy", True, studies)
    assert (rating.certainty, rating.symbols, rating.downgrades) == ("high", "⊕⊕⊕⊕", [])


def test_a_body_without_deciding_studies_is_refused():
    with pytest.raises(ValueError, match="at least one deciding study"):
        rate("efficacy", True, [])
