"""The screening pages of the admin: one record at a time, undo, conflicts (dual screening), the PRISMA
diagram, and the decisions and exclusion reasons as lists. The rules live in evidence/screening.py."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from .. import prioritising, prisma, screening
from ..models import ExclusionReason, ScreeningDecision, Source
from ..vocabularies import ScreeningStage
from .lookups import AddsByIdentifier
from .readonly import ReadOnlyRecords


@admin.register(ExclusionReason)
class ExclusionReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "not_retrieved"]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(ScreeningDecision)
class ScreeningDecisionAdmin(ReadOnlyRecords, AddsByIdentifier, admin.ModelAdmin):
    """Every decision, who and when; read only (an undo withdraws, the screening page decides)."""

    list_display = ["source", "stage", "decision", "reason", "decided_by", "decided_at", "withdrawn_at"]
    list_filter = ["stage", "decision", "reason", "decided_by", "resolves_conflict"]
    list_select_related = ["source", "reason", "decided_by"]
    search_fields = ["source__key", "source__title"]
    show_full_result_count = False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("screen/", view(self.screen), name="evidence_screening"),
            path("screen/undo/", view(self.undo), name="evidence_screening_undo"),
            path("conflicts/", view(self.conflict_list), name="evidence_screening_conflicts"),
            path("prisma/", view(self.prisma_page), name="evidence_prisma"),
            path("prisma.<str:fmt>", view(self.prisma_download), name="evidence_prisma_download"),
            *super().get_urls(),
        ]

    def _check(self, request: HttpRequest) -> None:
        if not request.user.has_perm("evidence.add_screeningdecision"):
            raise PermissionDenied

    def _context(self, request: HttpRequest, title: str, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "stages": ScreeningStage.choices,
            **extra,
        }

    # --- one record at a time ------------------------------------------------------------------------

    def screen(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        stage = request.POST.get("stage") or request.GET.get("stage") or ScreeningStage.TITLE_ABSTRACT
        if stage not in ScreeningStage.values:
            stage = ScreeningStage.TITLE_ABSTRACT
        if request.method == "POST":
            return self._decide(request, stage)
        return self._show(request, stage, request.GET.get("source"), request.GET.get("resolve") == "1")

    def _show(self, request, stage: str, source_id, resolving: bool, error: str = "", status: int = 200):
        waiting = screening.queue(request.user, stage)
        record = None
        if source_id and str(source_id).isdigit():
            record = Source.objects.with_authors().filter(pk=source_id, screening_status=screening.WAITING_AT[stage])
            record = record.first()
        if record is None:
            record = prioritising.first_by_priority(waiting)
            resolving = False
        terms = screening.topic_terms()
        context = self._context(
            request,
            f"Screening: {ScreeningStage(stage).label}",
            stage=stage,
            stage_label=ScreeningStage(stage).label,
            record=record,
            waiting=waiting.count(),
            resolving=resolving,
            error=error,
            dual=settings.SCREENING_DUAL,
            reasons=ExclusionReason.objects.filter(active=True),
            maybe_allowed=stage == ScreeningStage.TITLE_ABSTRACT,
            last=screening.active_decisions().filter(decided_by=request.user).select_related("source").last(),
        )
        if record is not None:
            context.update(
                token=screening.state_token(record),
                title_marked=screening.highlight(record.title, terms),
                abstract_marked=screening.highlight(record.abstract, terms),
                keywords_marked=screening.highlight(record.keywords, terms),
                earlier=record.screening_decisions.filter(withdrawn_at__isnull=True).select_related(
                    "decided_by", "reason"
                ),
            )
        return TemplateResponse(request, "admin/evidence/screening/screen.html", context, status=status)

    def _decide(self, request: HttpRequest, stage: str) -> HttpResponse:
        source_id = request.POST.get("source", "")
        reason = request.POST.get("reason", "")
        resolving = request.POST.get("resolve") == "1"
        try:
            outcome = screening.decide(
                int(source_id) if source_id.isdigit() else 0,
                stage,
                request.POST.get("decision", ""),
                request.user,
                request.POST.get("seen", ""),
                reason_id=int(reason) if reason.isdigit() else None,
                note=request.POST.get("note", "")[:2000],
                resolves_conflict=resolving,
            )
        except screening.ScreeningError as error:
            stale = str(error).startswith("Stale")
            return self._show(request, stage, source_id, resolving, str(error), 409 if stale else 400)
        self.message_user(
            request,
            f"{outcome.source.key}: {outcome.decision.get_decision_display()} — now "
            f"{outcome.source.get_screening_status_display()}.",
        )
        return HttpResponseRedirect(reverse("admin:evidence_screening") + f"?stage={stage}")

    @method_decorator(require_POST)
    def undo(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        stage = request.POST.get("stage", ScreeningStage.TITLE_ABSTRACT)
        try:
            withdrawn = screening.undo_last(request.user)
        except screening.ScreeningError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:evidence_screening") + f"?stage={stage}")
        self.message_user(request, f"Withdrawn: your {withdrawn.decision} on {withdrawn.source.key}.")
        return HttpResponseRedirect(
            reverse("admin:evidence_screening") + f"?stage={withdrawn.stage}&source={withdrawn.source_id}"
        )

    # --- conflicts and PRISMA ------------------------------------------------------------------------

    def conflict_list(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        rows = [(stage, label, screening.conflicts(stage)) for stage, label in ScreeningStage.choices]
        context = self._context(request, "Screening conflicts", rows=rows, dual=settings.SCREENING_DUAL)
        return TemplateResponse(request, "admin/evidence/screening/conflicts.html", context)

    def prisma_page(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        counts = prisma.flow_counts(settings.SCREENING_DUAL)
        context = self._context(request, "PRISMA 2020 flow diagram", counts=counts, svg=prisma.flow_svg(counts))
        return TemplateResponse(request, "admin/evidence/screening/prisma.html", context)

    def prisma_download(self, request: HttpRequest, fmt: str) -> HttpResponse:
        self._check(request)
        if fmt not in ("svg", "png"):
            return HttpResponse("Download the diagram as prisma.svg or prisma.png.\n", status=404)
        svg = prisma.flow_svg(prisma.flow_counts(settings.SCREENING_DUAL))
        if fmt == "svg":
            response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        else:
            response = HttpResponse(prisma.svg_to_png(svg), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="prisma-flow.{fmt}"'
        return response
