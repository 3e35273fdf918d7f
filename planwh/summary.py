"""What ``planwh run`` tells people at the end: the counts in warehouse.counts'
vocabulary and where to look (the warehouse, the report, the Data Docs, the Dagster UI).
Pure: no Dagster import."""

from __future__ import annotations

import os
from pathlib import Path

from warehouse.urls import shown_url

REPORT = Path("data", "reports", "attainment.html")
DOCS = Path("data", "docs")


def where_to_look(warehouse_url: str, workdir: str | Path | None = None) -> list[tuple[str, str]]:
    """(what, where) for the outputs of a run made in ``workdir`` (default: the working
    directory), paths absolute so they can be pasted anywhere."""
    base = Path(workdir or os.getcwd()).resolve()
    docs = base / DOCS
    docs_index = docs / "index.html"
    home = os.environ.get("DAGSTER_HOME")
    ui = ("make dev" if not home or Path(home).resolve() == base / "dagster_home"
          else f"DAGSTER_HOME={home} dagster dev")
    return [
        ("warehouse", shown_url(warehouse_url)),
        ("report", str(base / REPORT)),
        ("Data Docs", str(docs_index if docs_index.exists() else docs)),
        ("Dagster UI", f"{ui}  (then http://127.0.0.1:3000)"),
    ]


def where_to_look_lines(warehouse_url: str, workdir: str | Path | None = None) -> list[str]:
    rows = where_to_look(warehouse_url, workdir)
    width = max(len(what) for what, _ in rows)
    return [f"{what.ljust(width)}  {where}" for what, where in rows]


def count_rows(counts) -> list[tuple[str, str]]:
    """(name, value) for the summary table, in the vocabulary's order and words."""
    return [(name, value) for name, value, _ in counts.lines()]
