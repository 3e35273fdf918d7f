"""The import graph of planwh's five packages, read with ``ast`` (imports inside
functions included): no cycle among modules, and Dagster imported only in pipelines/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGES = ("extractors", "warehouse", "expectations", "pipelines", "planwh")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations" in path.parts:  # alembic scripts, loaded by alembic
                continue
            out[_module_name(path)] = path
    return out


def _imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Every module of ``known`` that ``path`` imports, and the top-level names it imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_pkg else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> the project modules it imports, module -> every name it imports)."""
    known = modules()
    graph, raw = {}, {}
    for name, path in known.items():
        names = _imports(path, name, known)
        raw[name] = names
        graph[name] = {n for n in names if n in known and n != name}
    return graph, raw


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_graph_is_read():
    graph, _ = import_graph()
    assert "extractors.files" in graph["pipelines.sensors"]
    assert "pipelines.graph" in graph["pipelines.jobs"]


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle():
    graph, _ = import_graph()
    assert find_cycle(graph) is None


def test_dagster_only_in_pipelines():
    _, raw = import_graph()
    outside = sorted(m for m, names in raw.items()
                     if not m.startswith("pipelines")
                     and any(n == "dagster" or n.startswith(("dagster.", "dagster_"))
                             for n in names))
    assert outside == [], f"modules outside pipelines/ importing Dagster: {outside}"


CHECK_WITHOUT_DAGSTER = """
import sys
from planwh.cli import main
code = main(["check", "--raw", sys.argv[1]])
sys.exit(3 if "dagster" in sys.modules else 0)
"""


@pytest.mark.e2e  # the whole check in a subprocess: tens of seconds
def test_planwh_check_imports_no_dagster(tmp_path):
    """Every step of ``planwh check`` (reference, plans, statistics, attainment build) on a
    folder without plans, in a fresh interpreter: Dagster never imported."""
    import os
    import subprocess
    import sys

    from tests.helpers import copy_raw

    raw = copy_raw(tmp_path / "raw", plans=False, stats=True)
    env = {**os.environ, "PLANWH_DOCS_DIR": str(tmp_path / "docs"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", CHECK_WITHOUT_DAGSTER, str(raw)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "attainment" in proc.stdout  # it got as far as the attainment suite
