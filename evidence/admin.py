"""The curators' admin: sources with their ordered authors and reports, claims with their evidence."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, QuerySet
from django.forms import (
    ChoiceField,
    FileField,
    Form,
    HiddenInput,
    IntegerField,
    ModelChoiceField,
    ModelForm,
    Textarea,
    TextInput,
)
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from . import articles, thesaurus_admin  # noqa: F401 - registers the thesaurus entries
from .bibliography.formats import IMPORT_LABELS, UnknownFormat, parse
from .identifiers import normalised, title_key
from .importing import commit_import, plan_import
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
from .reports import assess_claim
from .suggestions import suggest_sources
from .support import Status
from .views import bibliography_download
from .vocabularies import CurationStatus, Stance
from .wording import count

admin.site.site_header = "Kratom evidence base: curation"
admin.site.site_title = "Kratom evidence curation"
admin.site.index_title = "Sources, claims and evidence"


def export_action(fmt: str, label: str):
    """An admin action that downloads the selected sources in one format."""

    def export(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet):
        selected = Source.objects.filter(pk__in=queryset.values("pk")).order_by("key")
        return bibliography_download(request, selected, fmt, "selected-sources")

    export.__name__ = f"export_{fmt}"
    return admin.action(description=f"Download selected as {label}")(export)


EXPORT_ACTIONS = [
    export_action(fmt, label)
    for fmt, label in [
        ("bibtex", "BibTeX"),
        ("ris", "RIS"),
        ("csljson", "CSL-JSON"),
        ("csv", "CSV"),
        ("text", "APA references"),
    ]
]


class BibliographyUploadForm(Form):
    file = FileField(
        label="Bibliography file",
        help_text="BibTeX (.bib), RIS (.ris), CSL-JSON (.json) or PubMed MEDLINE (.nbib, .txt).",
    )
    format = ChoiceField(
        choices=[("auto", "Tell from the content"), *IMPORT_LABELS.items()], initial="auto", label="Format"
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {settings.IMPORT_MAX_BYTES:,}. "
                "Split it into smaller files."
            )
        return upload


@admin.action(description="Mark selected as reviewed", permissions=["change"])
def mark_reviewed(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    updated = queryset.exclude(curation_status=CurationStatus.REVIEWED).update(curation_status=CurationStatus.REVIEWED)
    modeladmin.message_user(request, f"{updated:,} marked reviewed.", messages.SUCCESS)


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


class RowAutocompleteSelect(AutocompleteSelect):
    """Labels its row's chosen object from the row itself: Django's widget queries once per row."""

    chosen = None

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if self.chosen is None or selected != {str(self.chosen.pk)}:
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        label = self.choices.field.label_from_instance(self.chosen)
        options.append(self.create_option(name, self.chosen.pk, label, selected, len(options)))
        return [(None, options, 0)]


class VersionedForm(ModelForm):
    """Optimistic locking: the form carries the version it was drawn from, and saving over a newer one
    is refused with what differs, instead of silently overwriting another curator's edit."""

    drawn_version = IntegerField(widget=HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["drawn_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        drawn_from = cleaned.get("drawn_version")
        if not self.instance.pk or drawn_from is None:
            return cleaned
        # Locked until this request's transaction ends (the admin's views are atomic), so two saves of
        # the same version cannot both pass.
        # (No ordering: a default ordering through a nullable relation would put the lock on an outer join.)
        rows = type(self.instance).objects.filter(pk=self.instance.pk).order_by()
        current = rows.select_for_update(of=("self",)).first()
        if current is not None and current.version != drawn_from:
            raise ValidationError(
                stale_message(current, drawn_from, [f for f in self.changed_data if f != "drawn_version"])
            )
        return cleaned


def stale_message(current, drawn_from: int, your_changes: list[str]) -> str:
    latest = current.history.first()
    who = f"{latest.history_user} " if latest and latest.history_user else "Someone "
    when = f"at {latest.history_date:%Y-%m-%d %H:%M} UTC " if latest else ""
    meanwhile = _changed_since(current, drawn_from)
    if meanwhile:
        what = f"; they changed: {', '.join(meanwhile)}"
    else:  # no history of the version you started from: say where the saved record and your form differ
        what = f"; the saved record now differs from your form in: {', '.join(your_changes)}" if your_changes else ""
    return (
        f"{who}saved this record {when}while you were editing it (version {drawn_from} → {current.version})"
        + what
        + ". Nothing of yours was saved: reload the page to see their version, then make your changes again."
    )


def _changed_since(current, drawn_from: int) -> list[str]:
    """Names of the fields changed between the version the form was drawn from and now, from the history."""
    versions = {record.version: record for record in current.history.filter(version__gte=drawn_from)}
    old, new = versions.get(drawn_from), versions.get(current.version)
    if old is None or new is None:
        return []
    return [change.field for change in new.diff_against(old).changes if change.field != "version"]


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


class AuthorshipInline(PrefetchedRowsInline, admin.TabularInline):
    model = Authorship
    extra = 1
    autocomplete_fields = ["author"]
    ordering = ["position"]
    verbose_name_plural = "authors, in order (1 = first author)"


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
    fields = [("source", "stance", "curation_status"), "finding", ("locator", "quote")]
    autocomplete_fields = ["source"]
    verbose_name_plural = "evidence (sources and what they show)"
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 80})}}


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    ordering = ["name"]  # annotated querysets lose the model's default order
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
    ordering = ["family", "given"]  # annotated querysets lose the model's default order
    list_display = ["family", "given", "is_organization", "source_count"]
    list_filter = ["is_organization"]
    search_fields = ["family", "given"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(source_count=Count("authorships"))

    @admin.display(description="sources", ordering="source_count")
    def source_count(self, author: Author) -> int:
        return author.source_count


class SourceForm(VersionedForm):
    class Meta:
        widgets = {
            "title": Textarea(attrs={"rows": 2, "cols": 100}),
            "container_title": TextInput(attrs={"size": 80}),
            "howpublished": TextInput(attrs={"size": 80}),
            "url": TextInput(attrs={"size": 80}),
        }

    def clean(self):
        """A new source with the title and year of an existing one is refused: it is a double submit or
        a duplicate (DOI and PMID are unique already, but many records have neither)."""
        cleaned = super().clean()
        title, year = cleaned.get("title"), cleaned.get("year")
        if self.instance.pk is None and title:
            candidates = Source.objects.filter(year=year, title_key=title_key(title))
            same = [s for s in candidates if normalised(s.title) == normalised(title)]
            if same:
                raise ValidationError(
                    f"{same[0].key} already has this title and year: edit it instead of adding a second record."
                )
        return cleaned


@admin.register(Source)
class SourceAdmin(RecordsWhoAddsEvidence, SimpleHistoryAdmin):
    ordering = ["key"]  # annotated querysets lose the model's default order
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
    search_fields = ["key", "title", "doi", "pmid", "authorships__author__family", "keywords", "provenance"]
    autocomplete_fields = ["compounds"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    form = SourceForm
    inlines = [AuthorshipInline, AdverseEffectReportInline, EvidenceOfSourceInline]
    actions = [mark_reviewed, *EXPORT_ACTIONS]
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
        ("Curation", {"fields": [("curation_status", "retraction_status"), "provenance", "curator_notes"]}),
        (
            "Record history",
            {"classes": ["collapse"], "fields": [("created_at", "created_by"), ("updated_at", "updated_by")]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).for_admin_list()

    def get_urls(self):
        upload = self.admin_site.admin_view(self.import_bibliography)
        return [path("import/", upload, name="evidence_source_import"), *super().get_urls()]

    def import_bibliography(self, request: HttpRequest):
        """Upload -> preview of every entry's fate -> commit, in one transaction. The preview writes nothing;
        the commit plans again from the same bytes, so it acts on the database as it is then."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Import a bibliography"}
        form = BibliographyUploadForm()
        if request.method == "POST" and "content" in request.POST:
            return self._commit_import(request)
        if request.method == "POST":
            form = BibliographyUploadForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data["file"].read()
                try:
                    plan = plan_import(parse(data, form.cleaned_data["format"]))
                except UnknownFormat as error:
                    form.add_error("file", str(error))
                else:
                    context.update(
                        plan=plan,
                        content=base64.b64encode(data).decode(),
                        filename=form.cleaned_data["file"].name,
                        chosen_format=plan.format,
                        title=f"Import {form.cleaned_data['file'].name}: preview",
                    )
        context["form"] = form
        return TemplateResponse(request, "admin/evidence/source/import.html", context)

    def _commit_import(self, request: HttpRequest):
        try:
            data = base64.b64decode(request.POST["content"], validate=True)
            plan = plan_import(parse(data, request.POST.get("format", "auto")))
        except (ValueError, UnknownFormat, KeyError):
            self.message_user(request, "The import could not be read again: upload the file anew.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:evidence_source_import"))
        filename = request.POST.get("filename", "an upload")[:200]
        result = commit_import(
            plan, request.user, provenance=f"Imported from {filename} ({plan.format}) by {request.user}."
        )
        self.message_user(
            request,
            f"Imported {filename}: {plan.summary()}. {count(len(result.created), 'new draft record')} written, "
            f"{count(len(result.updated), 'existing record')} filled in. Batch {result.batch}: the list below.",
            messages.WARNING if plan.failed else messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:evidence_source_changelist") + f"?q={result.batch}")

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


class ArticleForm(ModelForm):
    upload = FileField(
        required=False,
        label="or upload a text file",
        help_text="UTF-8 plain text; it replaces the text above.",
    )

    class Meta:
        model = Article
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].required = False
        self.fields["text"].strip = False  # offsets point into the text exactly as given

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        try:
            if upload:
                cleaned["text"] = articles.decode_upload(upload.read())
            articles.check_text(cleaned.get("text") or "")
        except articles.ArticleTextError as error:
            raise ValidationError({"upload" if upload else "text": str(error)}) from None
        return cleaned


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Saving a new article segments it into claims; correcting its text re-anchors them."""

    ordering = ["title"]  # annotated querysets lose the model's default order
    form = ArticleForm
    list_display = ["title", "slug", "site", "accessed", "claim_count"]
    search_fields = ["title", "slug", "site"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "url", "site", "accessed", "text", "upload"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(claim_count=Count("claims"))

    @admin.display(description="claims", ordering="claim_count")
    def claim_count(self, article: Article) -> int:
        return article.claim_count

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


class LinkSourceForm(Form):
    source = ModelChoiceField(Source.objects.all())
    stance = ChoiceField(choices=Stance.choices)


@admin.register(Claim)
class ClaimAdmin(RecordsWhoAddsEvidence, SimpleHistoryAdmin):
    form = VersionedForm
    ordering = ["article", "start"]  # annotated querysets lose the model's default order
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

    def get_urls(self):
        link = self.admin_site.admin_view(self.link_source)
        return [path("<int:claim_id>/link-source/", link, name="evidence_claim_link_source"), *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        """An unsupported claim's page lists candidate sources; linking one is the curator's click."""
        claim = Claim.objects.for_review().filter(pk=object_id).first()
        extra_context = dict(extra_context or {})
        if claim and assess_claim(claim).status is Status.UNSUPPORTED:
            linked = [evidence.source_id for evidence in claim.evidence.all()]
            extra_context["suggestions"] = suggest_sources(claim.text, Source.objects.exclude(pk__in=linked))
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
            claim=claim, source=source, defaults={"stance": stance, "finding": "", "added_by": request.user}
        )
        if not created:  # a double submit, or a link made meanwhile: never a second one
            self.message_user(request, f"{source.key} is already linked to this claim.", messages.WARNING)
            return HttpResponseRedirect(claim_url)
        self.message_user(
            request,
            f"Linked {source.key} as “{evidence.get_stance_display()}”. Now write its finding in your own words.",
        )
        return HttpResponseRedirect(reverse("admin:evidence_evidence_change", args=[evidence.pk]))

    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return str(claim)

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
