"""The changelist's actions: mark reviewed, and download the selected sources in each bibliography format."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.utils import bulk_update_with_history

from .. import caching, claim_status
from ..bibliography.downloads import bibliography_download
from ..models import Evidence, Source
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
    """In bulk, but each record's history says who marked it reviewed and when (an update() said nothing)."""
    changed = list(
        queryset.model.objects.filter(pk__in=queryset.values("pk")).exclude(curation_status=CurationStatus.REVIEWED)
    )
    for record in changed:
        record.curation_status = CurationStatus.REVIEWED
        record.version += 1  # as a save would: a form opened before this is stale
    # One transaction, so that the data version rises (and the statuses are recomputed) when the rows are
    # written, not before: a reader in between would cache the old rows under the new version.
    with transaction.atomic():
        bulk_update_with_history(
            changed,
            queryset.model,
            ["curation_status", "version"],
            default_user=request.user,
            default_change_reason="marked reviewed (bulk action)",
        )
        caching.changed()  # a bulk update sends no signal
        if queryset.model is Evidence:  # the links' claims now count them
            claim_status.schedule(link.claim_id for link in changed)
        elif queryset.model is Source:
            claim_status.schedule_sources(source.pk for source in changed)
    modeladmin.message_user(request, f"{len(changed):,} marked reviewed.", messages.SUCCESS)
