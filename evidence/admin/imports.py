"""Importing a bibliography from the sources' admin: upload -> preview of every entry's fate -> commit;
the import log and the API's uploads, read-only."""

from __future__ import annotations

import base64

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ..bibliography.formats import UnknownFormat
from ..bibliography.importer import (
    ImportedFile,
    ImportRefused,
    is_lock_timeout,
    plan_import,
    read_import,
)
from ..models import BibliographyUpload, ImportLog
from ..screening import commit_identified
from .forms import BibliographyUploadForm
from .readonly import ReadOnlyRecords


class ImportsBibliographies:
    """Adds the import page (admin:evidence_source_import) to a model admin of sources."""

    def get_urls(self):
        upload = self.admin_site.admin_view(self.import_bibliography)
        return [path("import/", upload, name="evidence_source_import"), *super().get_urls()]

    def import_bibliography(self, request: HttpRequest):
        """Upload -> preview of every entry's fate -> commit, in one transaction. The preview writes nothing;
        the commit reads and plans again from the same bytes, within the same limits, under the import lock,
        so it acts on the database as it is then."""
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
                    plan = plan_import(read_import(data, form.cleaned_data["format"]))
                except (UnknownFormat, ImportRefused) as error:
                    form.add_error("file", str(error))
                else:
                    context.update(
                        plan=plan,
                        content=base64.b64encode(data).decode(),
                        filename=form.cleaned_data["file"].name,
                        database=form.cleaned_data["database"],
                        chosen_format=plan.format,
                        title=f"Import {form.cleaned_data['file'].name}: preview",
                    )
        context["form"] = form
        return TemplateResponse(request, "admin/evidence/source/import.html", context)

    def _commit_import(self, request: HttpRequest):
        filename = request.POST.get("filename", "an upload")
        try:
            data = base64.b64decode(request.POST["content"], validate=True)
            parsed = read_import(data, request.POST.get("format", "auto"))
        except ImportRefused as error:
            return self._refuse(request, f"Nothing was imported. {error}")
        except (ValueError, KeyError):  # not base64, an unknown format name, no content
            return self._refuse(request, "The import could not be read again: upload the file anew.")
        origin = ImportedFile.of(data, filename)
        try:
            result = commit_identified(
                parsed,
                request.user,
                provenance=f"Imported from {origin.filename} ({parsed.format}) by {request.user}.",
                origin=origin,
                database=request.POST.get("database", ""),
            )
        except IntegrityError:  # a record saved by hand meanwhile took a DOI, PMID or key the plan wanted
            return self._refuse(
                request, "Nothing was imported: the sources changed while it was written. Commit again."
            )
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise
            return self._refuse(request, "Nothing was imported: another import is being written. Commit again shortly.")
        plan = result.plan
        level = messages.WARNING if plan.failed or result.earlier else messages.SUCCESS
        if not (result.created or result.updated):
            self.message_user(request, result.message(origin.filename), level)
            return HttpResponseRedirect(reverse("admin:evidence_source_import"))
        self.message_user(request, f"{result.message(origin.filename)} Batch {result.batch}: the list below.", level)
        return HttpResponseRedirect(reverse("admin:evidence_source_changelist") + f"?q={result.batch}")

    def _refuse(self, request: HttpRequest, message: str):
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:evidence_source_import"))


@admin.register(ImportLog)
class ImportLogAdmin(ReadOnlyRecords, admin.ModelAdmin):
    """Every committed import, as written by the importer: looked at, never edited."""

    list_display = ["committed_at", "filename", "format", "committed_by", "summary", "records", "sha256"]
    list_filter = ["format"]
    list_select_related = ["committed_by"]
    search_fields = ["filename", "sha256", "batch"]
    date_hierarchy = "committed_at"

    @admin.display(description="records of the batch")
    def records(self, log: ImportLog) -> str:
        url = reverse("admin:evidence_source_changelist") + f"?q={log.batch}"
        return format_html('<a href="{}">{}</a>', url, log.batch)


@admin.register(BibliographyUpload)
class BibliographyUploadAdmin(ReadOnlyRecords, admin.ModelAdmin):
    """Bibliographies uploaded through the API (`/api/v1/imports/`), planned and perhaps committed: looked at,
    never edited. The uploaded bytes stay out of the pages (an upload may be megabytes)."""

    list_display = ["uploaded_at", "filename", "format", "uploaded_by", "committed_at", "outcome", "content_sha256"]
    list_filter = ["format", ("committed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["uploaded_by"]
    search_fields = ["filename", "content_sha256", "uploaded_by__username"]
    date_hierarchy = "uploaded_at"
    exclude = ["content"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).defer("content")

    @admin.display(description="outcome")
    def outcome(self, upload: BibliographyUpload) -> str:
        """Not committed, or what the commit wrote with a link to its batch among the sources."""
        if upload.result is None:
            return "planned, not committed"
        batch = upload.result["batch"]
        url = reverse("admin:evidence_source_changelist") + f"?q={batch}"
        created, updated = len(upload.result["created"]), len(upload.result["updated"])
        return format_html('{} created, {} updated: <a href="{}">{}</a>', created, updated, url, batch)
