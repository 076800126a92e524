"""The package structure: no import cycles, nothing imports a layer above it, no private imports.

Imports are read with :mod:`ast` from the source files, function-level (lazy) imports included,
so the test sees every dependency whether or not it runs at import time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "mltestkit": ROOT / "src" / "mltestkit",
    "pytest_mltestkit": ROOT / "pytest_plugin" / "pytest_mltestkit",
}

#: Layers from the bottom up; a module may import from its own layer or any layer below.
LAYERS: list[tuple[str, ...]] = [
    ("mltestkit._version", "mltestkit.errors", "mltestkit.results", "mltestkit.files"),
    ("mltestkit._validate", "mltestkit.deprecation", "mltestkit.stats"),
    ("mltestkit.tables",),
    ("mltestkit.metrics",),
    ("mltestkit.slicing", "mltestkit.data", "mltestkit.serving"),
    ("mltestkit.behavior",),
    ("mltestkit.config", "mltestkit.suite"),
    ("mltestkit.report",),
    ("mltestkit.render",),
    ("mltestkit.cli", "mltestkit.__main__"),
    ("mltestkit",),
    ("pytest_mltestkit",),
]


def _module_name(package: str, base: Path, path: Path) -> str:
    parts = [package, *path.relative_to(base).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out = {}
    for package, base in SOURCES.items():
        for path in sorted(base.rglob("*.py")):
            out[_module_name(package, base, path)] = path
    return out


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for _ in range(node.level - 1):
        package = package.rsplit(".", 1)[0]
    return f"{package}.{node.module}" if node.module else package


def _known(name: str) -> str | None:
    """The project module ``name`` refers to (a module, or the package of an imported name)."""
    while name and name not in MODULES:
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return name or None


def imports() -> dict[str, set[tuple[str, str]]]:
    """module -> {(imported project module, imported name or "")}, lazy imports included."""
    graph: dict[str, set[tuple[str, str]]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _known(alias.name)
                    if target:
                        graph[module].add((target, ""))
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path, node)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = _known(full) if full in MODULES else _known(base)
                    if target:
                        graph[module].add((target, "" if full in MODULES else alias.name))
    return graph


def layer_of(module: str) -> int:
    best, level = -1, None
    for i, members in enumerate(LAYERS):
        for prefix in members:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), i
    assert level is not None, f"{module} is in no layer: add it to LAYERS"
    return level


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_module_imports_a_layer_above_it():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in imports().items()
        for target, _ in targets
        if layer_of(target) > layer_of(module)
    )
    assert upward == []


def _parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_import_cycles():
    # a package's own __init__ re-exporting its modules is not a cycle with them
    graph = {
        m: {t for t, _ in targets if t != m and t not in _parents(m) and m not in _parents(t)}
        for m, targets in imports().items()
    }
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if seen.get(t) == 1:
                cycles.append([*stack[stack.index(t) :], t])
            elif t not in seen:
                visit(t)
        stack.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m)
    assert cycles == []


def test_no_module_imports_another_modules_private_names():
    private = sorted(
        f"{module} imports {name} from {target}"
        for module, targets in imports().items()
        for target, name in targets
        if name.startswith("_")
        and not name.startswith("__")
        and target != module
        and not (target.endswith("._validate") or target.endswith("._version"))
    )
    assert private == []


@pytest.mark.parametrize("package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py"))
def test_every_package_says_what_it_owns(package):
    tree = ast.parse(MODULES[package].read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc, f"{package} has no docstring"


def test_the_walk_sees_a_planted_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: an import of render from stats is found."""
    fake = dict(MODULES)
    planted = tmp_path / "planted.py"
    planted.write_text("from ..render import html\n")
    fake["mltestkit.stats.planted"] = planted
    monkeypatch.setattr(f"{__name__}.MODULES", fake)
    found = {t for t, _ in imports()["mltestkit.stats.planted"]}
    assert "mltestkit.render.html" in found
    assert layer_of("mltestkit.render.html") > layer_of("mltestkit.stats.planted")
