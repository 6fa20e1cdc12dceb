"""Text-format safety shared by every download: spreadsheet cells and Markdown."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_text(header: list[str], rows: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return out.getvalue()


def markdown_escape(text: str) -> str:
    """Backslash-escape Markdown and raw-HTML characters, and keep a value on one line."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
