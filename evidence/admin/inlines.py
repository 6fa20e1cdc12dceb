"""Rows edited inside another record's page (authors, reports, evidence), at a fixed number of queries."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, QuerySet
from django.forms import BaseInlineFormSet, ModelForm, Textarea
from django.http import HttpRequest

from ..models import AdverseEffectReport, Authorship, Evidence, StatementPart
from .versioning import VersionedForm
from .widgets import RowAutocompleteSelect


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


class PrefetchedRowsInline:
    """Inline rows come with their related objects, so an edit page costs as many queries for 2 rows as for 200."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        related = [f.name for f in self.model._meta.concrete_fields if f.is_relation and not f.null]
        return super().get_queryset(request).select_related(*related)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = RowAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        autocomplete_fields = self.get_autocomplete_fields(request)

        class RowFormSet(formset):
            def _construct_form(self, i, **form_kwargs):
                form = super()._construct_form(i, **form_kwargs)
                for name in autocomplete_fields:
                    widget = form.fields[name].widget
                    widget = getattr(widget, "widget", widget)  # inside the admin's related-field wrapper
                    widget.chosen = getattr(form.instance, name) if getattr(form.instance, f"{name}_id") else None
                return form

        return RowFormSet


class AuthorshipForm(ModelForm):
    """The position may be left empty: the row's place in the list numbers it (first row = 1)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = "Left empty: the row's place in the list. Drag a row, or use its arrows."

    def clean_position(self):
        position = self.cleaned_data.get("position")
        row = (self.prefix or "").rsplit("-", 1)[-1]
        return int(row) + 1 if position is None and row.isdigit() else position

    def validate_constraints(self):
        """A position is checked against the list's other rows (the formset does that), not against the stored
        rows: a reorder swaps positions, which each row alone would find taken."""
        try:
            self.instance.validate_constraints(exclude={*self._get_validation_exclusions(), "position"})
        except ValidationError as error:
            self._update_errors(error)


# Past any real list's end (the importer refuses more than 5,000 authors) and within the column's range.
PARKED = 10_000


class AuthorshipFormSet(BaseInlineFormSet):
    def save(self, commit=True):
        """Rows leaving their position (moved or deleted) are first parked past the end, in one update, so
        that no row saved before another collides with the position that other is leaving."""
        leaving = [
            form.instance.pk
            for form in self.initial_forms
            if form.instance.pk and (form in self.deleted_forms or "position" in form.changed_data)
        ]
        Authorship.objects.filter(pk__in=leaving).update(position=F("position") + PARKED)
        return super().save(commit)


class AuthorshipInline(PrefetchedRowsInline, admin.TabularInline):
    form = AuthorshipForm
    formset = AuthorshipFormSet
    model = Authorship
    extra = 1
    autocomplete_fields = ["author"]
    ordering = ["position"]
    verbose_name_plural = "authors, in order (1 = first author)"

    class Media:
        js = ["evidence/author_order.js"]


class AdverseEffectReportInline(PrefetchedRowsInline, admin.StackedInline):
    form = VersionedForm
    model = AdverseEffectReport
    extra = 0
    autocomplete_fields = ["effect", "compound"]
    classes = ["collapse"]


class EvidenceOfSourceInline(PrefetchedRowsInline, admin.TabularInline):
    form = VersionedForm
    model = Evidence
    extra = 0
    fields = ["claim", "stance", "finding", "curation_status"]
    autocomplete_fields = ["claim"]
    verbose_name_plural = "claims this source bears on"


class EvidenceOfClaimInline(PrefetchedRowsInline, admin.StackedInline):
    form = VersionedForm
    model = Evidence
    extra = 1
    fields = [("source", "stance", "curation_status"), "part", "finding", ("locator", "quote")]
    autocomplete_fields = ["source"]
    verbose_name_plural = "evidence (sources and what they show; name a part when the link bears on one)"
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 80})}}

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # A link names a part of its own statement only: the menu lists this statement's parts, read once
        # for every row (a model menu would read them again for each row).
        field = formset.form.base_fields["part"]
        field.queryset = obj.parts.all() if obj else StatementPart.objects.none()
        field.choices = [("", field.empty_label), *((part.pk, str(part)) for part in field.queryset)]
        getattr(field.widget, "widget", field.widget).choices = field.choices
        return formset
