"""Claim support: evidence links in, status + certainty + reasons out.

Pure functions over plain data, no database and no HTTP: the decision table in docs/flagging.md is
this module, row for row, and the certainty is GRADE's, rated by evidence/grade.py from the studies that
decide the status. Nothing here knows any particular claim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .grade import CERTAINTY, Domain, Override, Rating, Study, Upgrade, rate
from .vocabularies import SUPPORTING_STANCES, Population, Stance
from .vocabularies import ClaimCategory as Category
from .vocabularies import StudyDesign as Design
from .wording import count, join_words


class Status(StrEnum):
    SUPPORTED = "supported"
    WEAK = "weak"
    CONTESTED = "contested"
    CONTRADICTED = "contradicted"
    UNSUPPORTED = "unsupported"
    NOT_CHECKABLE = "not_checkable"
    # A statement split into parts whose statuses differ (evidence/parts.py); the rules never give it.
    MIXED = "mixed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


FLAGGED = (Status.UNSUPPORTED, Status.CONTRADICTED, Status.CONTESTED, Status.WEAK)


# Where certainty starts for a design (GRADE-inspired: trials and their syntheses high, observational
# designs lower, case reports, narrative reviews and in vitro work very low).
DESIGN_LEVEL = {
    Design.SYSTEMATIC_REVIEW: 3,
    Design.RCT: 3,
    Design.NON_RANDOMISED_TRIAL: 2,
    Design.COHORT: 2,
    Design.CASE_CONTROL: 2,
    Design.CROSS_SECTIONAL_SURVEY: 1,
    Design.PHARMACOKINETIC: 1,
    Design.SURVEILLANCE: 1,
    Design.MORTALITY_SERIES: 1,
    Design.CASE_SERIES: 1,
    Design.PRODUCT_ANALYSIS: 1,
    Design.ANIMAL_STUDY: 1,
    Design.CASE_REPORT: 0,
    Design.NARRATIVE_REVIEW: 0,
    Design.IN_VITRO: 0,
    Design.REGULATORY: 0,
    Design.OTHER: 0,
}
# A law or a regulator's decision is itself the primary record for a legal claim.
CATEGORY_LEVEL = {(Category.LEGAL, Design.REGULATORY): 3}

HUMAN_STUDIES = frozenset(
    {
        Design.SYSTEMATIC_REVIEW,
        Design.RCT,
        Design.NON_RANDOMISED_TRIAL,
        Design.COHORT,
        Design.CASE_CONTROL,
        Design.CROSS_SECTIONAL_SURVEY,
        Design.PHARMACOKINETIC,
        Design.SURVEILLANCE,
        Design.MORTALITY_SERIES,
        Design.CASE_SERIES,
    }
)
# Which designs bear directly on each kind of claim; anything else supports it only indirectly.
DIRECT_DESIGNS = {
    Category.MECHANISM: frozenset(
        {
            Design.IN_VITRO,
            Design.ANIMAL_STUDY,
            Design.PHARMACOKINETIC,
            Design.RCT,
            Design.NON_RANDOMISED_TRIAL,
            Design.SYSTEMATIC_REVIEW,
        }
    ),
    Category.EFFICACY: HUMAN_STUDIES,
    Category.SAFETY: HUMAN_STUDIES,
    Category.DEPENDENCE: HUMAN_STUDIES,
    Category.DOSAGE: HUMAN_STUDIES,
    Category.PRODUCT_QUALITY: frozenset({Design.PRODUCT_ANALYSIS, Design.SYSTEMATIC_REVIEW, Design.SURVEILLANCE}),
    Category.LEGAL: frozenset({Design.REGULATORY}),
    Category.TRADITIONAL_USE: frozenset(
        {
            Design.CROSS_SECTIONAL_SURVEY,
            Design.COHORT,
            Design.CASE_SERIES,
            Design.SYSTEMATIC_REVIEW,
            Design.NARRATIVE_REVIEW,
        }
    ),
    Category.OTHER: frozenset(Design),
}
# Claims about what happens to people: a study of animals or cells is indirect whatever its design.
ABOUT_PEOPLE = frozenset(
    {Category.EFFICACY, Category.SAFETY, Category.DEPENDENCE, Category.DOSAGE, Category.TRADITIONAL_USE}
)
NON_HUMAN = frozenset({Population.ANIMALS, Population.IN_VITRO})

# Every design's name for the reasons, singular and plural, and a name for a source whose design is not recorded.
DESIGN_NAMES = {design: (design.label, design.plural) for design in Design} | {
    "": ("source of unrecorded design", "sources of unrecorded design")
}


@dataclass(frozen=True)
class Link:
    """One evidence link, as the rules see it."""

    stance: str
    design: str = ""
    population: str = ""
    sample_size: int | None = None
    retracted: bool = False
    # What GRADE reads besides: the source's key (named in reasons), what its n counts, the compounds it
    # studied, its risk-of-bias judgment ("" not assessed) and declared industry involvement (None: not recorded).
    key: str = ""
    sample_size_unit: str = ""
    compounds: frozenset[str] = frozenset()
    risk_of_bias: str = ""
    industry: bool | None = None


@dataclass(frozen=True)
class Grading:
    """What GRADE reads of the claim itself: the compounds it names, a curator's overrides and upgrades."""

    compounds: frozenset[str] = frozenset()
    overrides: Mapping[Domain, Override] = field(default_factory=dict)
    upgrades: tuple[Upgrade, ...] = ()


