"""What curators record for GRADE, inside the source and claim pages: a source's risk of bias, a claim's
domain overrides and upgrades, and the parts of a statement that asserts several things."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.forms import Textarea

from ..models import GradeOverride, GradeUpgrade, RiskOfBias, StatementPart

SHORT_TEXT = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 80})}}


class RiskOfBiasInline(admin.StackedInline):
    model = RiskOfBias
    max_num = 1
    extra = 1
    fields = [("tool", "judgment"), "reason", ("funding", "conflicts"), "industry"]
    formfield_overrides = SHORT_TEXT
    verbose_name_plural = (
        "risk of bias, funding and conflicts of interest (leave “not assessed” unless read in the paper)"
    )


class GradeOverrideForm(forms.ModelForm):
    class Meta:
        model = GradeOverride
        fields = ["domain", "judgment", "reason"]
        error_messages = {
            "reason": {"required": "An override needs its reason: readers see it beside the computed one."}
        }


class GradeOverrideInline(admin.TabularInline):
    model = GradeOverride
    form = GradeOverrideForm
    extra = 0
    fields = ["domain", "judgment", "reason"]
    formfield_overrides = SHORT_TEXT
    verbose_name_plural = "GRADE overrides (the computed judgment stays visible beside yours)"


class GradeUpgradeInline(admin.TabularInline):
    model = GradeUpgrade
    extra = 0
    fields = ["kind", "reason"]
    formfield_overrides = SHORT_TEXT
    verbose_name_plural = "GRADE upgrades for observational evidence (large effect, dose–response)"


class StatementPartInline(admin.StackedInline):
    model = StatementPart
    extra = 0
    fields = [("position", "kind"), "text", ("start", "end"), ("category", "checkworthy"), "curator_note"]
    formfield_overrides = SHORT_TEXT
    verbose_name_plural = "parts (split a statement that asserts several things; link evidence to each part)"
