"""Admin of articles, their claims and the evidence linking claims to sources."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from .. import articles
from ..models import Article, Claim, Evidence, Source
from ..query.matching import with_candidates
from ..reports import ArticleReport, statements_of
from ..support import Status
from ..vocabularies import ClaimCategory, CurationStatus, Stance
from ..wording import count
from .actions import mark_reviewed
from .counts import counting
from .forms import ArticleForm, LinkSourceForm
from .grading import GradeOverrideInline, GradeUpgradeInline, StatementPartInline
from .inlines import EvidenceOfClaimInline, RecordsWhoAddsEvidence
from .versioning import VersionedForm


@admin.register(Article)
class ArticleAdmin(counting("claims", "claims"), admin.ModelAdmin):
    """Saving a new article segments it into claims; correcting its text re-anchors them."""

    ordering = ["title"]  # annotated querysets lose the model's default order
    form = ArticleForm
    list_display = ["title", "slug", "site", "accessed", "related_count"]
    search_fields = ["title", "slug", "site"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "url", "site", "accessed", "text", "upload"]

    def save_model(self, request: HttpRequest, obj: Article, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            added = articles.add_statement_claims(obj)
            self.message_user(request, f"{count(added, 'statement')} found and added as claims, ready for linking.")
        elif "text" in form.changed_data or form.cleaned_data.get("upload"):
            self.report_reanchoring(request, articles.reanchor_claims(obj))

    def report_reanchoring(self, request: HttpRequest, result: articles.Reanchoring) -> None:
        self.message_user(
            request, f"Text corrected: {count(result.unchanged, 'claim')} unchanged, {result.moved:,} moved."
        )
        if result.lost:
            lost = format_html_join(
                "",
                '<li><a href="{}">{}</a></li>',
                ((reverse("admin:evidence_claim_change", args=[c.pk]), c.text) for c in result.lost),
            )
            self.message_user(
                request,
                format_html(
                    "{} no longer found in the text; they keep their evidence and are listed as "
                    "unanchored on the review page:<ul>{}</ul>",
                    count(len(result.lost), "claim"),
                    lost,
                ),
                messages.WARNING,
            )


@admin.register(Claim)
class ClaimAdmin(RecordsWhoAddsEvidence, SimpleHistoryAdmin):
    form = VersionedForm
    ordering = ["article", "start"]  # annotated querysets lose the model's default order
    list_display = ["short_text", "article", "start", "category", "checkworthy", "status", "evidence_count"]
    # The stored status and certainty (evidence/claim_status.py): links not yet reviewed do not count.
    list_filter = [
        "stored_status__status",
        "stored_status__certainty",
        "category",
        "checkworthy",
        "article",
        "compounds",
    ]
    search_fields = ["text", "curator_note"]
    autocomplete_fields = ["article", "compounds"]
    list_select_related = ["article", "stored_status"]
    inlines = [StatementPartInline, EvidenceOfClaimInline, GradeOverrideInline, GradeUpgradeInline]
    fieldsets = [
        (None, {"fields": ["article", "text", ("start", "end")]}),
        ("Classification", {"fields": [("category", "checkworthy"), "compounds", "curator_note"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).for_admin_list()

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:  # a new claim's category is chosen, never a silent "other" (all designs count there)
            category = form.base_fields["category"]
            category.choices = [("", "---------"), *ClaimCategory.choices]
            category.initial = None
        return form

    def get_urls(self):
        link = self.admin_site.admin_view(self.link_source)
        return [path("<int:claim_id>/link-source/", link, name="evidence_claim_link_source"), *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """An unsupported claim's page lists, above the Save buttons, the candidate sources evidence matching
        proposes (those of the public claim page); linking one as a draft is the curator's click."""
        claim = Claim.objects.for_review().filter(pk=object_id).first()
        extra_context = dict(extra_context or {})
        if claim is not None:
            (statement,) = statements_of([claim])
            if statement.status is Status.UNSUPPORTED:
                keys = with_candidates(ArticleReport(claim.article, [statement])).statements[0].candidates
                by_key = Source.objects.in_bulk(keys, field_name="key")
                extra_context["suggestions"] = [by_key[key] for key in keys if key in by_key]
                extra_context["stances"] = Stance.choices
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(require_POST)
    def link_source(self, request: HttpRequest, claim_id: int):
        claim = get_object_or_404(Claim, pk=claim_id)
        if not (self.has_change_permission(request, claim) and request.user.has_perm("evidence.add_evidence")):
            raise PermissionDenied
        claim_url = reverse("admin:evidence_claim_change", args=[claim.pk])
        form = LinkSourceForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Choose a source and a stance to link.", messages.ERROR)
            return HttpResponseRedirect(claim_url)
        source, stance = form.cleaned_data["source"], form.cleaned_data["stance"]
        evidence, created = Evidence.objects.get_or_create(
            claim=claim,
            source=source,
            part=None,
            defaults={
                "stance": stance,
                "finding": "",
                "curation_status": CurationStatus.DRAFT,
                "added_by": request.user,
            },
        )
        if not created:  # a double submit, or a link made meanwhile: never a second one
            self.message_user(request, f"{source.key} is already linked to this claim.", messages.WARNING)
            return HttpResponseRedirect(claim_url)
        self.message_user(
            request,
            f"Linked {source.key} as a draft, “{evidence.get_stance_display()}”: not counted until reviewed. "
            "Now write its finding in your own words.",
        )
        return HttpResponseRedirect(reverse("admin:evidence_evidence_change", args=[evidence.pk]))

    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return str(claim)

    @admin.display(description="status", ordering="stored_status__status")
    def status(self, claim: Claim) -> str:
        stored = getattr(claim, "stored_status", None)  # none only until its first recompute commits
        if stored is None:
            return "—"
        return (
            f"{stored.get_status_display()}, certainty {stored.certainty}"
            if stored.certainty
            else stored.get_status_display()
        )

    @admin.display(description="evidence links", ordering="evidence_count")
    def evidence_count(self, claim: Claim) -> int:
        return claim.evidence_count


@admin.register(Evidence)
class EvidenceAdmin(SimpleHistoryAdmin):
    form = VersionedForm
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
