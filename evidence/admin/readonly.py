"""Admin lists that record what happened (import logs, screening decisions): shown, never edited by hand."""

from __future__ import annotations

from django.http import HttpRequest


class ReadOnlyRecords:
    """No add, change or delete in the admin: the records are written by the code that did the work."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
