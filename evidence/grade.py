"""GRADE certainty of the evidence for one claim: the deciding studies in, a rating out.

Pure functions over plain data, no database and no HTTP. The caller (evidence/support.py) picks the
deciding studies (the supports of a claim that stands, the contradictions of one that does not) and
says for each whether its design bears directly on the claim's category; this module starts the body of
evidence at its design's level, judges the five GRADE domains with a reason in words each, applies a
curator's overrides and upgrades, and returns the certainty. docs/flagging.md ("GRADE certainty")
documents every rule and tests/test_grade.py has a test for every row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from .vocabularies import GradeDomain as Domain
from .vocabularies import Population, RiskOfBiasJudgment, Stance, UpgradeKind
from .vocabularies import StudyDesign as Design
from .wording import count, join_words

CERTAINTY = ("very low", "low", "moderate", "high")
HIGH, LOW = 3, 1

# The optimal information size: the participants a single adequately powered two-arm trial would need
# to detect a small-to-moderate standardised difference, d = 0.28, at two-sided alpha 0.05 and 80 %
# power: n per arm = 2 (1.96 + 0.84)^2 / 0.28^2 = 200, so 400 in all (GRADE's rule of thumb for
# continuous outcomes). Under a quarter of it, fewer than 100 participants, is very serious.
OPTIMAL_INFORMATION_SIZE = 400
VERY_SMALL = 100
# "Few small studies" (publication bias): at most this many human studies, each under VERY_SMALL.
FEW_STUDIES = 2

# GRADE starts randomised evidence at high; a controlled experiment on animals or cells is likewise
# randomised or investigator-allocated (GRADE for preclinical evidence), and a regulator's own document
# is the primary record for a legal claim. Everything else is observational and starts low.
EXPERIMENTAL = frozenset({Design.RCT, Design.ANIMAL_STUDY, Design.IN_VITRO})
LEGAL_RECORD = ("legal", Design.REGULATORY)
NON_HUMAN = frozenset({Population.ANIMALS, Population.IN_VITRO})


class Judgment(StrEnum):
    NOT_SERIOUS = "not serious"
    SERIOUS = "serious"
    VERY_SERIOUS = "very serious"
    # The data to judge the domain is missing (no risk-of-bias record, no funding recorded): shown as
    # such, never passed off as "not serious", and it rates nothing down.
    NOT_ASSESSED = "not assessed"

    @property
    def steps(self) -> int:
        return {Judgment.SERIOUS: 1, Judgment.VERY_SERIOUS: 2}.get(self, 0)


UPGRADE_STEPS = {UpgradeKind.LARGE_EFFECT: 1, UpgradeKind.VERY_LARGE_EFFECT: 2, UpgradeKind.DOSE_RESPONSE: 1}


@dataclass(frozen=True)
class Study:
    """One counted evidence link as GRADE sees it."""

    label: str  # the source's citation key, named in the reasons
    stance: str
    design: str = ""
    population: str = ""
    sample_size: int | None = None
    sample_size_unit: str = ""
    direct_design: bool = True  # the caller's judgment: does this design bear directly on the claim's category?
    compounds: frozenset[str] = frozenset()
    risk_of_bias: str = ""  # a RiskOfBiasJudgment value, "" when not assessed
    industry: bool | None = None  # industry funding or conflicts declared; None when not recorded

    @property
    def counts_people(self) -> bool:
        """Its n counts people: a human study whose n is not products analysed."""
        return self.population == Population.HUMANS and "product" not in self.sample_size_unit.lower()


@dataclass(frozen=True)
class Override:
    judgment: Judgment
    reason: str


@dataclass(frozen=True)
class Upgrade:
    kind: str  # an UpgradeKind value
    reason: str


@dataclass(frozen=True)
class DomainRating:
    domain: Domain
    computed: Judgment
    reason: str
    override: Override | None = None

    @property
    def judgment(self) -> Judgment:
        return self.override.judgment if self.override else self.computed

    @property
    def footnote(self) -> str:
        """`Indirectness: serious (−1). No deciding study is direct: …`, with the override beside the computed."""
        text = f"{_sentence(self.domain.label)}: {self.judgment}"
        text += f" (−{self.judgment.steps})" if self.judgment.steps else ""
        if self.override:
            return f"{text}, set by a curator: {self.override.reason} (computed: {self.computed}. {self.reason})"
        return f"{text}. {self.reason}"


@dataclass(frozen=True)
class Rating:
    start: int
    start_reason: str
    domains: tuple[DomainRating, ...]
    upgrades: tuple[tuple[Upgrade, int], ...] = field(default=())  # each with the steps it gave

    @property
    def level(self) -> int:
        down = sum(d.judgment.steps for d in self.domains)
        up = sum(steps for _, steps in self.upgrades)
        return min(HIGH, max(0, self.start - down + up))

    @property
    def certainty(self) -> str:
        return CERTAINTY[self.level]

    @property
    def symbols(self) -> str:
        """GRADE's ⊕⊕◯◯ for low."""
        return "⊕" * (self.level + 1) + "◯" * (HIGH - self.level)

    @property
    def downgrades(self) -> list[DomainRating]:
        return [d for d in self.domains if d.judgment.steps]

    def domain(self, domain: Domain) -> DomainRating:
        return next(d for d in self.domains if d.domain == domain)

    @property
    def reason(self) -> str:
        """`Certainty very low (⊕◯◯◯): starts high (…); indirectness serious (−1); imprecision very serious (−2).`"""
        steps = [self.start_reason]
        steps += [f"{d.domain.label} {d.judgment} (−{d.judgment.steps})" for d in self.downgrades]
        steps += [f"{UpgradeKind(u.kind).label} (+{n})" for u, n in self.upgrades if n]
        unassessed = [d.domain.label for d in self.domains if d.judgment is Judgment.NOT_ASSESSED]
        if unassessed:
            steps.append(f"{join_words(unassessed)} not assessed")
        return f"Certainty {self.certainty} ({self.symbols}): {'; '.join(steps)}."


