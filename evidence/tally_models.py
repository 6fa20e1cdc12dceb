"""The tallies the home page and the adverse-effects overview read, kept up to date as the data change
(evidence/tallies.py says how): so that those pages cost the same at 100,000 sources as at 100.

- `Tally`: one figure (how many public sources have a design, study a compound, report an effect of a
  compound in an organ class, …), the sum of every source's share of it.
- `SourceTally`: a source's share of every figure, as last folded into the tallies: what to take back
  out when the source changes.
- `PendingTally`: sources written since the last fold. Database triggers add them, so that every write
  path (the admin, imports, the API, bulk inserts, raw SQL) is caught without each one saying so.
"""

from __future__ import annotations

import json

from django.db import models
from django.urls import reverse

# The figures of the adverse-effects overview (the others are the home page's): tallies.Share's kinds.
OVERVIEW_KINDS = ("reports", "cell", "cases", "stated", "severity", "term")


class Tally(models.Model):
    key = models.TextField(unique=True, help_text="The figure, as a JSON array: its kind and what it counts.")
    n = models.BigIntegerField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} = {self.n}"

    def get_absolute_url(self) -> str:
        """The page that shows the figure."""
        _, kind, *rest = json.loads(self.key) + [None]
        if kind in OVERVIEW_KINDS:
            return reverse("evidence:adverse-effects") + f"?reported_in={rest[0]}"
        return reverse("evidence:home")


class SourceTally(models.Model):
    # No foreign key: the share of a deleted source is read once more, to take it out.
    source_id = models.BigIntegerField(primary_key=True)
    share = models.TextField(help_text="JSON: [visibilities, evidence links, [[…key, n], …]] (tallies.Share).")

    def __str__(self) -> str:
        return f"source {self.source_id}'s share"

    def get_absolute_url(self) -> str:
        return source_admin_url(self.source_id)


class PendingTally(models.Model):
    source_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"source {self.source_id}, to fold"

    def get_absolute_url(self) -> str:
        return source_admin_url(self.source_id)


def source_admin_url(source_id: int) -> str:
    """By id, which a deleted source's share still has (its public page is by citation key)."""
    return reverse("admin:evidence_source_change", args=[source_id])
