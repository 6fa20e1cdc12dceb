"""The Summary of Findings of an article, in the shape of GRADEpro's and Cochrane's tables: one row per
checkworthy statement (or part), with its studies and participants by design, the direction of the
evidence, the certainty with GRADE's symbols and a footnote for every downgrade. As data, and as CSV,
Markdown and Word (.docx) files. docs/flagging.md ("Summary of Findings") describes the columns."""

from __future__ import annotations

import io
import string
from collections.abc import Sequence
from dataclasses import dataclass

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Pt

from .grade import Judgment, Rating, Study
from .text_safety import csv_text, markdown_escape
from .vocabularies import SUPPORTING_STANCES, Stance, StudyDesign
from .wording import join_words


@dataclass(frozen=True)
class DesignCount:
    design: str  # its label
    studies: int
    participants: int  # people counted by the studies that record n (0: none recorded)

    def __str__(self) -> str:
        people = f", {self.participants:,} participants" if self.participants else ""
        return f"{self.design}: {self.studies}{people}"


@dataclass(frozen=True)
class FindingRow:
    number: str  # the statement's number on every page, `28.1` for its first part
    statement: str
    category: str
    status: str
    direction: str
    designs: tuple[DesignCount, ...]
    certainty: str  # "" when nothing decides (unsupported)
    symbols: str
    footnotes: tuple[str, ...]

    @property
    def studies(self) -> int:
        return sum(d.studies for d in self.designs)

    @property
    def participants(self) -> int:
        return sum(d.participants for d in self.designs)


def finding_row(
    number: str,
    statement: str,
    category: str,
    status: str,
    deciding: Sequence[Study],
    opposing: Sequence[Study],
    rating: Rating | None,
) -> FindingRow:
    return FindingRow(
        number=number,
        statement=statement,
        category=category,
        status=status,
        direction=direction([*deciding, *opposing]),
        designs=by_design([*deciding, *opposing]),
        certainty=rating.certainty if rating else "",
        symbols=rating.symbols if rating else "",
        footnotes=tuple(footnotes(rating)) if rating else (),
    )


def rows_of(statements: Sequence) -> list[FindingRow]:
    """One row per checkworthy statement of a report (reports.Statement); a split statement's row gives its
    overall status and is followed by a row per checkworthy part."""
    rows = []
    for statement in statements:
        if not statement.claim.checkworthy:
            continue
        claim = statement.claim
        if not statement.parts:
            rows.append(_row(str(statement.number), claim.text, claim.category, statement.status_label, statement))
            continue
        rows.append(
            FindingRow(
                str(statement.number),
                claim.text,
                claim.category,
                statement.status_label,
                "see its parts",
                (),
                "",
                "",
                (),
            )
        )
        rows += [
            _row(part.number, part.part.text, part.part.category, part.status.label, part)
            for part in statement.parts
            if part.part.checkworthy
        ]
    return rows


def _row(number: str, text: str, category: str, status: str, assessed) -> FindingRow:
    assessment = assessed.assessment
    return finding_row(number, text, category, status, assessment.deciding, assessment.opposing, assessment.rating)


def direction(studies: Sequence[Study]) -> str:
    """`3 for (2 only in part), 2 against`."""
    if not studies:
        return "no study for or against"
    partial = sum(s.stance == Stance.PARTIALLY_SUPPORTS for s in studies)
    for_it = sum(s.stance in SUPPORTING_STANCES for s in studies)
    in_part = f" ({partial} only in part)" if partial else ""
    return f"{for_it} for{in_part}, {len(studies) - for_it} against"


def by_design(studies: Sequence[Study]) -> tuple[DesignCount, ...]:
    order = list(StudyDesign)
    designs = sorted({s.design for s in studies}, key=lambda d: order.index(d) if d in order else len(order))
    return tuple(
        DesignCount(
            StudyDesign(design).label if design else "design not recorded",
            sum(s.design == design for s in studies),
            sum(s.sample_size or 0 for s in studies if s.design == design and s.counts_people),
        )
        for design in designs
    )


