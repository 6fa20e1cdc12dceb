"""Who may do what through the API: the admin's roles and model permissions, nothing new."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.throttling import AnonRateThrottle


class CanImportSources(BasePermission):
    """Importing writes sources: the `add source` permission curators have in the admin."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("evidence.add_source"))


def sees_every_source(request) -> bool:
    """Curators (the admin's `view source` permission) read every source with its screening status through
    the API; everyone else reads only `Source.objects.public()`, as on the pages."""
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.has_perm("evidence.view_source"))


class AnonymousCheckThrottle(AnonRateThrottle):
    """Anonymous callers of /check/ are rate-limited (API_CHECK_ANON_RATE); signed-in curators are not."""

    scope = "check_anonymous"

    def get_rate(self) -> str:
        return settings.API_CHECK_ANON_RATE
