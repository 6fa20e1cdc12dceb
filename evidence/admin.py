"""The curators' admin: sources with their ordered authors and reports, claims with their evidence."""
from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from .models import (
    AdverseEffect,
    AdverseEffectReport,
    Article,
    Author,
    Authorship,
    Claim,
    Compound,
    Evidence,
    Source,
)
from .vocabularies import CurationStatus

admin.site.site_header = "Kratom evidence base: curation"
admin.site.site_title = "Kratom evidence curation"
admin.site.index_title = "Sources, claims and evidence"


@admin.action(description="Mark selected as reviewed", permissions=["change"])
def mark_reviewed(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    updated = queryset.exclude(curation_status=CurationStatus.REVIEWED).update(
        curation_status=CurationStatus.REVIEWED
    )
    modeladmin.message_user(request, f"{updated} marked reviewed.", messages.SUCCESS)


class RecordsWhoAddsEvidence:
    """Evidence added through an inline remembers its curator, as it does in its own admin."""

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        instances = formset.save(commit=False)
        for instance in instances:
            if isinstance(instance, Evidence) and instance.added_by_id is None:
                instance.added_by = request.user
            instance.save()
        formset.save_m2m()
        for deleted in formset.deleted_objects:
            deleted.delete()


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 1
    autocomplete_fields = ["author"]
    ordering = ["position"]
    verbose_name_plural = "authors, in order (1 = first author)"


class AdverseEffectReportInline(admin.StackedInline):
    model = AdverseEffectReport
    extra = 0
    autocomplete_fields = ["effect", "compound"]
    classes = ["collapse"]


class EvidenceOfSourceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    fields = ["claim", "stance", "finding", "curation_status"]
    autocomplete_fields = ["claim"]
    verbose_name_plural = "claims this source bears on"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("claim")


class EvidenceOfClaimInline(admin.StackedInline):
    model = Evidence
    extra = 1
    fields = [("source", "stance", "curation_status"), "finding", ("locator", "quote")]
    autocomplete_fields = ["source"]
    verbose_name_plural = "evidence (sources and what they show)"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("source")


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "pubchem_cid", "source_count"]
    search_fields = ["name", "slug", "synonyms"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(source_count=Count("sources"))

    @admin.display(description="sources", ordering="source_count")
    def source_count(self, compound: Compound) -> int:
        return compound.source_count


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["family", "given", "is_organization", "source_count"]
    list_filter = ["is_organization"]
    search_fields = ["family", "given"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(source_count=Count("authorships"))

    @admin.display(description="sources", ordering="source_count")
    def source_count(self, author: Author) -> int:
        return author.source_count


@admin.register(Source)
class SourceAdmin(RecordsWhoAddsEvidence, admin.ModelAdmin):
    list_display = [
        "key",
        "short_title",
        "authors_list",
        "year",
        "study_design",
        "population",
        "curation_status",
        "retraction_status",
        "evidence_count",
    ]
    list_filter = ["curation_status", "study_design", "population", "retraction_status", "entry_type", "compounds"]
    search_fields = ["key", "title", "doi", "pmid", "authorships__author__family", "keywords"]
    autocomplete_fields = ["compounds"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    inlines = [AuthorshipInline, AdverseEffectReportInline, EvidenceOfSourceInline]
    actions = [mark_reviewed]
    show_full_result_count = False
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["key", "entry_type", "title", "year", "month"]}),
        (
            "Publication",
            {"fields": ["container_title", ("volume", "issue", "pages"), ("publisher", "place"), "report_type", "howpublished"]},
        ),
        ("Identifiers", {"fields": ["doi", ("pmid", "pmcid"), "url"]}),
        ("Content", {"fields": ["summary", "abstract", "keywords"]}),
        (
            "Study",
            {"fields": [("study_design", "population"), ("sample_size", "sample_size_unit"), "compounds"]},
        ),
        ("Curation", {"fields": [("curation_status", "retraction_status"), "provenance", "curator_notes"]}),
        ("Record history", {"classes": ["collapse"], "fields": [("created_at", "created_by"), ("updated_at", "updated_by")]}),
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


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "site", "accessed", "claim_count"]
    search_fields = ["title", "slug", "site"]
    prepopulated_fields = {"slug": ["title"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(claim_count=Count("claims"))

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, article: Article) -> int:
        return article.claim_count


@admin.register(Claim)
class ClaimAdmin(RecordsWhoAddsEvidence, admin.ModelAdmin):
    list_display = ["short_text", "article", "start", "category", "checkworthy", "evidence_count"]
    list_filter = ["category", "checkworthy", "article", "compounds"]
    search_fields = ["text", "curator_note"]
    autocomplete_fields = ["article", "compounds"]
    list_select_related = ["article"]
    inlines = [EvidenceOfClaimInline]
    fieldsets = [
        (None, {"fields": ["article", "text", ("start", "end")]}),
        ("Classification", {"fields": [("category", "checkworthy"), "compounds", "curator_note"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).for_admin_list()

    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return str(claim)

    @admin.display(description="evidence links", ordering="evidence_count")
    def evidence_count(self, claim: Claim) -> int:
        return claim.evidence_count


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["claim", "source", "stance", "curation_status", "added_by", "updated_at"]
    list_filter = ["stance", "curation_status", "source__study_design", "claim__article"]
    search_fields = ["finding", "source__key", "source__title", "claim__text"]
    autocomplete_fields = ["claim", "source"]
    list_select_related = ["claim", "source", "added_by"]
    readonly_fields = ["added_by", "created_at", "updated_at"]
    actions = [mark_reviewed]
    show_full_result_count = False

    def save_model(self, request: HttpRequest, obj: Evidence, form, change: bool) -> None:
        if obj.added_by_id is None:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AdverseEffect)
class AdverseEffectAdmin(admin.ModelAdmin):
    list_display = ["term", "system_organ_class", "report_count"]
    list_filter = ["system_organ_class"]
    search_fields = ["term", "system_organ_class"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(report_count=Count("reports"))

    @admin.display(description="reports", ordering="report_count")
    def report_count(self, effect: AdverseEffect) -> int:
        return effect.report_count


@admin.register(AdverseEffectReport)
class AdverseEffectReportAdmin(admin.ModelAdmin):
    list_display = ["effect", "compound", "source", "setting", "cases", "severity", "causality"]
    list_filter = ["setting", "severity", "causality", "compound", "effect__system_organ_class"]
    search_fields = ["effect__term", "source__key", "source__title", "notes"]
    autocomplete_fields = ["source", "effect", "compound"]
    list_select_related = ["effect", "compound", "source"]
