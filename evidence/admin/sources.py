"""Admin of sources, their authors and compounds."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from ..models import Author, Compound, Source
from .actions import EXPORT_ACTIONS, mark_reviewed
from .counts import counting
from .forms import SourceForm
from .grading import RiskOfBiasInline
from .imports import ImportsBibliographies
from .inlines import AdverseEffectReportInline, AuthorshipInline, EvidenceOfSourceInline, RecordsWhoAddsEvidence
from .merging import MergesSources, merge_two
from .retractions import ImportsRetractions


@admin.register(Compound)
class CompoundAdmin(counting("sources", "sources"), admin.ModelAdmin):
    ordering = ["name"]  # annotated querysets lose the model's default order
    list_display = ["name", "slug", "pubchem_cid", "related_count"]
    search_fields = ["name", "slug", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(counting("authorships", "sources"), admin.ModelAdmin):
    ordering = ["family", "given"]  # annotated querysets lose the model's default order
    list_display = ["family", "given", "is_organization", "related_count"]
    list_filter = ["is_organization"]
    search_fields = ["family", "given"]
    show_full_result_count = False


@admin.register(Source)
class SourceAdmin(MergesSources, ImportsBibliographies, ImportsRetractions, RecordsWhoAddsEvidence, SimpleHistoryAdmin):
    ordering = ["key"]  # annotated querysets lose the model's default order
    list_display = [
        "key",
        "short_title",
        "authors_list",
        "year",
        "study_design",
        "population",
        "screening_status",
        "curation_status",
        "retraction_status",
        "evidence_count",
    ]
    list_filter = [
        "screening_status",
        "curation_status",
        "study_design",
        "population",
        "retraction_status",
        "entry_type",
        "compounds",
    ]
    search_fields = ["key", "title", "doi", "pmid", "authorships__author__family", "keywords", "provenance"]
    autocomplete_fields = ["compounds"]
    # The screening status follows the screening decisions (evidence/screening.py), never a hand edit.
    readonly_fields = ["screening_status", "created_at", "created_by", "updated_at", "updated_by"]
    form = SourceForm
    inlines = [AuthorshipInline, RiskOfBiasInline, AdverseEffectReportInline, EvidenceOfSourceInline]
    actions = [mark_reviewed, merge_two, *EXPORT_ACTIONS]
    show_full_result_count = False
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["key", "entry_type", "title", "year", "month", "drawn_version"]}),
        (
            "Publication",
            {
                "fields": [
                    "container_title",
                    ("volume", "issue", "pages"),
                    ("publisher", "place"),
                    "report_type",
                    "howpublished",
                ]
            },
        ),
        ("Identifiers", {"fields": ["doi", ("pmid", "pmcid"), "url"]}),
        ("Content", {"fields": ["summary", "abstract", "keywords"]}),
        (
            "Study",
            {"fields": [("study_design", "population"), ("sample_size", "sample_size_unit"), "compounds"]},
        ),
        (
            "Curation",
            {"fields": [("screening_status", "curation_status"), "provenance", "curator_notes"]},
        ),
        (
            "Retraction, correction or concern",
            {"fields": [("retraction_status", "retraction_date"), "retraction_reason", "retraction_notice"]},
        ),
        (
            "Record history",
            {"classes": ["collapse"], "fields": [("created_at", "created_by"), ("updated_at", "updated_by")]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).for_admin_list()

    @admin.display(description="title", ordering="title")
    def short_title(self, source: Source) -> str:
        return source.title if len(source.title) <= 90 else f"{source.title[:89]}…"

    @admin.display(description="authors")
    def authors_list(self, source: Source) -> str:
        return source.author_summary

    @admin.display(description="evidence links", ordering="evidence_count")
    def evidence_count(self, source: Source) -> int:
        return source.evidence_count

    def save_model(self, request: HttpRequest, obj: Source, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        source = form.instance
        if not form.cleaned_data.get("key"):
            # The key was generated before the authors were saved; now the first author is known.
            source.key = source.generate_key()
            source.save(update_fields=["key"])
