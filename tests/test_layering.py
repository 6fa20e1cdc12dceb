"""Data flows one way: entry points (views, admin, management commands) import the modules below them,
never the other way round and never each other. Imports are read with `ast`, so an import inside a
function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "evidence"
ENTRY_POINTS = ("evidence.views", "evidence.admin", "evidence.management")
# What wires the entry points together may import them.
WIRING = ("evidence.urls", "evidence.apps", "evidence.settings")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every module the source imports, absolute: `from . import views` in `evidence.x` is `evidence.views`."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            target = ".".join(part for part in (base, node.module) if part)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def is_within(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == module or name.startswith(module + ".") for module in modules)


def upward_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """The entry points a module imports, other than its own (a views module may import views)."""
    if is_within(module, WIRING):
        return []
    imported = imported_modules(source, module, is_package)
    return [
        entry
        for entry in ENTRY_POINTS
        if not is_within(module, (entry,)) and any(is_within(name, (entry,)) for name in imported)
    ]


def test_no_module_imports_an_entry_point_but_its_own_and_the_wiring():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 40 and any(module_name(path) == "evidence.models" for path in modules)
    offenders = {
        module_name(path): found
        for path in modules
        if (found := upward_imports(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "source, module, is_package, expected",
    [
        ("from .views import bibliography_download", "evidence.reports", False, ["evidence.views"]),
        ("from . import views", "evidence.reports", False, ["evidence.views"]),
        ("from .. import admin", "evidence.bibliography.sources", False, ["evidence.admin"]),
        ("from ..admin.forms import SourceForm", "evidence.load.runner", False, ["evidence.admin"]),
        ("from . import admin", "evidence.bibliography", True, []),  # evidence.bibliography.admin, no entry point
        ("from . import admin", "evidence", True, ["evidence.admin"]),
        ("import evidence.management.commands.benchmark", "evidence.demo", False, ["evidence.management"]),
        ("def later():\n    from evidence import views", "evidence.search", False, ["evidence.views"]),
        ("from .views import home", "evidence.urls", False, []),
        ("from ..views import bibliography_download", "evidence.admin.actions", False, ["evidence.views"]),
        ("from evidence.admin.forms import SourceForm", "evidence.management.commands.x", False, ["evidence.admin"]),
        ("from .forms import SourceForm", "evidence.admin.sources", False, []),
        ("from . import sources", "evidence.admin", True, []),
        ("from ..bibliography.downloads import bibliography_download", "evidence.admin.actions", False, []),
        ("from .models import Source", "evidence.reports", False, []),
    ],
)
def test_upward_imports_are_found_however_they_are_written(source, module, is_package, expected):
    assert upward_imports(source, module, is_package) == expected
