"""What every page's template may use."""

from .bibliography.formats import EXPORT_FORMATS, STYLE_NAMES


def bibliography(request) -> dict:
    """The download formats and citation styles, for the export links any page may show."""
    files = {name: export for name, export in EXPORT_FORMATS.items() if name in FILE_FORMATS}
    return {"file_formats": files, "style_names": STYLE_NAMES}


# The formats offered as files; formatted references are offered per citation style.
FILE_FORMATS = ("bibtex", "ris", "csljson", "csv")
