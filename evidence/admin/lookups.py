"""Adding a record by DOI or PMID: look it up (evidence/lookup.py), show it, and on confirmation add it
as a screening candidate through the importer, with its PRISMA identification (database: the service)."""

from __future__ import annotations

import base64
import binascii

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from ..bibliography.importer import Action, ImportedFile, plan_import
from ..lookup import LookupFailed, look_up, read_answer, read_identifier
from ..screening import commit_identified


class AddsByIdentifier:
    """Adds the page admin:evidence_add_by_identifier to a model admin."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.add_by_identifier)
        return [path("add-by-identifier/", view, name="evidence_add_by_identifier"), *super().get_urls()]

    def add_by_identifier(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("evidence.add_source"):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Add by DOI or PMID"}
        if request.method != "POST":
            return TemplateResponse(request, "admin/evidence/screening/add_by_identifier.html", context)
        typed = request.POST.get("identifier", "")[:300]
        context["typed"] = typed
        try:
            if "content" in request.POST:
                return self._add(request, typed)
            identifier, data, parsed = look_up(typed)
        except LookupFailed as error:
            context["error"] = str(error)
            return TemplateResponse(request, "admin/evidence/screening/add_by_identifier.html", context, status=400)
        (entry,) = plan_import(parsed).entries
        context.update(identifier=identifier, entry=entry, content=base64.b64encode(data).decode())
        return TemplateResponse(request, "admin/evidence/screening/add_by_identifier.html", context)

    def _add(self, request: HttpRequest, typed: str) -> HttpResponse:
        """The confirmed record, read again from the answer the preview showed (no second request)."""
        identifier = read_identifier(typed)
        try:
            data = base64.b64decode(request.POST["content"], validate=True)
        except (binascii.Error, ValueError) as error:
            raise LookupFailed("The looked-up record could not be read back: look it up again.") from error
        parsed = read_answer(identifier, data)
        (entry,) = plan_import(parsed).entries
        if entry.action == Action.FAILED:
            raise LookupFailed(f"The record for {identifier} cannot be added: {entry.reason}.")
        if entry.action != Action.NEW:
            self.message_user(
                request, f"{identifier} is already held: {entry.reason}. Nothing added.", messages.WARNING
            )
            return HttpResponseRedirect(reverse("admin:evidence_source_change", args=[entry.existing.pk]))
        provenance = f"Fetched from {identifier.service} ({identifier})."
        origin = ImportedFile.of(data, str(identifier))
        result = commit_identified(parsed, request.user, provenance, origin, identifier.service)
        if not result.created:  # another curator added it since the preview: the commit matched theirs
            self.message_user(request, f"{identifier} was added meanwhile. Nothing added.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:evidence_source_changelist"))
        (source,) = result.created
        self.message_user(request, f"Added {source.key} ({identifier}) as a screening candidate.")
        return HttpResponseRedirect(reverse("admin:evidence_screening") + f"?stage=title-abstract&source={source.pk}")
