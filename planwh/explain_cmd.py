"""``planwh explain FILE [--format text|json] [--raw DIR]``: how one file was read.

Prints each table as the reader understood it (kind, column roles with their
header paths and why, header rows, continuation notes) and the fate of every
non-empty cell (in a record, structural, or an issue with its reason), ending
with the ledger's summary line ``cells N · in records R · structural S ·
issues I · unaccounted 0`` (extractors.ledger).

Plan documents (.docx, .pdf, or any other name: the format is sniffed) go
through ``extractors.plans.read_plan``; statistics files (.csv, .tsv, .txt,
.xlsx, .xlsm, .xls) through ``extractors.stats.read_stats_file`` with the
reference of ``--raw``. No Dagster here. Exit 0 when every cell is accounted
for, 1 when some are not (a reader bug), 2 when the file (or, for statistics,
the reference) cannot be read: one line on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from extractors.ledger import Fate, Ledger, TableView

EXIT_UNREADABLE = 2
STATS_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")


class _Refused(Exception):
    """The file cannot be explained: one line for stderr."""


def _plan_ledger(path: Path) -> tuple[Ledger, dict]:
    from extractors.budget import read_plan_with
    from extractors.plans import read_plan
    from extractors.records import PlanwhError

    try:
        doc = read_plan_with(read_plan, path)  # under the reader budget, like extract
    except PlanwhError as exc:
        where = f" ({exc.location})" if exc.location else ""
        raise _Refused(f"{exc.reason}{where}") from None
    info = {"kind": "plan", "format": doc.source_format, "title": doc.title,
            "plan_tables": doc.tables_found, "records": len(doc.records),
            "warnings": list(doc.warnings)}
    return doc.ledger, info


def _stats_ledger(path: Path, raw: Path) -> tuple[Ledger, dict]:
    from extractors.budget import read_stats_file
    from extractors.records import PlanwhError
    from extractors.reference import DistrictResolver, load_districts, load_metrics

    ref = raw / "reference"
    try:
        districts = load_districts(ref / "districts.csv")
        metrics = load_metrics(ref / "metrics.csv")
    except PlanwhError as exc:
        raise _Refused(f"cannot read the reference in {ref}: {exc}") from None
    except OSError as exc:
        raise _Refused(f"cannot read the reference in {ref}: {exc.strerror or exc}") from None
    result = read_stats_file(path, DistrictResolver(districts), metrics)
    ledger = result.ledger
    if ledger is None or not ledger.tables:  # refused whole (over budget, hostile, unreadable)
        errors = [i for i in result.issues if i.severity == "error"]
        if errors or ledger is None:
            raise _Refused(errors[0].reason if errors else "the file could not be read")
    info = {"kind": "statistics", "rows": len(result.frame),
            "issues": [f"{i.location}: {i.reason}" for i in result.issues]}
    return ledger, info


def explain(path: Path, raw: Path) -> tuple[Ledger, dict]:
    """The ledger of one file and a few facts about it; raises _Refused."""
    if not path.exists():
        raise _Refused("no such file")
    if not path.is_file():
        raise _Refused("not a regular file")
    if path.suffix.lower() in STATS_SUFFIXES:
        return _stats_ledger(path, raw)
    return _plan_ledger(path)


# --------------------------------------------------------------------------- text


def _short(text: str | None, n: int = 40) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= n else t[: n - 1] + "…"


def _fate_line(f: Fate) -> str:
    if f.row_end is not None:
        where = f"rows {f.row}-{f.row_end - 1} c{f.col}"
        what = f"{f.count} cells"
    elif f.row < 0:
        where, what = f"dropped #{f.col}", _short(f.text)
    else:
        where, what = f"r{f.row} c{f.col}", _short(f.text)
    line = f"    {where:<14} {f.fate:<10} {f.role:<18} {what}"
    if f.reason:
        line += f"  — {f.reason}"
    return line


def _table_text(view: TableView, fates: list[Fate], out: TextIO) -> None:
    parts = [f"table {view.table}"]
    if view.sheet:
        parts.append(f"sheet {view.sheet}")
    parts.append(view.kind or "?")
    if view.pages:
        first, last = view.pages[0], view.pages[-1]
        parts.append(f"page {first}" if first == last else f"pages {first}-{last}")
    parts.append(f"{view.n_rows} rows × {view.n_cols} columns, {view.non_empty} non-empty cells")
    out.write(" · ".join(parts) + "\n")
    if view.header_rows:
        out.write("  header rows: " + ", ".join(map(str, view.header_rows)) + "\n")
    if view.columns:
        out.write("  columns:\n")
        for col in sorted(view.columns):
            out.write(f"    {col:>3}  {view.columns[col]}\n")
    for note in view.continuations:
        out.write(f"  continuation: {note}\n")
    for note in view.notes:
        out.write(f"  note: {note}\n")
    out.write("  cells:\n")
    for f in sorted(fates, key=lambda f: (f.row, f.col)):
        out.write(_fate_line(f) + "\n")


def write_text(path: Path, ledger: Ledger, info: dict, out: TextIO) -> None:
    facts = ", ".join(f"{k} {v}" for k, v in info.items()
                      if k not in ("warnings", "issues") and v not in (None, ""))
    out.write(f"{path.name}: {facts}\n")
    by_table: dict[int, list[Fate]] = {}
    for f in ledger.fates:
        by_table.setdefault(f.table, []).append(f)
    if not ledger.tables:
        out.write("no tables\n")
    for view in ledger.tables:
        out.write("\n")
        _table_text(view, by_table.get(view.table, []), out)
    notes = info.get("warnings") or info.get("issues") or []
    if notes:
        out.write("\nissues and warnings:\n")
        for w in notes:
            out.write(f"  {w}\n")
    out.write("\n" + ledger.summary_line() + "\n")


def write_json(path: Path, ledger: Ledger, info: dict, out: TextIO) -> None:
    doc = {"file": str(path), **info, "summary_line": ledger.summary_line(), **ledger.to_dict()}
    json.dump(doc, out, ensure_ascii=False, indent=1, default=str)
    out.write("\n")


def run(args) -> int:
    """Entry point called by ``planwh.cli``."""
    path = Path(args.file)
    try:
        ledger, info = explain(path, Path(args.raw))
    except _Refused as exc:
        reason = " ".join(str(exc).split())
        print(f"planwh explain: {args.file}: {reason}", file=sys.stderr)
        return EXIT_UNREADABLE
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    try:
        (write_json if args.format == "json" else write_text)(path, ledger, info, out)
        out.flush()
    except BrokenPipeError:  # `planwh explain f | head`
        sys.stderr.close()
    return 1 if ledger.summary()["unaccounted"] else 0
