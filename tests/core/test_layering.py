"""The layers of DESIGN.md section 2, read from the import graph (every ``import``, at module level or inside a
function): the core never imports reports/ (nor the command line or the API built on it), scanners/ never import
policies/, graph/ or reports/, and neither policies/ nor graph/ imports reports/."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "seenby": "seenby",
    "scanners": "seenby.scanners",
    "policies": "seenby.policies",
    "graph": "seenby.graph",
    "reports": "seenby.reports",
}
APPLICATION = ("seenby.api", "seenby.cli", "seenby.cli_base", "seenby.__main__", "seenby.commands", "seenby.demo")
"""The top layer: the public API, the command line and the demo, built on everything else."""


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = [PACKAGES[rel.parts[0]], *rel.parts[1:]]
    parts[-1] = parts[-1].removesuffix(".py")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports, absolute, with its line; relative imports resolved against ``module``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, *([node.module] if node.module else [])]), node.lineno
            else:
                yield node.module or "", node.lineno


def _edges() -> list[tuple[str, str, str]]:
    """(importing module, imported module, file:line) for every import in the package."""
    out = []
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = _module(path)
            out += [(module, target, f"{path.relative_to(ROOT)}:{line}") for target, line in _imports(path, module)]
    return out


def _within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(importer: tuple[str, ...], forbidden: tuple[str, ...], *, exempt: tuple[str, ...] = ()) -> list[str]:
    return [
        f"{where}: {source} imports {target}"
        for source, target, where in _edges()
        if _within(source, *importer) and not _within(source, *exempt) and _within(target, *forbidden)
    ]


def test_the_import_graph_is_read():
    """The parser sees imports inside functions and relative imports (so the checks below can fail)."""
    edges = {(s, t) for s, t, _ in _edges()}

    assert ("seenby.explain", "seenby.policies.aws.explain") in edges  # inside explain()
    assert ("seenby.reports.audience_at", "seenby.reports.base") in edges  # from .base import …
    assert _violations(("seenby.api",), ("seenby.reports",))  # the API renders: a layer above reports/


def test_the_core_never_imports_reports_or_the_application():
    """seenby's own modules (model, snapshot, findings, audit, queries, history, importers, …) import neither
    reports/ nor the command line and API on top of them."""
    layers_of_their_own = ("seenby.scanners", "seenby.policies", "seenby.graph", "seenby.reports")
    assert _violations(("seenby",), ("seenby.reports", *APPLICATION), exempt=(*APPLICATION, *layers_of_their_own)) == []


def test_scanners_never_import_evaluation_or_reports():
    """scanners/ only read: they import no policies/, graph/ or reports/."""
    assert _violations(("seenby.scanners",), ("seenby.policies", "seenby.graph", "seenby.reports")) == []


def test_policies_and_graph_never_import_reports_or_the_application():
    """Evaluation and the graph are pure: no renderer, no command line."""
    assert _violations(("seenby.policies", "seenby.graph"), ("seenby.reports", *APPLICATION)) == []


def test_reports_never_import_the_application():
    """Renderers are called by the command line and the API, never the other way round."""
    assert _violations(("seenby.reports",), APPLICATION) == []
