"""Retraction checks from the sources' admin: upload Retraction Watch's CSV, see what it changes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path

from ..retractions import RetractionFileError, import_retractions
from .forms import RetractionUploadForm


class ImportsRetractions:
    """Adds the retraction check page (admin:evidence_source_retractions) to a model admin of sources."""

    def get_urls(self):
        check = self.admin_site.admin_view(self.import_retractions)
        return [path("retractions/", check, name="evidence_source_retractions"), *super().get_urls()]

    def import_retractions(self, request: HttpRequest):
        if not self.has_change_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "Check retractions"}
        form = RetractionUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            dry_run = form.cleaned_data["dry_run"]
            try:
                context["report"] = import_retractions(form.cleaned_data["file"], request.user, dry_run)
            except RetractionFileError as error:
                form.add_error("file", str(error))
            else:
                level = messages.INFO if dry_run else messages.SUCCESS
                self.message_user(request, context["report"].summary(), level)
        context["form"] = form
        return TemplateResponse(request, "admin/evidence/source/retractions.html", context)
