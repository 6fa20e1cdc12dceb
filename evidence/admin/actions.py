"""The changelist's actions: mark reviewed, and download the selected sources in each bibliography format."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ..bibliography.downloads import bibliography_download
from ..models import Source
from ..vocabularies import CurationStatus


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


@admin.action(description="Mark selected as reviewed", permissions=["change"])
def mark_reviewed(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    updated = queryset.exclude(curation_status=CurationStatus.REVIEWED).update(curation_status=CurationStatus.REVIEWED)
    modeladmin.message_user(request, f"{updated:,} marked reviewed.", messages.SUCCESS)
