"""Admin of adverse effects and the reports of them."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import AdverseEffect, AdverseEffectReport
from .counts import counting
from .versioning import VersionedForm


@admin.register(AdverseEffect)
class AdverseEffectAdmin(counting("reports", "reports"), admin.ModelAdmin):
    ordering = ["term"]  # annotated querysets lose the model's default order
    list_display = ["term", "system_organ_class", "related_count"]
    list_filter = ["system_organ_class"]
    search_fields = ["term", "system_organ_class"]


@admin.register(AdverseEffectReport)
class AdverseEffectReportAdmin(SimpleHistoryAdmin):
    form = VersionedForm
    list_display = ["effect", "compound", "source", "setting", "cases", "severity", "causality"]
    list_filter = ["setting", "severity", "causality", "compound", "effect__system_organ_class"]
    search_fields = ["effect__term", "source__key", "source__title", "notes"]
    autocomplete_fields = ["source", "effect", "compound"]
    list_select_related = ["effect", "compound", "source"]
