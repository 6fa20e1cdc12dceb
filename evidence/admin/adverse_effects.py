"""Admin of adverse effects and the reports of them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from ..models import AdverseEffect, AdverseEffectReport
from .versioning import VersionedForm


@admin.register(AdverseEffect)
class AdverseEffectAdmin(admin.ModelAdmin):
    ordering = ["term"]  # annotated querysets lose the model's default order
    list_display = ["term", "system_organ_class", "report_count"]
    list_filter = ["system_organ_class"]
    search_fields = ["term", "system_organ_class"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(report_count=Count("reports"))

    @admin.display(description="reports", ordering="report_count")
    def report_count(self, effect: AdverseEffect) -> int:
        return effect.report_count


@admin.register(AdverseEffectReport)
class AdverseEffectReportAdmin(SimpleHistoryAdmin):
    form = VersionedForm
    list_display = ["effect", "compound", "source", "setting", "cases", "severity", "causality"]
    list_filter = ["setting", "severity", "causality", "compound", "effect__system_organ_class"]
    search_fields = ["effect__term", "source__key", "source__title", "notes"]
    autocomplete_fields = ["source", "effect", "compound"]
    list_select_related = ["effect", "compound", "source"]
