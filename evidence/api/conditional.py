"""ETags, Cache-Control and If-Match: conditional GETs, and optimistic locking as HTTP preconditions."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.response import Response

from .problems import PreconditionFailed, PreconditionRequired

# Like the pages, which are rendered afresh for every request: a cache may keep a response but must ask
# again each time; the ETag makes asking again cheap (304, no body).
CACHE_CONTROL = "no-cache"


def etag_of(data) -> str:
    """A strong ETag of a representation's data: any change a reader could see changes it."""
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def require_current(request, current_etag: str) -> None:
    """412 when If-Match names another version than the current one; 428 when a write names none."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    if header.strip() != "*" and current_etag not in parse_etags(header):
        raise PreconditionFailed()


class ConditionalResponses:
    """A view mixin: JSON answers carry an ETag (a GET with If-None-Match of it gets 304) and Cache-Control."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Accept"])
        representation = request.method in ("GET", "HEAD", "PUT", "PATCH") and status.is_success(response.status_code)
        if not (representation and isinstance(response, Response) and response.data is not None):
            return response
        response["ETag"] = etag_of(response.data)
        if request.method in ("GET", "HEAD"):
            response["Cache-Control"] = CACHE_CONTROL
            return get_conditional_response(request, etag=response["ETag"], response=response) or response
        return response


class PreconditionedWrites:
    """A model view set mixin: PUT, PATCH and DELETE must send the ETag they read (If-Match); the row is
    locked while it is compared and written, so two writers of one version cannot both succeed."""

    def locked_object(self):
        instance = self.get_object()
        rows = type(instance).objects.filter(pk=instance.pk).order_by()
        list(rows.select_for_update().values_list("pk", flat=True))
        fresh = self.get_object()  # read again under the lock
        require_current(self.request, etag_of(self.get_serializer(fresh).data))
        return fresh

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        return Response(self.get_serializer(self.get_object()).data)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            self.perform_destroy(self.locked_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
