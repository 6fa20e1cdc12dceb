"""What every page's template may use."""

from .bibliography.formats import EXPORT_FORMATS
from .bibliography.styles import common


def bibliography(request) -> dict:
    """The download formats and citation styles, for the export links any page may show."""
    files = {name: export for name, export in EXPORT_FORMATS.items() if name in FILE_FORMATS}
    return {"file_formats": files, "style_names": common()}


# The formats offered as files; formatted references are offered per citation style.
FILE_FORMATS = ("bibtex", "bibtex-utf8", "ris", "csljson", "csv")
