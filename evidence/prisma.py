"""The PRISMA 2020 flow diagram (updated-review template), counted from the data: identifications per
database, duplicates and unreadable entries removed, the title/abstract and full-text decisions, and the
studies included before screening began. `flow_counts` reads, `flow_svg` draws (plain data in, text out),
`svg_to_png` converts for the download."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.html import escape

from .models import ExclusionReason, Identification, MergedSource, Source
from .screening import CONFLICT, PENDING, Vote, active_decisions, stage_outcome
from .vocabularies import Decision, ScreeningStage, ScreeningStatus


@dataclass
class FlowCounts:
    databases: list[tuple[str, int]] = field(default_factory=list)  # records identified, per database
    duplicates: int = 0
    unreadable: int = 0
    screened: int = 0
    awaiting_screening: int = 0
    excluded_at_screening: int = 0
    sought: int = 0
    not_retrieved: int = 0
    awaiting_full_text: int = 0
    assessed: int = 0
    excluded_reasons: list[tuple[str, int]] = field(default_factory=list)
    new_included: int = 0
    previous: int = 0

    @property
    def identified(self) -> int:
        return sum(n for _, n in self.databases)

    @property
    def excluded_at_full_text(self) -> int:
        return sum(n for _, n in self.excluded_reasons)

    @property
    def total_included(self) -> int:
        return self.previous + self.new_included


def flow_counts(dual: bool) -> FlowCounts:
    """Five queries, whatever the number of records."""
    counts = FlowCounts()
    identified = Identification.objects.values("database").annotate(n=Sum("records")).order_by("database")
    counts.databases = [(row["database"], row["n"]) for row in identified]
    removed = Identification.objects.aggregate(duplicates=Sum("duplicates"), unreadable=Sum("unreadable"))
    counts.duplicates, counts.unreadable = removed["duplicates"] or 0, removed["unreadable"] or 0
    # Imported records a curator later merged into another are duplicates removed too (their decisions are
    # withdrawn by the merge, so they are not counted as screened as well).
    counts.duplicates += MergedSource.objects.filter(counted_as_duplicate=True).count()

    votes: dict[int, dict[str, list[tuple[Vote, int | None]]]] = defaultdict(lambda: defaultdict(list))
    rows = active_decisions().order_by("decided_at", "pk")
    for source_id, stage, decision, curator, resolves, reason in rows.values_list(
        "source_id", "stage", "decision", "decided_by", "resolves_conflict", "reason"
    ):
        votes[source_id][stage].append((Vote(decision, curator, resolves), reason))
    reasons = dict(ExclusionReason.objects.values_list("pk", "name"))
    not_retrieved = set(ExclusionReason.objects.filter(not_retrieved=True).values_list("pk", flat=True))
    by_reason: Counter[str] = Counter()
    for stages in votes.values():
        first = stage_outcome([vote for vote, _ in stages[ScreeningStage.TITLE_ABSTRACT]], dual)
        if first in (PENDING, CONFLICT):
            continue
        counts.screened += 1
        if first == Decision.EXCLUDE:
            counts.excluded_at_screening += 1
            continue
        counts.sought += 1
        full_text = stages[ScreeningStage.FULL_TEXT]
        second = stage_outcome([vote for vote, _ in full_text], dual)
        if second in (PENDING, CONFLICT):
            counts.awaiting_full_text += 1
        elif second == Decision.INCLUDE:
            counts.assessed += 1
            counts.new_included += 1
        else:
            reason = [reason for vote, reason in full_text if vote.decision == Decision.EXCLUDE][-1]
            if reason in not_retrieved:
                counts.not_retrieved += 1
            else:
                counts.assessed += 1
                by_reason[reasons[reason]] += 1
    counts.excluded_reasons = sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
    counts.awaiting_screening = Source.objects.filter(screening_status=ScreeningStatus.CANDIDATE).count()
    counts.previous = Source.objects.screened_in().exclude(pk__in=list(votes)).count()
    return counts


# --- drawing -------------------------------------------------------------------------------------------

LINE, PAD, GAP = 18, 10, 34
LEFT, RIGHT, BOX = 120, 560, 360  # x of the two columns (the phases' names left of them), box width
WIDTH = RIGHT + BOX + 20
CHARS = 46  # characters per line in a box


def _wrap(text: str) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > CHARS:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def _box(x: int, y: int, texts: list[str], bold_first: bool = True) -> tuple[str, int]:
    lines = [wrapped for text in texts for wrapped in _wrap(text)]
    height = PAD * 2 + LINE * len(lines)
    parts = [
        f'<rect x="{x}" y="{y}" width="{BOX}" height="{height}" rx="4" fill="#fff" stroke="#333" stroke-width="1.2"/>'
    ]
    for number, line in enumerate(lines):
        weight = ' font-weight="bold"' if bold_first and number == 0 else ""
        baseline = y + PAD + LINE * (number + 1) - 5
        parts.append(f'<text x="{x + PAD}" y="{baseline}"{weight}>{escape(line)}</text>')
    return "\n".join(parts), height


def _arrow(x1: int, y1: int, x2: int, y2: int) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" stroke-width="1.2" marker-end="url(#head)"/>'


def flow_svg(counts: FlowCounts) -> str:
    """The diagram as a standalone SVG document: left the flow of records, right what left it at each step."""
    rows = [
        (
            [f"Records identified from databases (n = {counts.identified})"]
            + [f"{name} (n = {n})" for name, n in counts.databases],
            [
                "Records removed before screening:",
                f"Duplicate records removed (n = {counts.duplicates})",
                f"Records unreadable, removed for other reasons (n = {counts.unreadable})",
            ],
        ),
        (
            [f"Records screened (n = {counts.screened})", f"Awaiting screening (n = {counts.awaiting_screening})"],
            [f"Records excluded (n = {counts.excluded_at_screening})"],
        ),
        (
            [f"Reports sought for retrieval (n = {counts.sought})"],
            [f"Reports not retrieved (n = {counts.not_retrieved})"],
        ),
        (
            [
                f"Reports assessed for eligibility (n = {counts.assessed})",
                f"Awaiting assessment (n = {counts.awaiting_full_text})",
            ],
            [f"Reports excluded (n = {counts.excluded_at_full_text}):"]
            + [f"{reason} (n = {n})" for reason, n in counts.excluded_reasons],
        ),
        (
            [
                f"New studies included in review (n = {counts.new_included})",
                f"Studies included before screening began, in the previous version (n = {counts.previous})",
                f"Total studies included in review (n = {counts.total_included})",
            ],
            None,
        ),
    ]
    phases = ["Identification", "Screening", "", "", "Included"]
    parts, y, previous_bottom = [], 20, None
    for (left, right), phase in zip(rows, phases, strict=True):
        left_svg, left_height = _box(LEFT, y, left)
        right_svg, right_height = _box(RIGHT, y, right) if right else ("", 0)
        parts += [left_svg, right_svg]
        if previous_bottom is not None:
            parts.append(_arrow(LEFT + BOX // 2, previous_bottom, LEFT + BOX // 2, y))
        if right:
            middle = y + min(left_height, right_height) // 2
            parts.append(_arrow(LEFT + BOX, middle, RIGHT, middle))
        if phase:
            parts.append(f'<text x="10" y="{y + 20}" fill="#555" font-weight="bold">{phase}</text>')
        previous_bottom = y + left_height
        y += max(left_height, right_height) + GAP
    height = y
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="prisma-title" font-family="sans-serif" '
        'font-size="13">\n<title id="prisma-title">PRISMA 2020 flow diagram: '
        f"{counts.identified} records identified, {counts.screened} screened, {counts.total_included} studies "
        "included</title>\n"
        '<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs>\n'
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>\n'
        + "\n".join(part for part in parts if part)
        + "\n</svg>\n"
    )


def svg_to_png(svg: str) -> bytes:
    import cairosvg  # a compiled dependency (libcairo): loaded only for the PNG download

    return cairosvg.svg2png(bytestring=svg.encode(), output_width=WIDTH * 2)
