"""Errors as RFC 9457 problem details (application/problem+json), each kind with a stable `type`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_BASE = "/api/v1/problems/"


class ProblemJSONRenderer(JSONRenderer):
    media_type = "application/problem+json"


def api_error(name: str, status_code: int, code: str, detail: str) -> type[exceptions.APIException]:
    """An error of our own, with its status, its problem type's code and its default message."""
    attributes = {"status_code": status_code, "default_code": code, "default_detail": detail}
    return type(name, (exceptions.APIException,), attributes)


PreconditionFailed = api_error(
    "PreconditionFailed",
    status.HTTP_412_PRECONDITION_FAILED,
    "stale-write",
    "The record changed since you read it: GET it again, then send its new ETag in If-Match.",
)
PreconditionRequired = api_error(
    "PreconditionRequired",
    status.HTTP_428_PRECONDITION_REQUIRED,
    "if-match-required",
    "A write must say which version it changes: send the ETag of your GET in If-Match.",
)
InUse = api_error(
    "InUse", status.HTTP_409_CONFLICT, "in-use", "Other records refer to this one: remove or move them first."
)
ContentTooLarge = api_error(
    "ContentTooLarge",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "too-large",
    "The request is larger than this endpoint accepts.",
)


# The `type` of each error, from DRF's code for it: clients branch on these, so they never change.
PROBLEM_TYPES = {
    "invalid": "validation-error",
    "parse_error": "malformed-request",
    "authentication_failed": "authentication-failed",
    "not_authenticated": "not-authenticated",
    "permission_denied": "permission-denied",
    "not_found": "not-found",
    "method_not_allowed": "method-not-allowed",
    "not_acceptable": "not-acceptable",
    "unsupported_media_type": "unsupported-media-type",
    "throttled": "rate-limited",
    "stale-write": "stale-write",
    "if-match-required": "if-match-required",
    "too-large": "too-large",
    "in-use": "in-use",
}

TITLES = {
    "validation-error": "The request has invalid fields",
    "malformed-request": "The request body could not be read",
    "authentication-failed": "The credentials were not accepted",
    "not-authenticated": "Authentication is required",
    "permission-denied": "You may not do this",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "not-acceptable": "No representation matches the Accept header",
    "unsupported-media-type": "Unsupported request body type",
    "rate-limited": "Too many requests",
    "stale-write": "The record changed since you read it",
    "if-match-required": "If-Match is required",
    "too-large": "The request is too large",
    "in-use": "The record is in use",
    "error": "The request failed",
}


def problem_type(name: str) -> str:
    return PROBLEM_BASE + name


def problem_exception_handler(error, context):
    """DRF's handler, with every error it answers turned into a problem document."""
    if isinstance(error, Http404):
        error = exceptions.NotFound(str(error) or None)
    elif isinstance(error, PermissionDenied):
        error = exceptions.PermissionDenied()
    elif isinstance(error, ProtectedError | RestrictedError):
        names = sorted({str(obj._meta.verbose_name_plural) for obj in error.protected_objects if hasattr(obj, "_meta")})
        error = InUse(f"{InUse.default_detail[:-1]} ({', '.join(names)}).")
    response = exception_handler(error, context)
    if response is None:
        return None
    name = _problem_name(error)
    body = {"type": problem_type(name), "title": TITLES.get(name, TITLES["error"]), "status": response.status_code}
    if isinstance(error, exceptions.ValidationError):
        body["detail"] = "See `errors`: each names the field it is about."
        body["errors"] = list(field_errors(error.detail))
    else:
        body["detail"] = str(error.detail) if hasattr(error, "detail") else str(error)
    request = context.get("request")
    if request is not None:
        body["instance"] = request.path
        # A problem is JSON whatever was asked for (an Accept of BibTeX included).
        request.accepted_renderer = ProblemJSONRenderer()
        request.accepted_media_type = ProblemJSONRenderer.media_type
    return Response(body, status=response.status_code, headers=_kept_headers(response))


def _problem_name(error) -> str:
    codes = error.get_codes() if isinstance(error, exceptions.APIException) else None
    if isinstance(error, exceptions.ValidationError):
        return "validation-error"
    code = codes if isinstance(codes, str) else getattr(error, "default_code", "error")
    return PROBLEM_TYPES.get(code, "error")


def _kept_headers(response) -> dict:
    return {name: response[name] for name in ("WWW-Authenticate", "Retry-After", "Allow") if response.has_header(name)}


def field_errors(detail, prefix: str = ""):
    """Flatten DRF's nested error detail into {"field": "title", "detail": "…"} items (field None: the whole body)."""
    if isinstance(detail, dict):
        for name, inner in detail.items():
            field = None if name in ("non_field_errors", "__all__") else f"{prefix}{name}"
            yield from field_errors(inner, f"{field}." if field else prefix)
    elif isinstance(detail, list):
        for index, inner in enumerate(detail):
            if isinstance(inner, dict | list):
                yield from field_errors(inner, f"{prefix}{index}.")
            else:
                yield from field_errors(inner, prefix)
    else:
        yield {"field": prefix.rstrip(".") or None, "detail": str(detail), "code": getattr(detail, "code", "invalid")}


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}


def document_problems(result, generator, request, public):
    """drf-spectacular hook: every operation may answer a 4XX problem document."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {
        "description": "An error, as RFC 9457 problem details.",
        "content": {ProblemJSONRenderer.media_type: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            operation.setdefault("responses", {}).setdefault("4XX", problem)
            security = operation.get("security")
            if method == "get" and security and {} not in security:
                security.append({})  # reads are public, like the pages
    return result


def problem_response(name: str, status_code: int, instance: str, detail: str = "") -> JsonResponse:
    """A problem document answered outside DRF's views (unknown URLs, refused request input)."""
    body = {"type": problem_type(name), "title": TITLES[name], "status": status_code, "instance": instance}
    if detail:
        body["detail"] = detail
    return JsonResponse(body, status=status_code, content_type=ProblemJSONRenderer.media_type)


def api_aware_not_found(request, exception):
    """A URL under /api/ that matches no endpoint gets a problem document; a page URL, the 404 page."""
    if request.path.startswith("/api/"):
        return problem_response("not-found", 404, request.path)
    return page_not_found(request, exception)
