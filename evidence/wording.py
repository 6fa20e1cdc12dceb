"""Small helpers for sentences shown to people."""

from __future__ import annotations


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`1 claim`, `2 claims`, `2 case series` (with plural="case series")."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def join_words(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