def rate(
    category: str,
    about_people: bool,
    deciding: Sequence[Study],
    opposing: Sequence[Study] = (),
    claim_compounds: Iterable[str] = (),
    overrides: Mapping[Domain, Override] | None = None,
    upgrades: Sequence[Upgrade] = (),
) -> Rating:
    """The certainty of the deciding studies' verdict on a claim (at least one deciding study)."""
    if not deciding:
        raise ValueError("GRADE rates a body of evidence: at least one deciding study is needed.")
    overrides = overrides or {}
    start, start_reason = start_level(category, about_people, deciding)
    judged = [
        (Domain.RISK_OF_BIAS, risk_of_bias(deciding)),
        (Domain.INCONSISTENCY, inconsistency(deciding, opposing)),
        (Domain.INDIRECTNESS, indirectness(about_people, deciding, frozenset(claim_compounds))),
        (Domain.IMPRECISION, imprecision(category, about_people, deciding)),
        (Domain.PUBLICATION_BIAS, publication_bias(about_people, deciding)),
    ]
    domains = tuple(DomainRating(domain, j, reason, overrides.get(domain)) for domain, (j, reason) in judged)
    return Rating(start, start_reason, domains, tuple(_upgrades(start, upgrades)))


def start_of(category: str, study: Study) -> int:
    if (category, study.design) == LEGAL_RECORD or study.design in EXPERIMENTAL:
        return HIGH
    return LOW


def start_level(category: str, about_people: bool, deciding: Sequence[Study]) -> tuple[int, str]:
    """For a claim about people, the studies in people rate the body when there are any: an animal
    experiment beside human surveys does not make the body randomised."""
    in_people = [s for s in deciding if s.population not in NON_HUMAN]
    rated = in_people if about_people and in_people else deciding
    high = [s for s in rated if start_of(category, s) == HIGH]
    if high:
        return HIGH, f"starts high: {_labels(high)} {'is' if len(high) == 1 else 'are'} randomised or experimental"
    reviews = [s for s in rated if s.design == Design.SYSTEMATIC_REVIEW]
    pooled = f" (what {_labels(reviews)} pool{'s' if len(reviews) == 1 else ''} is not recorded)" if reviews else ""
    return LOW, f"starts low: observational evidence only{pooled}"


def risk_of_bias(deciding: Sequence[Study]) -> tuple[Judgment, str]:
    assessed = [s for s in deciding if s.risk_of_bias]
    unassessed = len(deciding) - len(assessed)
    if not assessed:
        return Judgment.NOT_ASSESSED, f"No risk-of-bias assessment recorded for {_of_studies(len(deciding))}."
    by = {j: [s for s in assessed if s.risk_of_bias == j] for j in RiskOfBiasJudgment}
    critical, high = by[RiskOfBiasJudgment.CRITICAL], by[RiskOfBiasJudgment.HIGH]
    concerns = by[RiskOfBiasJudgment.SOME_CONCERNS]
    if critical or 2 * len(high) >= len(assessed):
        judgment = Judgment.VERY_SERIOUS
        why = f"critical risk of bias in {_labels(critical)}" if critical else f"high risk in {_labels(high)}"
    elif high or 2 * len(concerns) >= len(assessed):
        judgment = Judgment.SERIOUS
        why = f"high risk in {_labels(high)}" if high else f"some concerns in {_labels(concerns)}"
    else:
        judgment, why = (
            Judgment.NOT_SERIOUS,
            f"{count(len(by[RiskOfBiasJudgment.LOW]), 'study', 'studies')} at low risk",
        )
    tail = f"; {count(unassessed, 'study', 'studies')} not assessed" if unassessed else ""
    return judgment, f"{_sentence(why)} ({len(assessed)} of {len(deciding)} assessed{tail})."


def inconsistency(deciding: Sequence[Study], opposing: Sequence[Study]) -> tuple[Judgment, str]:
    if not opposing:
        if len(deciding) == 1:
            return Judgment.NOT_SERIOUS, "One study: consistency cannot be judged."
        every = "Both" if len(deciding) == 2 else f"All {len(deciding)}"
        return Judgment.NOT_SERIOUS, f"{every} deciding studies point the same way."
    total = len(deciding) + len(opposing)
    judgment = Judgment.VERY_SERIOUS if len(opposing) >= len(deciding) else Judgment.SERIOUS
    return judgment, f"{len(opposing)} of {total} counted studies point the other way: {_labels(opposing)}."


