"""What GRADE reads beyond an evidence link's own columns, for many claims at once: the linked sources'
compounds and risk-of-bias records, the claims' compounds, overrides and upgrades, and statements'
parts. A fixed number of queries whatever the number of claims (reports.py calls it for a whole page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .grade import Judgment, Override, Upgrade
from .models import Claim, Evidence, GradeOverride, GradeUpgrade, Source, StatementPart
from .support import Grading
from .vocabularies import GradeDomain, IndustryInvolvement

INDUSTRY = {IndustryInvolvement.DECLARED: True, IndustryInvolvement.NONE_DECLARED: False}


@dataclass(frozen=True)
class Appraisal:
    """A source's risk of bias ("" not assessed) and industry involvement (None: not recorded)."""

    risk_of_bias: str = ""
    industry: bool | None = None


NOT_ASSESSED = Appraisal()


@dataclass
class ClaimsGrading:
    """Everything GRADE needs about a page's claims and their sources, read once."""

    compounds_of_source: dict[int, frozenset[str]] = field(default_factory=dict)
    appraisal_of_source: dict[int, Appraisal] = field(default_factory=dict)
    grading_of_claim: dict[int, Grading] = field(default_factory=dict)
    parts_of_claim: dict[int, list[StatementPart]] = field(default_factory=dict)

    def grading(self, claim_id: int, compounds_of_claim: frozenset[str] = frozenset()) -> Grading:
        return self.grading_of_claim.get(claim_id, Grading(compounds_of_claim))


def read_grading(claim_ids: Iterable[int]) -> ClaimsGrading:
    """Five queries: the linked sources' compounds and appraisals (one row per compound), the claims'
    compounds, overrides, upgrades and parts."""
    claim_ids = list(claim_ids)
    linked = Source.objects.filter(pk__in=Evidence.objects.filter(claim__in=claim_ids).values("source"))
    compounds: dict[int, set[str]] = {}
    appraisals: dict[int, Appraisal] = {}
    rows = linked.values_list("pk", "compounds__slug", "risk_of_bias__judgment", "risk_of_bias__industry")
    for source_id, slug, judgment, industry in rows:
        compounds.setdefault(source_id, set()).update([slug] if slug else [])
        if judgment is not None:
            appraisals[source_id] = Appraisal(judgment, INDUSTRY.get(industry))
    return ClaimsGrading(
        {source_id: frozenset(slugs) for source_id, slugs in compounds.items()},
        appraisals,
        _claim_gradings(claim_ids),
        _parts(claim_ids),
    )


def _claim_gradings(claim_ids: list[int]) -> dict[int, Grading]:
    compounds: dict[int, set[str]] = {claim_id: set() for claim_id in claim_ids}
    for claim_id, slug in Claim.compounds.through.objects.filter(claim__in=claim_ids).values_list(
        "claim_id", "compound__slug"
    ):
        compounds[claim_id].add(slug)
    overrides: dict[int, dict[GradeDomain, Override]] = {}
    for claim_id, domain, judgment, reason in GradeOverride.objects.filter(claim__in=claim_ids).values_list(
        "claim_id", "domain", "judgment", "reason"
    ):
        overrides.setdefault(claim_id, {})[GradeDomain(domain)] = Override(Judgment(judgment), reason)
    upgrades: dict[int, list[Upgrade]] = {}
    for claim_id, kind, reason in GradeUpgrade.objects.filter(claim__in=claim_ids).values_list(
        "claim_id", "kind", "reason"
    ):
        upgrades.setdefault(claim_id, []).append(Upgrade(kind, reason))
    return {
        claim_id: Grading(frozenset(slugs), overrides.get(claim_id, {}), tuple(upgrades.get(claim_id, ())))
        for claim_id, slugs in compounds.items()
    }


def _parts(claim_ids: list[int]) -> dict[int, list[StatementPart]]:
    parts: dict[int, list[StatementPart]] = {}
    for part in StatementPart.objects.filter(claim__in=claim_ids).order_by("claim_id", "position"):
        parts.setdefault(part.claim_id, []).append(part)
    return parts
