"""The screening stage's records: the curators' exclusion reasons, every screening decision (who, when,
withdrawn or not) and every identification of records (one per import or per record added by
identifier), from which the PRISMA flow diagram is counted. The rules: evidence/screening.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .vocabularies import Decision, ScreeningStage


class ExclusionReason(models.Model):
    """A reason to exclude a record, from the list the curators keep (admin: Exclusion reasons)."""

    name = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True, help_text="Untick to stop offering it; past decisions keep it.")
    not_retrieved = models.BooleanField(
        "means not retrieved",
        default=False,
        help_text="Full-text exclusions for this reason count as 'reports not retrieved' in the PRISMA diagram.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_exclusionreason_change", args=[self.pk])


class ScreeningDecision(models.Model):
    """One curator's include / exclude / maybe on one record at one stage. Never deleted: an undo marks it
    withdrawn, so who decided what and when stays on record."""

    source = models.ForeignKey("evidence.Source", on_delete=models.CASCADE, related_name="screening_decisions")
    stage = models.CharField(max_length=20, choices=ScreeningStage.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.ForeignKey(ExclusionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    resolves_conflict = models.BooleanField(default=False, help_text="A third decision settling a disagreement.")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["decided_at", "pk"]
        indexes = [models.Index(fields=["source", "stage"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decision=Decision.EXCLUDE) | Q(reason__isnull=False), name="exclusion_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.source_id} ({self.get_stage_display()}) by {self.decided_by}"

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_screening") + f"?stage={self.stage}&source={self.source_id}"


class Identification(models.Model):
    """Records identified by one import (or one record added by identifier), for the PRISMA diagram."""

    batch = models.CharField(max_length=40, unique=True, help_text="The import batch, as in the records' provenance.")
    database = models.CharField(max_length=200, help_text="The database or register searched, e.g. PubMed, Embase.")
    filename = models.CharField(max_length=200, blank=True)
    records = models.PositiveIntegerField(help_text="Entries in the file: the records identified.")
    duplicates = models.PositiveIntegerField(help_text="Entries matching a record already held or an earlier entry.")
    unreadable = models.PositiveIntegerField(default=0, help_text="Entries that could not be read.")
    added = models.PositiveIntegerField(help_text="New records, entered as screening candidates.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.database}: {self.records} records ({self.batch})"

    def get_absolute_url(self) -> str:
        return reverse("admin:evidence_prisma")
