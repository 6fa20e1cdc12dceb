"""A statement split into parts: its overall status from its parts' statuses. Pure, like support.py.

docs/flagging.md ("Statements with parts") gives the rule: one status when every checkable part has it,
"mixed" with the count of each otherwise, flagged when any part is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .support import FLAGGED, Status
from .wording import join_words

MIXED = "mixed"


@dataclass(frozen=True)
class Overall:
    status: str  # a Status value, or "mixed"
    label: str  # "supported", or "mixed: 1 supported, 1 contradicted"
    flagged: bool


def overall(statuses: Sequence[Status]) -> Overall:
    """The statement's status from its parts' (in order). Parts that assert nothing testable do not make
    a statement mixed; a statement all of whose parts are such is not checkable."""
    if not statuses:
        raise ValueError("A statement with parts has at least one part.")
    checkable = {status for status in statuses if status is not Status.NOT_CHECKABLE}
    flagged = any(status in FLAGGED for status in statuses)
    if len(checkable) <= 1:
        (status,) = checkable or {Status.NOT_CHECKABLE}
        return Overall(status.value, status.label, flagged)
    counts = Counter(statuses)
    tally = [f"{counts[status]} {status.label}" for status in Status if counts[status]]
    return Overall(MIXED, f"{MIXED}: {join_words(tally)}", flagged)
