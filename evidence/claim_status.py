"""Each claim's status and certainty, stored (models.ClaimStatus) so that pages read and filter them instead of
assessing every claim on every request.

`recompute(claim_ids)` is the one function that writes them, from the rules as they are (reports.statements):
whatever feeds the rules (a claim, its compounds, parts, overrides and upgrades, its evidence links, their
sources' design, population, n, compounds, retraction status and risk of bias) calls `schedule()` with the
claims it touches, and the union of a transaction's claims is recomputed once, when it commits (the
receivers are in evidence/claim_status_signals.py; bulk writes call `schedule()` themselves). Reads of the
same connection flush what it has scheduled first, so a transaction sees its own writes.

Only reviewed links count in a stored status: `?drafts=include` keeps computing live. docs/flagging.md
("Stored status") says when statuses are recomputed and how to check them (`recompute_claim_statuses`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from . import caching, reports
from .grade import DomainRating, Judgment, Override, Rating, Upgrade
from .models import Claim, ClaimStatus, Evidence, StatementPart
from .parts import overall
from .support import Assessment, Status
from .vocabularies import GradeDomain

# Bump when the rules (support.py, grade.py, parts.py, the reasons' wording) change what they give: every
# row of an older version is read live until `migrate` (or recompute_claim_statuses) recomputes it.
RULES_VERSION = 1
CHUNK = 500
# Held (PostgreSQL) while statuses are recomputed: two commits' recomputes never interleave, so the later
# one, which read the later data, writes last.
RECOMPUTE_LOCK = 0x636C_6169  # "clai"
STORED_FIELDS = ["status", "certainty", "rules_version", "assessment"]


# --- what is stored: an assessment as JSON and back --------------------------------------------------------


def as_stored(statement: reports.Statement) -> dict:
    """A statement's assessment (and its parts') as plain JSON: everything the pages show of it."""
    return {
        **_assessment_data(statement.assessment),
        "links": statement.links,
        "parts": [{"part": p.part.pk, **_assessment_data(p.assessment)} for p in statement.parts],
    }


def _assessment_data(assessment: Assessment) -> dict:
    rating = assessment.rating
    return {
        "status": assessment.status.value,
        "certainty": assessment.certainty,
        "reasons": list(assessment.reasons),
        "rating": rating
        and {
            "start": rating.start,
            "start_reason": rating.start_reason,
            "domains": [
                [d.domain.value, d.computed.value, d.reason, d.override and [d.override.judgment, d.override.reason]]
                for d in rating.domains
            ],
            "upgrades": [[upgrade.kind, upgrade.reason, steps] for upgrade, steps in rating.upgrades],
        },
    }


def _assessment(data: dict) -> Assessment:
    """The stored assessment as the rules gave it (without the studies, which only the Summary of Findings
    reads: it assesses live)."""
    rating = data["rating"]
    if rating is not None:
        domains = tuple(
            DomainRating(GradeDomain(domain), Judgment(computed), reason, _override(override))
            for domain, computed, reason, override in rating["domains"]
        )
        upgrades = tuple((Upgrade(kind, reason), steps) for kind, reason, steps in rating["upgrades"])
        rating = Rating(rating["start"], rating["start_reason"], domains, upgrades)
    return Assessment(Status(data["status"]), data["certainty"], tuple(data["reasons"]), rating)


def _override(stored: list | None) -> Override | None:
    return Override(Judgment(stored[0]), stored[1]) if stored else None


# --- reading ----------------------------------------------------------------------------------------------


def statements(claims: Iterable[Claim], shown: Iterable[Evidence] = ()) -> list[reports.Statement]:
    """reports.statements() from the stored statuses: one query for the claims' rows (one more for the parts
    of split statements), the link objects `shown` beside each. A claim without a current row (written
    around the signals, or under older rules) is assessed live, so a page is never wrong, only slower."""
    flush()
    claims = list(claims)
    stored = dict(
        ClaimStatus.objects.filter(claim__in=[c.pk for c in claims], rules_version=RULES_VERSION).values_list(
            "claim_id", "assessment"
        )
    )
    evidence: dict[tuple[int, int | None], list[Evidence]] = {}
    for link in shown:
        evidence.setdefault((link.claim_id, link.part_id), []).append(link)
    split = [part["part"] for data in stored.values() for part in data["parts"]]
    parts = StatementPart.objects.in_bulk(split) if split else {}
    # A part deleted by a commit whose recompute has not run yet: that claim is read live.
    stored = {pk: data for pk, data in stored.items() if all(p["part"] in parts for p in data["parts"])}
    missing = [claim for claim in claims if claim.pk not in stored]
    live = {}
    if missing:
        missing_ids = {claim.pk for claim in missing}
        rows = Evidence.objects.filter(claim__in=missing_ids).link_values()
        live_shown = [link for (claim_id, _), links in evidence.items() if claim_id in missing_ids for link in links]
        live = {s.claim.pk: s for s in reports.statements(missing, rows, live_shown)}
    return [
        live[claim.pk] if claim.pk in live else _statement(claim, stored[claim.pk], parts, evidence) for claim in claims
    ]


def linked_statements(links) -> list[tuple[Evidence, reports.Statement]]:
    """Links (an evidence queryset: a source's), each with its statement's stored status, in the order of
    the statements' articles and places: a source's page and its API endpoint."""
    links = list(links.with_claims())
    return list(zip(links, statements(link.claim for link in links), strict=True))


def statements_of(claims: Iterable[Claim]) -> list[reports.Statement]:
    """reports.statements_of() from the stored statuses: claims read with all their links
    (`Claim.objects.for_review()`), every link shown."""
    claims = list(claims)
    return statements(claims, [link for claim in claims for link in claim.evidence.all()])


def _statement(claim: Claim, data: dict, parts: dict, evidence: dict) -> reports.Statement:
    number = getattr(claim, "number", 0)
    assessed = tuple(
        reports.PartStatement(
            parts[p["part"]],
            f"{number}.{parts[p['part']].position}",
            _assessment(p),
            evidence.get((claim.pk, p["part"]), []),
        )
        for p in data["parts"]
    )
    whole = overall([p.status for p in assessed]) if assessed else None
    return reports.Statement(
        claim, _assessment(data), evidence.get((claim.pk, None), []), data["links"], number, assessed, whole
    )


# --- computing and writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    claim_id: int
    stored: str | None  # None: no row, or one of older rules
    computed: str


def _computed(claim_ids: list[int]) -> dict[int, ClaimStatus]:
    """The rows the rules give now for these claims (unsaved), by claim id; ids of deleted claims left out."""
    claims = Claim.objects.filter(pk__in=claim_ids).only("pk", "category", "checkworthy", "curator_note")
    rows = Evidence.objects.filter(claim__in=claim_ids).link_values()
    return {
        statement.claim.pk: ClaimStatus(
            claim_id=statement.claim.pk,
            status=statement.status.value,
            certainty=statement.assessment.certainty or "",
            rules_version=RULES_VERSION,
            assessment=as_stored(statement),
        )
        for statement in reports.statements(claims, rows)
    }


def _same(stored: ClaimStatus | None, computed: ClaimStatus) -> bool:
    return stored is not None and all(getattr(stored, name) == getattr(computed, name) for name in STORED_FIELDS)


def recompute(claim_ids: Iterable[int]) -> set[int]:
    """Recompute these claims' stored statuses from the rules; the ids of those whose row changed (or was
    made). A few queries per 500 claims, in one transaction."""
    changed: set[int] = set()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [RECOMPUTE_LOCK])
        for chunk in itertools.batched(sorted(set(claim_ids)), CHUNK):
            computed = _computed(list(chunk))
            stored = ClaimStatus.objects.in_bulk(list(computed))
            new = [row for claim_id, row in computed.items() if claim_id not in stored]
            updated = [row for claim_id, row in computed.items() if claim_id in stored]
            updated = [row for row in updated if not _same(stored[row.claim_id], row)]
            ClaimStatus.objects.bulk_create(new)
            ClaimStatus.objects.bulk_update(updated, STORED_FIELDS)
            changed.update(row.claim_id for row in [*new, *updated])
        if changed:  # after the writes that fed the rules raised it: pages cached in between are superseded
            caching.changed()
    return changed


def recompute_all() -> set[int]:
    return recompute(Claim.objects.values_list("pk", flat=True))


def recompute_outdated() -> set[int]:
    """Claims without a row, or with one from older rules: what `migrate` recomputes after migrating."""
    return recompute(Claim.objects.exclude(stored_status__rules_version=RULES_VERSION).values_list("pk", flat=True))


def drift() -> list[Drift]:
    """Every claim whose stored status is not what the rules give now (nothing written)."""
    found = []
    for chunk in itertools.batched(Claim.objects.order_by("pk").values_list("pk", flat=True), CHUNK):
        computed = _computed(list(chunk))
        stored = ClaimStatus.objects.in_bulk(list(computed))
        for claim_id, row in computed.items():
            if not _same(stored.get(claim_id), row):
                current = stored.get(claim_id)
                old = current.status if current and current.rules_version == RULES_VERSION else None
                found.append(Drift(claim_id, old, row.status))
    return found


# --- when: on commit, once per transaction ------------------------------------------------------------------


class _Recompute:
    """The on-commit callback of a transaction's scheduled claims: it lives and dies with the transaction (or
    savepoint) it was registered in, so a rollback forgets its claims with its writes."""

    def __init__(self, claim_ids: set[int]):
        self.claim_ids = claim_ids
        self.ran = False

    def __call__(self) -> None:
        claim_ids, self.claim_ids, self.ran = self.claim_ids, set(), True
        if claim_ids:
            recompute(claim_ids)


def _callbacks() -> list[tuple[set, _Recompute]]:
    """This connection's recomputes still to run, each with the savepoints it was registered in."""
    pending = [(sids, func) for sids, func, _ in connection.run_on_commit if isinstance(func, _Recompute)]
    return [(sids, func) for sids, func in pending if not func.ran]


def schedule(claim_ids: Iterable[int]) -> None:
    """Recompute these claims when the current transaction commits (at once outside one), together with
    every other claim the transaction scheduled: one recompute per commit."""
    claim_ids = set(claim_ids)
    if not claim_ids:
        return
    if connection.in_atomic_block:
        # Joined to a callback registered where a rollback of this write would drop it too, never to one
        # of an inner savepoint, whose rollback would lose this write's claims.
        current = set(connection.savepoint_ids)
        for sids, pending in _callbacks():
            if sids <= current:
                pending.claim_ids |= claim_ids
                return
    transaction.on_commit(_Recompute(claim_ids), robust=True)


def schedule_sources(source_ids: Iterable[int]) -> None:
    """The claims these sources are evidence for."""
    schedule(Evidence.objects.filter(source__in=list(source_ids)).values_list("claim_id", flat=True).distinct())


def flush() -> None:
    """Recompute now what this connection's open transaction has scheduled, so that it reads its own writes
    (nothing to do, and no query, outside a transaction that wrote)."""
    for _, pending in _callbacks():
        pending()