UNGRADED = Grading()


@dataclass(frozen=True)
class Assessment:
    status: Status
    certainty: str | None
    reasons: tuple[str, ...]
    rating: Rating | None = None  # GRADE's, for every status that has a deciding side
    deciding: tuple[Study, ...] = ()  # the studies that decide the status, as GRADE rated them
    opposing: tuple[Study, ...] = ()  # the counted studies of the other side

    @property
    def narrative(self) -> tuple[str, ...]:
        """The reasons without the per-domain lines, for pages that list the five domains beside them."""
        footnotes = {domain.footnote for domain in self.rating.domains} if self.rating else set()
        return tuple(reason for reason in self.reasons if reason not in footnotes)


@dataclass(frozen=True)
class _Weighed:
    link: Link
    direct: bool
    level: int

    @property
    def full(self) -> bool:
        return self.link.stance in (Stance.SUPPORTS, Stance.CONTRADICTS)

    @property
    def strength(self) -> int:
        """What this one link could carry alone: its design's level, less indirectness and partiality."""
        return max(0, self.level - (not self.direct) - (not self.full))


def assess(
    category: str, checkworthy: bool, links: list[Link], note: str = "", grading: Grading = UNGRADED
) -> Assessment:
    if not checkworthy:
        return Assessment(Status.NOT_CHECKABLE, None, ("Marked not checkworthy: no evidence can check it.",))
    # By citation key: the reasons name studies in the same order whatever order the links were read in.
    counted = [weigh(category, link) for link in sorted(links, key=lambda link: link.key) if not link.retracted]
    supports = [w for w in counted if w.link.stance in SUPPORTING_STANCES]
    contradicts = [w for w in counted if w.link.stance == Stance.CONTRADICTS]
    status, rationale = _status(category, supports, contradicts)
    reasons = [_tally(supports, contradicts), rationale]
    if status is Status.UNSUPPORTED:
        return Assessment(status, None, tuple(reasons + _side_notes(links, note)))
    deciding, opposing = (contradicts, supports) if status is Status.CONTRADICTED else (supports, contradicts)
    deciding, opposing = tuple(map(_study, deciding)), tuple(map(_study, opposing))
    rating = rate(
        category, category in ABOUT_PEOPLE, deciding, opposing, grading.compounds, grading.overrides, grading.upgrades
    )
    reasons += [
        rating.reason,
        *(domain.footnote for domain in rating.domains if domain.judgment.steps or domain.override),
    ]
    reasons += _side_notes(links, note)
    return Assessment(status, rating.certainty, tuple(reasons), rating, deciding, opposing)


def _study(weighed: _Weighed) -> Study:
    """A counted link as GRADE sees it: its design's directness for the claim is this module's judgment."""
    link = weighed.link
    return Study(
        link.key or _name(link.design),
        link.stance,
        link.design,
        link.population,
        link.sample_size,
        link.sample_size_unit,
        weighed.direct,
        link.compounds,
        link.risk_of_bias,
        link.industry,
    )


