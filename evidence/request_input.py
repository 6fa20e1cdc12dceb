"""One place that cleans request input: a control character in the path or the query is refused with a 400.

No address or filter of the site has a use for one, and PostgreSQL cannot even compare a string holding a
NUL (it raised a 500 in views and admin filters alike), so they are refused before any view runs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Tabs and line breaks are what a pasted search phrase may carry; they are whitespace, not controls.
ALLOWED_IN_QUERY = frozenset("\t\n\r")


def first_control_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    return next((char for char in text if char not in allowed and unicodedata.category(char) == "Cc"), None)


def query_parts(request: HttpRequest) -> Iterable[tuple[str, str]]:
    """Every query name and value, with how to call it in a message (a name is checked before its values)."""
    for name, values in request.GET.lists():
        yield "a query parameter's name", name
        for value in values:
            yield f"the value of the query parameter “{name}”", value


def refused_part(request: HttpRequest) -> tuple[str, str] | None:
    """Which part of the request holds a control character, and that character; None if it is clean."""
    char = first_control_character(request.path_info)
    if char is not None:
        return "the address", char
    for where, text in query_parts(request):
        char = first_control_character(text, ALLOWED_IN_QUERY)
        if char is not None:
            return where, char
    return None


class RefuseControlCharacters:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = refused_part(request)
        if refused is None:
            return self.get_response(request)
        where, char = refused
        code_point = f"U+{ord(char):04X}"
        if request.path_info.startswith("/api/"):  # API clients get the API's problem document
            from .api.problems import problem_response

            detail = f"The request holds a control character ({code_point}) in {where}."
            return problem_response("malformed-request", 400, request.path, detail)
        return render(request, "400.html", {"where": where, "code_point": code_point}, status=400)
