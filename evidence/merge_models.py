"""What merging duplicates leaves behind: the key of each source merged into another, which keeps answering
(a permanent redirect to the survivor), and the pairs curators marked "not duplicates", which later imports
and the admin's same-title check respect. The rules: evidence/merging.py; docs/curation.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from .identifiers import KEY_MAX_LENGTH, TITLE_KEY_LENGTH, title_key


class MergedSource(models.Model):
    """A source merged into another: its citation key redirects to the survivor for good, and its history
    stays under `old_id` (shown on the survivor's history page)."""

    key = models.CharField("merged citation key", max_length=KEY_MAX_LENGTH, unique=True)
    old_id = models.PositiveIntegerField("merged record's id", help_text="Its history is kept under this id.")
    survivor = models.ForeignKey("evidence.Source", on_delete=models.CASCADE, related_name="merged_sources")
    # The merged record's identities as the importer reads them (dedup.identities): a later import of its
    # record is matched to the survivor instead of adding the duplicate again.
    title = models.CharField(max_length=1000, help_text="The merged record's title, as it was.")
    title_key = models.CharField(max_length=TITLE_KEY_LENGTH, blank=True, db_index=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    first_author = models.CharField("first author's family name", max_length=300, blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True, db_index=True)
    pmid = models.CharField("PMID", max_length=12, blank=True, db_index=True)
    summary = models.JSONField(default=dict, help_text="What the merge moved, dropped and chose.")
    # An imported record merged away before it counted as a study: PRISMA counts it as a duplicate removed.
    counted_as_duplicate = models.BooleanField(default=False)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-merged_at", "pk"]

    def __str__(self) -> str:
        return f"{self.key} → {self.survivor_id}"

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_source_change", args=[self.survivor_id])

    def save(self, *args, **kwargs) -> None:
        self.title_key = title_key(self.title)
        super().save(*args, **kwargs)


class NotDuplicates(models.Model):
    """Two sources a curator looked at side by side and found to be different works. Stored with the lower
    id first, so a pair has one row whichever way round it was marked."""

    first = models.ForeignKey("evidence.Source", on_delete=models.CASCADE, related_name="not_duplicates_first")
    second = models.ForeignKey("evidence.Source", on_delete=models.CASCADE, related_name="not_duplicates_second")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "not duplicates"
        ordering = ["-marked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="not_duplicates_once_per_pair"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="not_duplicates_lower_id_first"),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} and {self.second_id} are different works"

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_source_change", args=[self.first_id])

    @classmethod
    def pair(cls, one_id: int, other_id: int) -> dict[str, int]:
        """The lookup of the row for two sources, whichever way round they are named."""
        return {"first_id": min(one_id, other_id), "second_id": max(one_id, other_id)}

    @classmethod
    def marked(cls, one_id: int, other_id: int) -> bool:
        return cls.objects.filter(**cls.pair(one_id, other_id)).exists()

    @classmethod
    def partners_of(cls, ids) -> set[frozenset[int]]:
        """Every marked pair among `ids`, as frozensets, in one query."""
        ids = list(ids)
        if len(ids) < 2:
            return set()
        rows = cls.objects.filter(first_id__in=ids, second_id__in=ids).values_list("first_id", "second_id")
        return {frozenset(row) for row in rows}
