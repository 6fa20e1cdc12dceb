"""Merging two records of one work: what would move (`preview`) and the merge itself (`merge_sources`), in
one transaction under optimistic locking. No HTTP: the admin's merge page (admin/merging.py) calls these.

The rules (docs/curation.md, "Merging duplicates"):
- The survivor keeps its id, key and history; for every field on which the two differ the curator picks a
  side (defaults: the survivor's value, or the other's where the survivor's is empty; a retraction is never
  dropped). Provenance and curator notes are kept from both.
- Every relation to Source is listed in RELATIONS and moved: evidence links, adverse-effect reports, the
  risk-of-bias appraisal, screening decisions (withdrawn: the survivor's screening stands), compounds
  (both sets), earlier merges and "not duplicates" marks. The survivor keeps one author list, the chosen one.
- Where both are linked to the same statement (or the same part of it) with the same stance, one link is
  kept -- the reviewed one, else the survivor's -- and the other is deleted with a history entry saying so
  (its finding stays in its history). Different stances refuse the merge: a curator settles the stance first.
  Two adverse-effect reports of the same effect, compound, setting and severity: identical ones fold into
  one; any other difference refuses the merge.
- The merged record's key redirects to the survivor for good (MergedSource), and is never given out again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from .merge_models import MergedSource, NotDuplicates
from .models import (
    AdverseEffectReport,
    Authorship,
    Evidence,
    GradeOverride,
    GradeUpgrade,
    Identification,
    RiskOfBias,
    ScreeningDecision,
    Source,
)
from .query.linked import refresh_linked_terms
from .vocabularies import CurationStatus, RetractionStatus, ScreeningStatus
from .wording import count, join_words


class Side(StrEnum):
    SURVIVOR = "survivor"
    MERGED = "merged"


# Every relation to Source, by accessor name, with what a merge does to it. tests/test_merging.py fails when a
# relation is added to Source without being listed (and handled) here.
RELATIONS = {
    "authorships": "the chosen author list stays; the other's authorships are deleted (the authors remain)",
    "authors": "through the authorships",
    "claims": "through the evidence links",
    "evidence": "moved; a second link to the same statement folds into one (same stance) or refuses the merge",
    "adverse_effect_reports": "moved; an identical second report folds into one, a differing one refuses",
    "risk_of_bias": "moved; where both have one, the chosen one stays",
    "screening_decisions": "moved and withdrawn: kept on record, but the survivor's screening stands",
    "compounds": "both sets kept",
    "merged_sources": "earlier merges into the merged record now redirect to the survivor",
    "not_duplicates_first": "marks move to the survivor",
    "not_duplicates_second": "marks move to the survivor",
}

# Fields the curator picks a side for; the key is the survivor's, the screening status follows its decisions.
COMBINED_FIELDS = ("provenance", "curator_notes")
CHOSEN_FIELDS = [
    f.name
    for f in Source._meta.concrete_fields
    if f.editable and not f.primary_key and f.name not in ("key", "screening_status", *COMBINED_FIELDS)
]
AUTHORS, RISK_OF_BIAS = "authors", "risk_of_bias"
# Compared to tell whether two adverse-effect reports of the same effect say the same.
REPORT_DETAILS = ("cases", "frequency", "co_exposures", "causality", "notes")


class MergeRefused(Exception):
    """The merge cannot be done as asked; the message says why and what to do. Nothing was written."""


@dataclass
class FieldChoice:
    name: str
    label: str
    survivor_value: str
    merged_value: str
    default: Side
    differs: bool = True


@dataclass
class Preview:
    survivor: Source
    merged: Source
    choices: list[FieldChoice]  # the fields on which the two differ
    same: list[tuple[str, str]]  # (label, value) of the fields on which they agree (empty ones left out)
    moves: list[tuple[str, int, int]]  # (what, the survivor's count, the merged record's count)
    folded: list[str] = field(default_factory=list)  # links and reports that fold into one
    problems: list[str] = field(default_factory=list)  # what refuses the merge until a curator settles it
    not_duplicates: NotDuplicates | None = None


@dataclass
class MergeSummary:
    survivor_key: str
    merged_key: str
    moved: dict[str, int]
    folded: list[str]
    taken_from_merged: list[str]

    def message(self) -> str:
        moved = join_words([count(n, what) for what, n in self.moved.items() if n] or ["nothing"])
        taken = f" Took from {self.merged_key}: {', '.join(self.taken_from_merged)}." if self.taken_from_merged else ""
        folded = f" Folded into one: {'; '.join(self.folded)}." if self.folded else ""
        return (
            f"Merged {self.merged_key} into {self.survivor_key}: moved {moved}.{taken}{folded} "
            f"{self.merged_key} now redirects to {self.survivor_key}."
        )


def default_survivor(one: Source, other: Source) -> tuple[Source, Source]:
    """(survivor, merged): the record included at screening, then the one with more evidence links and
    reports, then the older one."""

    def weight(source: Source) -> tuple:
        links = source.evidence.count() + source.adverse_effect_reports.count()
        return (source.screening_status == ScreeningStatus.INCLUDED, links, -source.pk)

    return (one, other) if weight(one) >= weight(other) else (other, one)


def preview(survivor: Source, merged: Source) -> Preview:
    """The fields that differ with their defaults, the counts of what would move, and what would fold or
    refuse the merge. A bounded number of queries, whatever the number of links."""
    if survivor.pk == merged.pk:
        raise MergeRefused("Pick two different sources: a source cannot be merged with itself.")
    pair = [survivor.pk, merged.pk]
    authors = {
        source.pk: "; ".join(str(a.author) for a in source.authorships.all())
        for source in Source.objects.filter(pk__in=pair).prefetch_related("authorships__author")
    }
    appraisals = {r.source_id: r for r in RiskOfBias.objects.filter(source__in=pair)}
    rows = [_choice(name, survivor, merged) for name in CHOSEN_FIELDS]
    choices = [row for row in rows if row.differs]
    if authors[survivor.pk] != authors[merged.pk]:
        default = Side.MERGED if not authors[survivor.pk] else Side.SURVIVOR
        choices.append(FieldChoice(AUTHORS, "authors", authors[survivor.pk], authors[merged.pk], default))
    if survivor.pk in appraisals and merged.pk in appraisals:
        mine, theirs = (_appraisal(appraisals[source.pk]) for source in (survivor, merged))
        choices.append(FieldChoice(RISK_OF_BIAS, "risk of bias", mine, theirs, Side.SURVIVOR))
    same = [(row.label, row.survivor_value) for row in rows if not row.differs and row.survivor_value]
    result = Preview(survivor, merged, choices, same, _moves(pair))
    result.folded, result.problems = _collisions(survivor, merged)
    result.not_duplicates = (
        NotDuplicates.objects.filter(**NotDuplicates.pair(*pair)).select_related("marked_by").first()
    )
    return result


def _appraisal(appraisal: RiskOfBias) -> str:
    judged = f"{appraisal.get_tool_display()}: {appraisal.get_judgment_display() or 'no overall judgment'}"
    return "; ".join(filter(None, [judged, appraisal.reason, appraisal.funding, appraisal.conflicts]))


def _choice(name: str, survivor: Source, merged: Source) -> FieldChoice:
    mine, theirs = getattr(survivor, name), getattr(merged, name)
    model_field = Source._meta.get_field(name)
    display = (lambda source: getattr(source, f"get_{name}_display")()) if model_field.choices else None

    def shown(source: Source, value) -> str:
        return "" if value in ("", None) else str(display(source) if display else value)

    if name == "retraction_status" and mine == RetractionStatus.NONE:
        default = Side.MERGED  # a retraction or correction notice is never dropped by default
    else:
        default = Side.MERGED if mine in ("", None) else Side.SURVIVOR
    label = str(model_field.verbose_name)
    return FieldChoice(name, label, shown(survivor, mine), shown(merged, theirs), default, mine != theirs)


def _moves(pair: list[int]) -> list[tuple[str, int, int]]:
    """What each of the two holds, relation by relation: one query per kind."""
    survivor_id, merged_id = pair

    def per_source(queryset, column: str = "source_id") -> tuple[int, int]:
        counts = dict(queryset.values_list(column).annotate(n=Count("pk")).order_by())
        return counts.get(survivor_id, 0), counts.get(merged_id, 0)

    evidence = Evidence.objects.filter(source__in=pair)
    grade = Counter()
    for model in (GradeOverride, GradeUpgrade):
        rows = model.objects.filter(claim__evidence__source__in=pair).values_list("claim__evidence__source")
        grade.update(dict(rows.annotate(n=Count("pk", distinct=True)).order_by()))
    history = Source.history.filter(id__in=pair)
    return [
        ("evidence links", *per_source(evidence)),
        ("links to statement parts", *per_source(evidence.filter(part__isnull=False))),
        (
            "GRADE records on the linked statements (they stay with their statements)",
            grade[survivor_id],
            grade[merged_id],
        ),
        ("adverse-effect reports", *per_source(AdverseEffectReport.objects.filter(source__in=pair))),
        ("authorships", *per_source(Authorship.objects.filter(source__in=pair))),
        ("compounds studied", *per_source(Source.compounds.through.objects.filter(source__in=pair))),
        ("risk-of-bias appraisals", *per_source(RiskOfBias.objects.filter(source__in=pair))),
        ("screening decisions", *per_source(ScreeningDecision.objects.filter(source__in=pair))),
        ("earlier merges", *per_source(MergedSource.objects.filter(survivor__in=pair), "survivor_id")),
        ("history entries", *per_source(history, "id")),
    ]


def _collisions(survivor: Source, merged: Source) -> tuple[list[str], list[str]]:
    """Links and reports both records hold for the same thing: those that fold into one, and those whose
    difference refuses the merge."""
    folded, problems = [], []
    for mine, theirs in _colliding_links(survivor, merged):
        where = f"statement #{mine.claim_id}" + (f", part {mine.part.position}" if mine.part_id else "")
        if mine.stance != theirs.stance:
            problems.append(
                f"Both are linked to {where} with different stances ({survivor.key}: {mine.get_stance_display()}, "
                f"{merged.key}: {theirs.get_stance_display()}): settle the stance on one link, or delete one, first."
            )
        else:
            folded.append(f"the two links to {where} ({mine.get_stance_display()})")
    for mine, theirs in _colliding_reports(survivor, merged):
        differs = [name for name in REPORT_DETAILS if getattr(mine, name) != getattr(theirs, name)]
        if differs:
            problems.append(
                f"Both report {mine.effect} ({mine.compound}, {mine.get_setting_display()}) but differ in "
                f"{', '.join(differs)}: make the two reports agree, or delete one, first."
            )
        else:
            folded.append(f"the two reports of {mine.effect} ({mine.compound})")
    holds_evidence = merged.evidence.exists() or merged.adverse_effect_reports.exists()
    if holds_evidence and survivor.screening_status != ScreeningStatus.INCLUDED:
        problems.append(
            f"{survivor.key} is {survivor.get_screening_status_display()}, so it cannot hold {merged.key}'s evidence: "
            f"keep {merged.key}'s key instead, or include {survivor.key} at screening first."
        )
    return folded, problems


def _colliding_links(survivor: Source, merged: Source) -> list[tuple[Evidence, Evidence]]:
    theirs = {(e.claim_id, e.part_id): e for e in merged.evidence.select_related("part")}
    mine = survivor.evidence.select_related("part").filter(claim__in=[claim for claim, _ in theirs])
    return [(link, theirs[(link.claim_id, link.part_id)]) for link in mine if (link.claim_id, link.part_id) in theirs]


def _colliding_reports(survivor: Source, merged: Source) -> list[tuple[AdverseEffectReport, AdverseEffectReport]]:
    def identity(report):
        return (report.effect_id, report.compound_id, report.setting, report.severity)

    related = AdverseEffectReport.objects.select_related("effect", "compound")
    theirs = {identity(r): r for r in related.filter(source=merged)}
    return [(r, theirs[identity(r)]) for r in related.filter(source=survivor) if identity(r) in theirs]


def merge_sources(survivor: Source, merged: Source, choices: dict[str, Side], user) -> MergeSummary:
    """Merge `merged` into `survivor`, taking from `merged` the fields whose choice is Side.MERGED. Both
    instances carry the versions the curator saw: if either record was saved since, or the two cannot be
    merged as they stand (see _collisions), MergeRefused says why and nothing is written."""
    if survivor.pk == merged.pk:
        raise MergeRefused("Pick two different sources: a source cannot be merged with itself.")
    with transaction.atomic():
        rows = Source.objects.filter(pk__in=[survivor.pk, merged.pk]).order_by()
        current = {source.pk: source for source in rows.select_for_update(of=("self",))}
        for seen in (survivor, merged):
            _refuse_stale(seen, current.get(seen.pk))
        survivor, merged = current[survivor.pk], current[merged.pk]
        folded, problems = _collisions(survivor, merged)
        if problems:
            raise MergeRefused("Nothing was merged. " + " ".join(problems))
        reason = f"merged {merged.key} into {survivor.key}"[:100]
        first = merged.authorships.select_related("author").first()  # read before the authorships go
        first_author = first.author.family if first else ""
        moved = {
            "evidence link": _move_links(survivor, merged, user, reason),
            "adverse-effect report": _move_reports(survivor, merged, user, reason),
            "screening decision": _move_decisions(survivor, merged, user),
            "risk-of-bias appraisal": _move_appraisal(survivor, merged, choices.get(RISK_OF_BIAS), user, reason),
            "authorship": _keep_authors(survivor, merged, choices.get(AUTHORS)),
            "compound": _add_compounds(survivor, merged),
            "earlier merge": MergedSource.objects.filter(survivor=merged).update(survivor=survivor),
            "not-duplicates mark": _move_marks(survivor, merged),
        }
        taken = [name for name in CHOSEN_FIELDS if choices.get(name) == Side.MERGED]
        values = {name: getattr(merged, name) for name in taken}
        for name in COMBINED_FIELDS:
            values[name] = "\n\n".join(dict.fromkeys(v for v in (getattr(survivor, name), getattr(merged, name)) if v))
        record = MergedSource(
            key=merged.key,
            old_id=merged.pk,
            survivor=survivor,
            title=merged.title,
            year=merged.year,
            first_author=first_author,
            doi=merged.doi,
            pmid=merged.pmid,
            summary={"moved": moved, "folded": folded, "taken": taken},
            counted_as_duplicate=_identified_by_import(merged),
            merged_by=user,
        )
        merged._history_user, merged._change_reason = user, reason
        merged.delete()  # first: the survivor may take its DOI or PMID, which are unique
        for name, value in values.items():
            setattr(survivor, name, value)
        survivor.updated_by = user
        survivor._history_user, survivor._change_reason = user, f"merged {record.key} (#{record.old_id})"[:100]
        survivor.save()
        record.save()
        survivor.refresh_author_names()
        refresh_linked_terms([survivor.pk])
    return MergeSummary(survivor.key, record.key, moved, folded, taken)


def _refuse_stale(seen: Source, current: Source | None) -> None:
    if current is None:
        raise MergeRefused(f"{seen.key} no longer exists (merged or deleted meanwhile). Nothing was merged.")
    if current.version != seen.version:
        latest = current.history.select_related("history_user").first()
        who = f"{latest.history_user} " if latest and latest.history_user else "Someone "
        when = f"at {latest.history_date:%Y-%m-%d %H:%M} UTC " if latest else ""
        raise MergeRefused(
            f"{who}saved {current.key} {when}after this merge page was drawn (version {seen.version} → "
            f"{current.version}). Nothing was merged: open the merge page again to see the records as they are now."
        )


def _save_history(instance, user, reason: str) -> None:
    instance._history_user, instance._change_reason = user, reason
    instance.save()


def _delete_history(instance, user, reason: str) -> None:
    instance._history_user, instance._change_reason = user, reason
    instance.delete()


def _repoint(records: list, survivor: Source, user, reason: str) -> int:
    """Each record now the survivor's, saved one by one so that each history says who merged it."""
    for record in records:
        record.source = survivor
        _save_history(record, user, reason)
    return len(records)


