"""The layers of DESIGN.md section 2, read from the import graph (every ``import``, at module level or inside a
function): the core never imports reports/ (nor the command line or the API built on it), scanners/ never import
policies/, graph/ or reports/, neither policies/ nor graph/ imports reports/, and reports/ reaches the history store
for nothing but its time formats and the provenance of an answer (the result models live beside the findings
model, in seenby.history_results).  The AWS evaluation keeps one core and one memo: organisation policies cap a
request in one place, and no module of policies/aws caches on its own; nor does any module of policies/gcp."""

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


REPORTS_FROM_HISTORY = ("seenby.history.times", "seenby.history.provenance")
"""What renderers may import of the history store: how times are written, and where an answer comes from."""


def test_reports_read_result_models_not_the_history_store():
    """reports/ takes ExposureTimeline, SnapshotDiff and DocumentChange from seenby.history_results, never from
    the modules of seenby.history that compute them (exposure, diff, changes) nor the store itself."""
    wrong = [
        f"{where}: {source} imports {target}"
        for source, target, where in _edges()
        if _within(source, "seenby.reports") and _within(target, "seenby.history")
        and not _within(target, *REPORTS_FROM_HISTORY)
    ]  # fmt: skip
    assert wrong == []


def test_the_history_result_models_live_beside_the_findings_model():
    """The result models import no module of seenby.history but the provenance of an answer (so a renderer that
    reads them loads no store, evaluation or query code)."""
    assert [
        target for source, target, _ in _edges()
        if source == "seenby.history_results" and _within(target, "seenby.history")
        and target != "seenby.history.provenance"
    ] == []  # fmt: skip


def test_reports_need_no_type_checking_imports():
    """Every model a renderer takes is importable at run time: no ``if TYPE_CHECKING:`` block in reports/."""
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / "reports").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
    ]
    assert found == []


AWS = ROOT / "policies" / "aws"


def _calling(name: str) -> set[str]:
    """The modules of policies/aws that call ``name`` (as a function or method)."""
    out = set()
    for path in sorted(AWS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == name:
                    out.add(path.name)
    return out


def test_organisation_policies_cap_aws_requests_in_one_place():
    """SCPs and RCPs are applied by the core's org_caps (resource_policy.py) for every resource type, access points,
    role trust and IAM admin; explain.py only lists them layer by layer for ``why``."""
    assert _calling("org_policy_outcome") == {"resource_policy.py", "explain.py"}


def test_the_identity_side_is_decided_by_one_memo():
    """Identity policies are evaluated only through the snapshot's IdentityMemo, itself made only by AwsMemo."""
    assert _calling("identity_outcome") == {"access.py"}  # IdentityMemo.outcome
    assert _calling("IdentityMemo") == set()  # AwsMemo's default_factory, never a call of its own


GCP = ROOT / "policies" / "gcp"


def _module_level_caches(paths: list[Path]) -> list[str]:
    """Module-level bindings of an empty dict, list or set (``X = {}``, ``X: dict[...] = dict()``) in ``paths``."""
    empty = (ast.Dict, ast.List, ast.Set)
    return [
        f"{path.parent.name}/{path.name}:{node.lineno}"
        for path in paths
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        and (
            (isinstance(node.value, empty) and not getattr(node.value, "keys", getattr(node.value, "elts", None)))
            or (isinstance(node.value, ast.Call) and ast.unparse(node.value.func) in {"dict", "list", "set"})
        )
    ]


def test_the_cache_check_finds_a_module_level_cache(tmp_path):
    """A module binding an empty dict at module level (a cache that would outlive the snapshot) is found."""
    module = tmp_path / "a" / "b" / "leaves.py"
    module.parent.mkdir(parents=True)
    module.write_text('_CACHE: dict[str, int] = {}\nNAMES = {"x": 1}\nSEEN = set()\n')

    assert _module_level_caches([module]) == ["b/leaves.py:1", "b/leaves.py:3"]


def test_no_aws_module_caches_across_snapshots():
    """No module of policies/aws binds an empty dict, list or set at module level: a cache filled while
    evaluating one snapshot would outlive it (AwsMemo, one per AwsWorld, holds them)."""
    assert _module_level_caches(sorted(AWS.glob("*.py"))) == []


def test_no_gcp_module_caches_across_snapshots():
    """Nor does any module of policies/gcp: what one evaluation works out (conditions decided, role levels, the
    holders of basic roles) lives on its Context (CelMemo, Context.role_levels), made and dropped with it."""
    assert _module_level_caches(sorted(GCP.glob("*.py"))) == []
