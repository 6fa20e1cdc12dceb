"""Screening, as in a systematic review: imported records enter as candidates, curators include, exclude
(with a reason from their list) or mark them maybe at the title/abstract stage, included records are then
assessed on their full text, and only records included there become public (SourceQuerySet.public).

Every decision is kept (an undo withdraws, never deletes). A source's screening status is always computed
from its decisions by `status_from`, so undoing one recomputes it. With dual screening (SCREENING_DUAL) two
curators decide each record independently; when they disagree the record waits in the conflicts list for a
third, resolving decision. docs/curation.md describes the rules.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .bibliography.importer import Action, ImportedFile, ImportPlan, ImportResult, commit_import
from .bibliography.records import ParsedFile
from .models import Compound, ExclusionReason, Identification, ScreeningDecision, Source
from .vocabularies import Decision, ScreeningStage, ScreeningStatus

# The status of a record waiting at each stage.
WAITING_AT = {
    ScreeningStage.TITLE_ABSTRACT: ScreeningStatus.CANDIDATE,
    ScreeningStage.FULL_TEXT: ScreeningStatus.FULL_TEXT,
}
PENDING, CONFLICT = "pending", "conflict"
# Words highlighted on the screening page beside the compounds' names and synonyms.
TOPIC_TERMS = ("kratom", "mitragyna", "speciosa", "mitragynine", "hydroxymitragynine", "opioid", "alkaloid")


class ScreeningError(Exception):
    """A decision that cannot be recorded, with the message the curator sees. Nothing was written."""


# --- the rules (plain data in, plain data out) ---------------------------------------------------------


@dataclass(frozen=True)
class Vote:
    decision: str
    curator_id: int | None
    resolves_conflict: bool = False


def forward(decision: str) -> bool:
    """Include and maybe both move a record on (as in Covidence: a maybe is not a no)."""
    return decision in (Decision.INCLUDE, Decision.MAYBE)


def stage_outcome(votes: list[Vote], dual: bool) -> str:
    """A stage's outcome from its active votes in the order cast: PENDING, CONFLICT, INCLUDE or EXCLUDE.

    Single screening: the latest vote settles. Dual: a resolving vote settles; otherwise the first votes of
    two different curators settle when they agree (include and maybe agree) and conflict when they do not."""
    resolving = [vote for vote in votes if vote.resolves_conflict]
    if resolving or (votes and not dual):
        last = (resolving or votes)[-1]
        return Decision.INCLUDE if forward(last.decision) else Decision.EXCLUDE
    first_of_each: dict[int | None, Vote] = {}
    for vote in votes:
        first_of_each.setdefault(vote.curator_id, vote)
    if len(first_of_each) < 2:
        return PENDING
    one, two = list(first_of_each.values())[:2]
    if forward(one.decision) != forward(two.decision):
        return CONFLICT
    return Decision.INCLUDE if forward(one.decision) else Decision.EXCLUDE


def status_from(votes_by_stage: dict[str, list[Vote]], dual: bool) -> ScreeningStatus:
    """A record's screening status from its active votes at both stages."""
    first = stage_outcome(votes_by_stage.get(ScreeningStage.TITLE_ABSTRACT, []), dual)
    if first in (PENDING, CONFLICT):
        return ScreeningStatus.CANDIDATE
    if first == Decision.EXCLUDE:
        return ScreeningStatus.EXCLUDED
    second = stage_outcome(votes_by_stage.get(ScreeningStage.FULL_TEXT, []), dual)
    if second in (PENDING, CONFLICT):
        return ScreeningStatus.FULL_TEXT
    return ScreeningStatus.INCLUDED if second == Decision.INCLUDE else ScreeningStatus.EXCLUDED


