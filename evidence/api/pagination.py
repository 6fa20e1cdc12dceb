"""Cursor pagination: `next` and `previous` links carry an opaque cursor; clients follow them, never build them.

The cursor holds a position in the list's order today (the sources' sorts include relevance, which no
keyset can follow); being opaque, it may become a keyset later without breaking a client. No page
counts all rows: a list's `count`, where the page shows one, comes from the view.
"""

from __future__ import annotations

import base64
import binascii

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o={offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        name, _, value = text.partition("=")
        offset = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        name, offset = "", -1
    if name != "o" or offset < 0 or offset > 10**9:
        raise ValidationError({"cursor": "This cursor is not one the API gave: follow the `next` link."})
    return offset


class OpaqueCursorPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(self, queryset, request, view=None) -> list:
        self.request = request
        self.offset = decode_cursor(request.query_params[self.cursor_query_param]) if self.has_cursor() else 0
        self.size = self.page_size()
        rows = list(queryset[self.offset : self.offset + self.size + 1])  # one more: is there a next page?
        self.has_next = len(rows) > self.size
        return rows[: self.size]

    def has_cursor(self) -> bool:
        return bool(self.request.query_params.get(self.cursor_query_param))

    def page_size(self) -> int:
        value = self.request.query_params.get(self.page_size_query_param, "")
        if not value:
            return PAGE_SIZE
        if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
            raise ValidationError({self.page_size_query_param: f"A whole number from 1 to {MAX_PAGE_SIZE}."})
        return int(value)

    def link(self, offset: int | None) -> str | None:
        if offset is None:
            return None
        url = self.request.build_absolute_uri()
        if offset == 0:
            return remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, encode_cursor(offset))

    def links(self) -> dict:
        previous = max(0, self.offset - self.size) if self.offset else None
        return {
            "next": self.link(self.offset + self.size if self.has_next else None),
            "previous": self.link(previous),
        }

    def get_paginated_response(self, data, **extra) -> Response:
        return Response({**self.links(), **extra, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        nullable_url = {"type": ["string", "null"], "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": nullable_url, "previous": nullable_url, "results": schema},
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "in": "query",
                "required": False,
                "description": "Opaque: taken from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "in": "query",
                "required": False,
                "description": f"Results per page (default {PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