def weigh(category: str, link: Link) -> _Weighed:
    direct = link.design in DIRECT_DESIGNS.get(category, frozenset())
    if category in ABOUT_PEOPLE and link.population in NON_HUMAN:
        direct = False
    level = CATEGORY_LEVEL.get((category, link.design), DESIGN_LEVEL.get(link.design, 0))
    return _Weighed(link, direct, level)


def _status(category: str, supports: list[_Weighed], contradicts: list[_Weighed]) -> tuple[Status, str]:
    if not supports and not contradicts:
        return Status.UNSUPPORTED, "No source supports or contradicts it."
    if not supports:
        return Status.CONTRADICTED, "Contradicting evidence and no support."
    best_support = max(w.strength for w in supports)
    best_contradiction = max((w.strength for w in contradicts), default=-1)
    if best_contradiction >= best_support:
        return Status.CONTESTED, (
            f"The best contradiction ({CERTAINTY[best_contradiction]}) is as strong as the best support "
            f"({CERTAINTY[best_support]})."
        )
    direct_full = [w for w in supports if w.direct and w.full]
    if direct_full:
        designs = _phrase(w.link for w in direct_full)
        weaker = " and every contradiction is weaker" if contradicts else ""
        return Status.SUPPORTED, f"Direct support from {designs}{weaker}."
    if any(w.direct for w in supports):
        indirect_full = [w.link for w in supports if w.full]
        if indirect_full:
            return Status.WEAK, (
                f"No source supports it both fully and directly: the full support, from {_phrase(indirect_full)}, "
                "is indirect, and the direct support only partial."
            )
        return Status.WEAK, "Only partial support: no source fully supports what the claim says."
    kind = "a claim about people" if category in ABOUT_PEOPLE else f"a {Category(category).label} claim"
    return Status.WEAK, f"Only indirect support for {kind}: {_phrase(w.link for w in supports)}."


def _tally(supports: list[_Weighed], contradicts: list[_Weighed]) -> str:
    full = [w.link for w in supports if w.full]
    partial = [w.link for w in supports if not w.full]
    parts = [f"Supported by {_phrase(full)}" if full else "Supported by none"]
    if partial:
        parts.append(f"partially by {_phrase(partial)}")
    parts.append(f"contradicted by {_phrase(w.link for w in contradicts)}" if contradicts else "contradicted by none")
    return "; ".join(parts) + "."


def _side_notes(links: list[Link], note: str) -> list[str]:
    notes = []
    retracted = sum(link.retracted for link in links)
    if retracted:
        notes.append(f"{count(retracted, 'retracted source')} not counted.")
    mentions = sum(link.stance == Stance.MENTIONS and not link.retracted for link in links)
    if mentions:
        notes.append(f"{count(mentions, 'source')} only mention{'s' if mentions == 1 else ''} it.")
    if note.strip():
        notes.append(f"Note: {note.strip()}")
    return notes


def _phrase(links) -> str:
    """`1 randomised controlled trial (n=26) and 2 cross-sectional surveys (n=2,798 and 129)`."""
    by_design: dict[str, list[Link]] = {}
    for link in links:
        by_design.setdefault(link.design, []).append(link)
    order = sorted(by_design, key=lambda design: (-DESIGN_LEVEL.get(design, 0), design))
    groups = [_group(design, by_design[design]) for design in order]
    return join_words(groups) if groups else "none"


def _group(design: str, links: list[Link]) -> str:
    singular, plural = DESIGN_NAMES.get(design, DESIGN_NAMES[""])
    sizes = [f"{link.sample_size:,}" for link in links if link.sample_size]
    size = f" (n={join_words(sizes)})" if sizes else ""
    return count(len(links), singular, plural) + size


def _name(design: str) -> str:
    return DESIGN_NAMES.get(design, DESIGN_NAMES[""])[0]


def summarise(statuses) -> dict[str, int]:
    """Counts of each status, every status present (zero where none)."""
    counts = Counter(statuses)
    return {status.value: counts.get(status, 0) for status in Status}