def _move_links(survivor: Source, merged: Source, user, reason: str) -> int:
    for mine, theirs in _colliding_links(survivor, merged):
        # Same stance (_collisions refused any other): keep the reviewed link, else the survivor's.
        keep_theirs = theirs.curation_status == CurationStatus.REVIEWED != mine.curation_status
        dropped, kept = (mine, theirs) if keep_theirs else (theirs, mine)
        _delete_history(dropped, user, f"{reason}: folded into link #{kept.pk}"[:100])
    return _repoint(list(merged.evidence.all()), survivor, user, reason)


def _move_reports(survivor: Source, merged: Source, user, reason: str) -> int:
    for mine, theirs in _colliding_reports(survivor, merged):
        _delete_history(theirs, user, f"{reason}: same as report #{mine.pk}"[:100])
    return _repoint(list(merged.adverse_effect_reports.all()), survivor, user, reason)


def _move_decisions(survivor: Source, merged: Source, user) -> int:
    decisions = merged.screening_decisions.all()
    decisions.filter(withdrawn_at__isnull=True).update(withdrawn_at=timezone.now(), withdrawn_by=user)
    return decisions.update(source=survivor)


def _move_appraisal(survivor: Source, merged: Source, choice: Side | None, user, reason: str) -> int:
    appraisals = {r.source_id: r for r in RiskOfBias.objects.filter(source__in=[survivor.pk, merged.pk])}
    theirs = appraisals.get(merged.pk)
    if theirs is None:
        return 0
    if survivor.pk in appraisals:
        if choice != Side.MERGED:
            _delete_history(theirs, user, f"{reason}: {survivor.key}'s appraisal kept"[:100])
            return 0
        _delete_history(appraisals[survivor.pk], user, f"{reason}: {merged.key}'s appraisal kept"[:100])
    return _repoint([theirs], survivor, user, reason)


