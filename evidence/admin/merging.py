"""The merge page of two sources (admin:evidence_source_merge): both side by side, a radio for each field on
which they differ, what would move, then Merge or Not duplicates. The rules are evidence/merging.py's."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ..merging import (
    MergeRefused,
    Side,
    default_survivor,
    mark_not_duplicates,
    merge_sources,
    preview,
)
from ..models import MergedSource, NotDuplicates, Source
from .readonly import ReadOnlyRecords

LEFT, RIGHT = "left", "right"


def merge_url(one: int, other: int) -> str:
    return reverse("admin:evidence_source_merge") + f"?a={one}&b={other}"


@admin.action(description="Merge two selected sources", permissions=["change", "delete"])
def merge_two(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset) -> HttpResponse | None:
    """Opens the merge page of the two selected sources; any other number is refused with a message."""
    picked = list(queryset.order_by("pk").values_list("pk", flat=True)[:3])
    if len(picked) != 2:
        chosen = "one source" if len(picked) == 1 else "more than two sources"
        modeladmin.message_user(
            request, f"Select exactly two sources to merge (you selected {chosen}).", messages.WARNING
        )
        return None
    return HttpResponseRedirect(merge_url(*picked))


class MergesSources:
    """Adds the merge page to a model admin of sources."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.merge_view)
        return [path("merge/", view, name="evidence_source_merge"), *super().get_urls()]

    def merge_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_change_permission(request) and self.has_delete_permission(request)):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else request.GET
        # The page posts its columns in the order it drew them (a = left); only a fresh page orders them.
        pair = self._pair(request, data.get("a"), data.get("b"), as_drawn=request.method == "POST")
        if pair is None:
            return HttpResponseRedirect(reverse("admin:evidence_source_changelist"))
        left, right = pair
        if request.method == "POST" and "not_duplicates" in request.POST:
            created = mark_not_duplicates(left, right, request.user)
            said = "marked" if created else "already marked"
            self.message_user(
                request,
                f"{left.key} and {right.key} {said} not duplicates: imports and the same-title check leave the "
                "pair alone.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:evidence_source_changelist"))
        if request.method == "POST":
            return self._merge(request, left, right)
        return self._page(request, left, right)

    def _pair(self, request: HttpRequest, a, b, as_drawn: bool = False) -> tuple[Source, Source] | None:
        """The two sources (the default survivor first, unless `as_drawn`), or None with a message saying
        what is wrong."""
        try:
            ids = [int(a), int(b)]
        except (TypeError, ValueError):
            self.message_user(request, "Select exactly two sources to merge.", messages.WARNING)
            return None
        if ids[0] == ids[1]:
            self.message_user(
                request, "The same source was picked twice: select two different sources.", messages.WARNING
            )
            return None
        found = Source.objects.in_bulk(ids)
        if len(found) != 2:
            self.message_user(request, "One of the two sources no longer exists (merged or deleted).", messages.ERROR)
            return None
        return (found[ids[0]], found[ids[1]]) if as_drawn else default_survivor(found[ids[0]], found[ids[1]])

    def _page(self, request: HttpRequest, left: Source, right: Source, error: str = "", status: int = 200):
        shown = preview(left, right)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Merge {left.key} and {right.key}",
            "left": left,
            "right": right,
            "preview": shown,
            "error": error,
            "chosen": request.POST if error else {},
        }
        return TemplateResponse(request, "admin/evidence/source/merge.html", context, status=status)

    def _merge(self, request: HttpRequest, left: Source, right: Source) -> HttpResponse:
        keep = request.POST.get("keep", LEFT)
        try:
            left.version = int(request.POST["left_version"])
            right.version = int(request.POST["right_version"])
        except (KeyError, ValueError):
            return self._page(request, left, right, "The form was incomplete: nothing was merged.", status=400)
        survivor, merged = (left, right) if keep != RIGHT else (right, left)
        survivor_column = LEFT if survivor is left else RIGHT
        # One radio per field that differed when the page was drawn: field_<name> = left | right.
        choices = {
            key.removeprefix("field_"): Side.SURVIVOR if value == survivor_column else Side.MERGED
            for key, value in request.POST.items()
            if key.startswith("field_")
        }
        try:
            summary = merge_sources(survivor, merged, choices, request.user)
        except MergeRefused as refused:
            # Drawn again from the records as they are now, so the page offers their current versions.
            pair = self._pair(request, left.pk, right.pk, as_drawn=True)
            if pair is None:
                return HttpResponseRedirect(reverse("admin:evidence_source_changelist"))
            return self._page(request, *pair, str(refused), status=409)
        self.message_user(request, summary.message(), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:evidence_source_change", args=[survivor.pk]))


@admin.register(MergedSource)
class MergedSourceAdmin(ReadOnlyRecords, admin.ModelAdmin):
    """Every merge, written by the merge page: which key went into which source, and the old history."""

    list_display = ["key", "survivor", "merged_by", "merged_at", "counted_as_duplicate", "old_history"]
    list_select_related = ["survivor", "merged_by"]
    search_fields = ["key", "title", "survivor__key"]
    date_hierarchy = "merged_at"

    @admin.display(description="merged record's history")
    def old_history(self, record: MergedSource) -> str:
        return format_html(
            '<a href="{}">history of {}</a>', reverse("admin:evidence_source_history", args=[record.old_id]), record.key
        )


@admin.register(NotDuplicates)
class NotDuplicatesAdmin(admin.ModelAdmin):
    """Pairs marked on the merge page; deleting one lets imports and the same-title check flag the pair again."""

    list_display = ["first", "second", "marked_by", "marked_at"]
    list_select_related = ["first", "second", "marked_by"]
    search_fields = ["first__key", "second__key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # marked from the merge page, where the two are seen side by side

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
