"""Text-format safety shared by every download: spreadsheet cells and Markdown."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator

# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_text(header: list[str], rows: Iterable[list]) -> str:
    return "".join(csv_lines(header, rows))


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """CSV one line at a time (so large sets stream), every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in itertools.chain([header], rows):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


def markdown_escape(text: str) -> str:
    """Backslash-escape Markdown and raw-HTML characters, and keep a value on one line."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