def _keep_authors(survivor: Source, merged: Source, choice: Side | None) -> int:
    """The survivor's author list, or the merged record's if chosen (or if the survivor has none)."""
    if choice == Side.MERGED or (choice is None and not survivor.authorships.exists()):
        survivor.authorships.all().delete()
        return merged.authorships.update(source=survivor)
    merged.authorships.all().delete()
    return 0


def _add_compounds(survivor: Source, merged: Source) -> int:
    new = merged.compounds.exclude(pk__in=survivor.compounds.values("pk"))
    added = list(new)
    survivor.compounds.add(*added)
    return len(added)


def _move_marks(survivor: Source, merged: Source) -> int:
    """The merged record's "not duplicates" marks become the survivor's (one between the two goes: a curator
    who merges them has decided otherwise)."""
    NotDuplicates.objects.filter(**NotDuplicates.pair(survivor.pk, merged.pk)).delete()
    marks = NotDuplicates.objects.filter(Q(first=merged) | Q(second=merged))
    moved = 0
    for mark in marks:
        partner = mark.second_id if mark.first_id == merged.pk else mark.first_id
        _, created = NotDuplicates.objects.get_or_create(
            **NotDuplicates.pair(survivor.pk, partner),
            defaults={"marked_by": mark.marked_by, "marked_at": mark.marked_at},
        )
        moved += created
    marks.delete()
    return moved


def _identified_by_import(source: Source) -> bool:
    """Whether the record came in through an identification (an import, an add by identifier): its first
    history entry names the batch. PRISMA then counts it, merged away, as a duplicate removed."""
    first = source.history.order_by("history_date", "history_id").values_list("history_change_reason", flat=True)
    batch = first.first()
    return bool(batch) and Identification.objects.filter(batch=batch).exists()


def mark_not_duplicates(one: Source, other: Source, user) -> bool:
    """Record that two sources are different works; False if they were marked already."""
    if one.pk == other.pk:
        raise MergeRefused("Pick two different sources.")
    _, created = NotDuplicates.objects.get_or_create(
        **NotDuplicates.pair(one.pk, other.pk), defaults={"marked_by": user}
    )
    return created


def resolve_merged_key(key: str) -> Source | None:
    """The survivor a merged citation key now stands for, or None."""
    record = MergedSource.objects.select_related("survivor").filter(key=key).first()
    return record.survivor if record else None