def indirect_aspects(about_people: bool, study: Study, claim_compounds: frozenset[str]) -> list[str]:
    """What makes one study indirect evidence: population, design, intervention, outcome."""
    aspects = []
    if about_people and study.population in NON_HUMAN:
        aspects.append(f"population ({Population(study.population).label})")
    elif not study.direct_design:
        aspects.append("design (bears on this kind of claim only indirectly)")
    if study.compounds and claim_compounds and not study.compounds & claim_compounds:
        aspects.append(f"intervention ({', '.join(sorted(study.compounds))}, not {', '.join(sorted(claim_compounds))})")
    if study.stance == Stance.PARTIALLY_SUPPORTS:
        aspects.append("outcome (shows only part of what the claim says)")
    return aspects


def indirectness(
    about_people: bool, deciding: Sequence[Study], claim_compounds: frozenset[str]
) -> tuple[Judgment, str]:
    aspects = {s: indirect_aspects(about_people, s, claim_compounds) for s in deciding}
    direct = [s for s, found in aspects.items() if not found]
    if direct:
        return Judgment.NOT_SERIOUS, f"Direct evidence from {_labels(direct)}."
    listed = "; ".join(f"{s.label}: {', '.join(found)}" for s, found in aspects.items())
    non_human = about_people and all(s.population in NON_HUMAN for s in deciding)
    if non_human or all(len(found) >= 2 for found in aspects.values()):
        return Judgment.VERY_SERIOUS, f"No deciding study is direct, each on two counts or not in people: {listed}."
    return Judgment.SERIOUS, f"No deciding study is direct: {listed}."


def imprecision(category: str, about_people: bool, deciding: Sequence[Study]) -> tuple[Judgment, str]:
    if not about_people:
        return Judgment.NOT_ASSESSED, (
            f"Judged on participants for claims about people; a {category} claim's studies are not samples of "
            "people and their precision is not recorded."
        )
    people = [s for s in deciding if s.counts_people]
    known = [s for s in people if s.sample_size]
    total = sum(s.sample_size for s in known)
    basis = (
        f"{total:,} participants in {_labels(known)}" if known else "no recorded participants in the deciding studies"
    )
    missing = [s for s in people if not s.sample_size]
    basis += f" (n not recorded for {_labels(missing)}, counted as none)" if missing else ""
    against = f"against an optimal information size of {OPTIMAL_INFORMATION_SIZE}"
    if total >= OPTIMAL_INFORMATION_SIZE:
        return (
            Judgment.NOT_SERIOUS,
            f"{_sentence(basis)}, at least the optimal information size ({OPTIMAL_INFORMATION_SIZE}).",
        )
    if total >= VERY_SMALL:
        return Judgment.SERIOUS, f"{_sentence(basis)}, {against}."
    return Judgment.VERY_SERIOUS, f"{_sentence(basis)}, fewer than {VERY_SMALL}, {against}."


def publication_bias(about_people: bool, deciding: Sequence[Study]) -> tuple[Judgment, str]:
    industry = [s for s in deciding if s.industry]
    recorded = [s for s in deciding if s.industry is not None]
    people = [s for s in deciding if s.counts_people]
    few_small = (
        about_people
        and 0 < len(people) <= FEW_STUDIES
        and all(s.sample_size and s.sample_size < VERY_SMALL for s in people)
    )
    concerns = []
    if industry:
        concerns.append(f"industry funding or conflicts declared in {_labels(industry)}")
    if few_small:
        concerns.append(
            f"the human evidence is {count(len(people), 'small study', 'small studies')} ({_labels(people)})"
        )
    funding = f"funding and conflicts recorded for {len(recorded)} of {len(deciding)}"
    if concerns:
        judgment = Judgment.VERY_SERIOUS if len(concerns) == 2 else Judgment.SERIOUS
        return judgment, f"Suspected: {'; '.join(concerns)} ({funding})."
    if not recorded:
        return Judgment.NOT_ASSESSED, (
            f"Funding and conflicts of interest not recorded for {_of_studies(len(deciding))}; not few small studies."
        )
    return Judgment.NOT_SERIOUS, f"No industry funding or conflicts declared ({funding}); not few small studies."


def _upgrades(start: int, upgrades: Sequence[Upgrade]) -> list[tuple[Upgrade, int]]:
    """GRADE rates up observational evidence only: on a body that starts high an upgrade is shown, not applied."""
    return [(u, UPGRADE_STEPS[UpgradeKind(u.kind)] if start == LOW else 0) for u in upgrades]


def _labels(studies: Iterable[Study]) -> str:
    labels = [s.label for s in studies]
    return join_words(labels) if labels else "none"


def _of_studies(number: int) -> str:
    return "the deciding study" if number == 1 else f"any of the {number} deciding studies"


def _sentence(text: str) -> str:
    """The first letter in capitals, the rest (citation keys) as written."""
    return text[:1].upper() + text[1:]