def highlight(text: str, terms: Iterable[str]) -> SafeString:
    """The text escaped, with every occurrence of a topic term (case-insensitive, at a word start) in <mark>."""
    words = sorted({term.strip().lower() for term in terms if len(term.strip()) > 2}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile(r"\b(" + "|".join(re.escape(word) for word in words) + r")", re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [escape(text[last : match.start()]), f"<mark>{escape(match.group(0))}</mark>"]
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece escaped above)


def topic_terms() -> list[str]:
    """The words the screening page highlights: TOPIC_TERMS and every compound's name and synonyms."""
    names = []
    for name, synonyms in Compound.objects.values_list("name", "synonyms"):
        names += [name, *synonyms.splitlines()]
    return [*TOPIC_TERMS, *names]


# --- reads ---------------------------------------------------------------------------------------------


def active_decisions() -> QuerySet[ScreeningDecision]:
    return ScreeningDecision.objects.filter(withdrawn_at__isnull=True)


def votes_of(source: Source) -> dict[str, list[Vote]]:
    votes: dict[str, list[Vote]] = defaultdict(list)
    rows = active_decisions().filter(source=source).order_by("decided_at", "pk")
    for stage, decision, curator, resolves in rows.values_list("stage", "decision", "decided_by", "resolves_conflict"):
        votes[stage].append(Vote(decision, curator, resolves))
    return votes


def state_token(source: Source) -> str:
    """What a screening form saw of its record: the status and the latest decision. A form whose token no
    longer matches decided on a record someone changed since (single screening refuses it as stale)."""
    last = active_decisions().filter(source=source).order_by("-pk").values_list("pk", flat=True).first()
    return f"{source.screening_status}:{last or 0}"


def queue(user, stage: str, dual: bool | None = None) -> QuerySet[Source]:
    """The records waiting at a stage that this curator may decide: with dual screening, those they have
    not decided yet and that do not already have two curators' votes."""
    dual = settings.SCREENING_DUAL if dual is None else dual
    waiting = Source.objects.filter(screening_status=WAITING_AT[stage])
    if dual:
        decided = active_decisions().filter(stage=stage)
        waiting = waiting.exclude(pk__in=decided.filter(decided_by=user).values("source"))
        waiting = waiting.exclude(pk__in=conflicted_ids(stage))
    return waiting.order_by("pk")


def conflicted_ids(stage: str) -> list[int]:
    """Records waiting at a stage whose votes conflict (dual screening)."""
    waiting = Source.objects.filter(screening_status=WAITING_AT[stage]).values("pk")
    votes: dict[int, list[Vote]] = defaultdict(list)
    rows = active_decisions().filter(stage=stage, source__in=waiting).order_by("decided_at", "pk")
    for source_id, decision, curator, resolves in rows.values_list(
        "source_id", "decision", "decided_by", "resolves_conflict"
    ):
        votes[source_id].append(Vote(decision, curator, resolves))
    return sorted(pk for pk, cast in votes.items() if stage_outcome(cast, dual=True) == CONFLICT)


def conflicts(stage: str) -> list[tuple[Source, list[ScreeningDecision]]]:
    ids = conflicted_ids(stage)
    decisions = defaultdict(list)
    for decision in active_decisions().filter(stage=stage, source_id__in=ids).select_related("decided_by", "reason"):
        decisions[decision.source_id].append(decision)
    return [(source, decisions[source.pk]) for source in Source.objects.filter(pk__in=ids).order_by("pk")]


# --- writes --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    source: Source
    decision: ScreeningDecision
    status: ScreeningStatus


def decide(
    source_id: int,
    stage: str,
    decision: str,
    user,
    seen: str,
    reason_id: int | None = None,
    note: str = "",
    resolves_conflict: bool = False,
    dual: bool | None = None,
) -> Outcome:
    """Record one curator's decision and recompute the record's status, in one transaction; a decision that
    cannot stand (no reason for an exclusion, a record someone decided since `seen`, the wrong stage) raises
    ScreeningError and writes nothing."""
    dual = settings.SCREENING_DUAL if dual is None else dual
    if stage not in ScreeningStage.values:
        raise ScreeningError(f"No screening stage {stage!r}.")
    if decision not in Decision.values:
        raise ScreeningError("Choose include, exclude or maybe.")
    if decision == Decision.MAYBE and stage == ScreeningStage.FULL_TEXT:
        raise ScreeningError("At the full-text stage a record is included or excluded: maybe is for titles.")
    reason = None
    if decision == Decision.EXCLUDE:
        if not reason_id:
            raise ScreeningError("An exclusion needs a reason: choose one from the list.")
        reason = ExclusionReason.objects.filter(pk=reason_id, active=True).first()
        if reason is None:
            raise ScreeningError("That exclusion reason is not on the list (any more): choose another.")
    with transaction.atomic():
        source = Source.objects.select_for_update().filter(pk=source_id).first()
        if source is None:
            raise ScreeningError("That record no longer exists (merged or deleted).")
        _refuse_stale(source, stage, user, seen, resolves_conflict, dual)
        made = ScreeningDecision.objects.create(
            source=source,
            stage=stage,
            decision=decision,
            reason=reason,
            note=note.strip(),
            resolves_conflict=resolves_conflict,
            decided_by=user,
        )
        status = _recompute(source, user, f"screening ({ScreeningStage(stage).label}): {decision}", dual)
    return Outcome(source, made, status)


def _refuse_stale(source: Source, stage: str, user, seen: str, resolves_conflict: bool, dual: bool) -> None:
    if source.screening_status != WAITING_AT[stage]:
        raise ScreeningError(
            f"Stale: {source.key} is now {source.get_screening_status_display()}; someone decided it since you "
            "opened it. Your decision was not recorded."
        )
    if not dual or resolves_conflict:
        if state_token(source) != seen:
            raise ScreeningError(
                f"Stale: another curator decided {source.key} since you opened it. Your decision was not "
                "recorded; here it is again as it stands now."
            )
        return
    votes = votes_of(source).get(stage, [])
    if any(vote.curator_id == user.pk for vote in votes):
        raise ScreeningError(f"You have already decided {source.key} at this stage. Your decision was not recorded.")
    if len({vote.curator_id for vote in votes}) >= 2:
        raise ScreeningError(
            f"Stale: two curators have decided {source.key} since you opened it. Your decision was not recorded."
        )


def _recompute(source: Source, user, reason: str, dual: bool) -> ScreeningStatus:
    status = status_from(votes_of(source), dual)
    if status != source.screening_status:
        source.screening_status = status
        source.updated_by = user
        source._history_user = user  # the history says who, outside a request too
        source._change_reason = reason
        source.save()
    return status


def undo_last(user, dual: bool | None = None) -> ScreeningDecision:
    """Withdraw this curator's latest active decision and recompute its record's status. Refused when a
    later decision on that record (someone else's, or the next stage's) builds on it."""
    dual = settings.SCREENING_DUAL if dual is None else dual
    with transaction.atomic():
        last = active_decisions().filter(decided_by=user).select_related("source").order_by("-pk").first()
        if last is None:
            raise ScreeningError("You have no decision to undo.")
        Source.objects.select_for_update().filter(pk=last.source_id).first()
        if active_decisions().filter(source_id=last.source_id, pk__gt=last.pk).exists():
            raise ScreeningError(
                f"Your last decision on {last.source.key} cannot be undone: a later decision on it builds on it."
            )
        last.withdrawn_at = timezone.now()
        last.withdrawn_by = user
        last.save(update_fields=["withdrawn_at", "withdrawn_by"])
        _recompute(last.source, user, f"screening: {last.decision} withdrawn", dual)
    return last


def record_identification(plan: ImportPlan, result: ImportResult, database: str, filename: str, user) -> Identification:
    """The PRISMA 'identification' of one committed import: its entries, duplicates, unreadable and new."""
    return Identification.objects.create(
        batch=result.batch,
        database=database.strip()[:200] or "unnamed database",
        filename=filename[:200],
        records=len(plan.entries),
        duplicates=plan.count(Action.DUPLICATE) + plan.count(Action.CONFLICT),
        unreadable=plan.count(Action.FAILED),
        added=len(result.created),
        created_by=user,
    )


def commit_identified(parsed: ParsedFile, user, provenance: str, origin: ImportedFile, database: str) -> ImportResult:
    """Commit an import and record its PRISMA identification in the same transaction: the records and their
    identification, or neither. A repeat of a file already imported identifies nothing new."""
    with transaction.atomic():
        result = commit_import(parsed, user, provenance=provenance, origin=origin)
        if result.earlier is None:
            where = database.strip() or default_database(parsed.format, origin.filename)
            record_identification(result.plan, result, where, origin.filename, user)
    return result


def default_database(format_name: str, filename: str) -> str:
    """The database an import came from when the curator names none: PubMed for MEDLINE files, else the file."""
    return "PubMed" if format_name == "medline" else filename