def footnotes(rating: Rating) -> list[str]:
    """One per downgrade and per override; one naming the domains not assessed."""
    notes = [d.footnote for d in rating.domains if d.judgment.steps or d.override]
    unassessed = [d.domain.label for d in rating.domains if d.judgment is Judgment.NOT_ASSESSED]
    if unassessed:
        notes.append(f"Not assessed (no record to judge from): {join_words(unassessed)}.")
    notes += [f"{u.kind.replace('-', ' ').capitalize()} (+{steps}): {u.reason}" for u, steps in rating.upgrades]
    return notes


def lettered(rows: Sequence[FindingRow]) -> list[tuple[FindingRow, list[str]]]:
    """Each row with the letters of its footnotes (a, b, … z, aa …), lettered through the whole table."""
    letters, result, position = _letters(), [], 0
    for row in rows:
        result.append((row, letters[position : position + len(row.footnotes)]))
        position += len(row.footnotes)
    return result


def _letters() -> list[str]:
    single = list(string.ascii_lowercase)
    return single + [a + b for a in single for b in single]


HEADER = [
    "number",
    "statement",
    "category",
    "status",
    "studies",
    "participants",
    "studies by design",
    "direction",
    "certainty",
    "symbols",
    "footnotes",
]


def findings_as_csv(rows: Sequence[FindingRow]) -> str:
    return csv_text(
        HEADER,
        (
            [
                row.number,
                row.statement,
                row.category,
                row.status,
                row.studies,
                row.participants,
                "; ".join(map(str, row.designs)),
                row.direction,
                row.certainty,
                row.symbols,
                " | ".join(row.footnotes),
            ]
            for row in rows
        ),
    )


def findings_as_markdown(title: str, rows: Sequence[FindingRow]) -> str:
    lines = [f"# Summary of findings: {markdown_escape(title)}", ""]
    lines += [
        "| # | statement | studies (participants) | direction | status | certainty |",
        "|---|---|---|---|---|---|",
    ]
    notes = []
    for row, letters in lettered(rows):
        designs = "<br>".join(markdown_escape(str(d)) for d in row.designs) or "none"
        certainty = f"{row.symbols} {row.certainty}" if row.certainty else "—"
        marks = "".join(f"<sup>{letter}</sup>" for letter in letters)
        cells = [row.number, markdown_escape(row.statement), designs, markdown_escape(row.direction), row.status]
        lines.append("| " + " | ".join([*cells, certainty + marks]) + " |")
        notes += [f"{letter}. {markdown_escape(note)}" for letter, note in zip(letters, row.footnotes, strict=True)]
    return "\n".join([*lines, "", "## Footnotes", "", *(notes or ["None."]), ""])


def findings_as_docx(title: str, rows: Sequence[FindingRow], flagged: Sequence[tuple[str, str, list[str]]]) -> bytes:
    """A Word document: the table with lettered footnotes, then the flagged statements with their reasons
    (number, status and statement; reasons)."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.styles["Normal"].font.size = Pt(9)
    document.add_heading(f"Summary of findings: {title}", level=1)
    table = document.add_table(rows=1, cols=6)
    table.style = "Table Grid"
    for cell, name in zip(
        table.rows[0].cells,
        ["#", "Statement", "Studies (participants)", "Direction", "Status", "Certainty"],
        strict=True,
    ):
        cell.paragraphs[0].add_run(name).bold = True
    notes = []
    for row, letters in lettered(rows):
        cells = table.add_row().cells
        values = [row.number, row.statement, "\n".join(map(str, row.designs)) or "none", row.direction, row.status]
        for cell, value in zip(cells, values, strict=False):
            cell.text = value
        certainty = cells[5].paragraphs[0]
        certainty.add_run(f"{row.symbols} {row.certainty}" if row.certainty else "—")
        if letters:
            certainty.add_run(" " + ",".join(letters)).font.superscript = True
        notes += [f"{letter}. {note}" for letter, note in zip(letters, row.footnotes, strict=True)]
    document.add_heading("Footnotes", level=2)
    for note in notes or ["None."]:
        document.add_paragraph(note)
    document.add_heading("Flagged statements", level=2)
    for heading, statement, reasons in flagged:
        paragraph = document.add_paragraph()
        paragraph.add_run(heading + " ").bold = True
        paragraph.add_run(statement)
        for reason in reasons:
            document.add_paragraph(reason, style="List Bullet")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
