"""Sources as a downloadable bibliography file: the one response behind every download, public, admin or API."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

from . import styles
from .formats import EXPORT_FORMATS
from .formatted import check_style
from .sources import records_of


def bibliography_download(request: HttpRequest, sources: QuerySet, fmt: str, name: str) -> HttpResponse:
    """The sources as a file, streamed so that any number of them downloads in flat memory."""
    if fmt not in EXPORT_FORMATS:
        raise Http404(f"No bibliography format {fmt!r}: use {', '.join(EXPORT_FORMATS)}.")
    style = request.GET.get("style") or "apa"
    try:
        check_style(style)
    except styles.UnknownStyle as error:
        return HttpResponse(f"{error}\n", status=400, content_type="text/plain; charset=utf-8")
    response = bibliography_response(sources, fmt, style)
    response["Content-Disposition"] = f'attachment; filename="{name}.{EXPORT_FORMATS[fmt].extension}"'
    return response


def bibliography_response(sources: QuerySet, fmt: str, style: str = "apa") -> StreamingHttpResponse:
    """The sources written in a known format and style, streamed."""
    export = EXPORT_FORMATS[fmt]
    return StreamingHttpResponse(export.write(records_of(sources), style), content_type=export.content_type)
