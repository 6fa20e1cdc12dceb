"""Bibliographic content negotiation: `Accept: application/x-bibtex` (and RIS, CSL-JSON, a formatted
reference list) on a source or a list gives the same file the download links give."""

from __future__ import annotations

from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import BaseRenderer, JSONRenderer

from ..bibliography import styles
from ..bibliography.formatted import check_style


class BibliographyRenderer(BaseRenderer):
    """Chosen by content negotiation only: the view answers with the bibliography writer's own stream."""

    export_format = ""
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("A bibliography is written by bibliography_response, never from serialized data.")


class BibTeXRenderer(BibliographyRenderer):
    media_type, format, export_format = "application/x-bibtex", "bibtex", "bibtex"


class RISRenderer(BibliographyRenderer):
    media_type, format, export_format = "application/x-research-info-systems", "ris", "ris"


class CSLJSONRenderer(BibliographyRenderer):
    media_type, format, export_format = "application/vnd.citationstyles.csl+json", "csljson", "csljson"


class ReferenceListRenderer(BibliographyRenderer):
    """`text/x-bibliography; style=apa` (as doi.org answers it): a formatted reference list."""

    media_type, format, export_format = "text/x-bibliography", "text", "text"


BIBLIOGRAPHY_RENDERERS = [BibTeXRenderer, RISRenderer, CSLJSONRenderer, ReferenceListRenderer]
SOURCE_RENDERERS = [JSONRenderer, *BIBLIOGRAPHY_RENDERERS]


def style_asked(accepted_media_type: str) -> str:
    """The citation style of `text/x-bibliography; style=…` (APA when none is named)."""
    params = dict(part.strip().split("=", 1) for part in accepted_media_type.split(";")[1:] if "=" in part)
    style = params.get("style", "apa").strip('"').lower()
    try:
        check_style(style)
    except styles.UnknownStyle as error:
        raise NotAcceptable(str(error)) from None
    return style
