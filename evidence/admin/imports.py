"""Importing a bibliography from the sources' admin: upload -> preview of every entry's fate -> commit."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ..bibliography.formats import UnknownFormat, parse
from ..bibliography.importer import commit_import, plan_import
from ..screening import default_database, record_identification
from ..wording import count
from .forms import BibliographyUploadForm


class ImportsBibliographies:
    """Adds the import page (admin:evidence_source_import) to a model admin of sources."""

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
                        database=form.cleaned_data["database"],
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
        database = request.POST.get("database", "").strip() or default_database(plan.format, filename)
        with transaction.atomic():  # the records and their PRISMA identification, or neither
            result = commit_import(
                plan, request.user, provenance=f"Imported from {filename} ({plan.format}) by {request.user}."
            )
            record_identification(plan, result, database, filename, request.user)
        self.message_user(
            request,
            f"Imported {filename}: {plan.summary()}. {count(len(result.created), 'new screening candidate')} "
            "written, "
            f"{count(len(result.updated), 'existing record')} filled in. Batch {result.batch}: the list below.",
            messages.WARNING if plan.failed else messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:evidence_source_changelist") + f"?q={result.batch}")
