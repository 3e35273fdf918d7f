"""``planwh extract FILE [--format jsonl|csv]``: one plan document's target records on stdout.

No Dagster here: this command must start as fast as the parse it wraps.
A file that cannot be parsed gives exit 2 and one line on stderr; so does a
file that is not a regular file (a FIFO, a device, a directory, a dangling
link) and a document whose reader exceeds its time or memory budget
(``extractors.budget``: PLANWH_READ_TIMEOUT, PLANWH_READ_MEMORY_MB).

``--format csv`` escapes cells that a spreadsheet would run as a formula
(OWASP "CSV injection"): a cell beginning with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading apostrophe. Numeric columns are
written as plain numbers and never escaped. JSONL is written unchanged.
"""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from typing import Any, TextIO

from extractors.records import NoPlanTable, TargetRecord, UnreadableDocument

# Cells starting with one of these are escaped in CSV output (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

EXIT_UNPARSABLE = 2

# CONTRACT section 4 fields first, then the indicator-level attributes
FIELDS = (
    "plan_id", "source_file", "source_page", "source_table", "source_row", "section",
    "task_no", "task_name", "indicator_name", "year", "scope", "target_text", "comparator",
    "target_value", "target_value_high", "target_unit",
    "indicator_id", "layout", "indicator_unit", "baseline_value", "baseline_year", "binding",
    "extraction",
)  # fmt: skip


def _json_number(v: Any) -> Any:
    """Decimal -> int when integral, else float (a JSON number either way)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def record_row(rec: TargetRecord) -> dict[str, Any]:
    """A record as an ordered dict of JSON-ready values."""
    d = rec.to_dict()
    return {k: _json_number(d[k]) for k in FIELDS}


def write_jsonl(records: list[TargetRecord], out: TextIO) -> None:
    for rec in records:
        out.write(json.dumps(record_row(rec), ensure_ascii=False) + "\n")


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: None is empty; a string a spreadsheet would take
    for a formula gets a leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(records: list[TargetRecord], out: TextIO) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS)
    for rec in records:
        row = record_row(rec)
        w.writerow([csv_cell(row[k]) for k in FIELDS])


def _fail(file: str, reason: str) -> int:
    reason = " ".join(str(reason).split())  # exactly one line
    print(f"planwh extract: {file}: {reason}", file=sys.stderr)
    return EXIT_UNPARSABLE


def run(args) -> int:
    """Entry point called by ``planwh.cli``."""
    from extractors.budget import BadBudgetSetting, Budget, display_name, extract_plan

    shown = display_name(args.file)
    try:
        doc = extract_plan(args.file, Budget.from_env())
    except BadBudgetSetting as exc:
        return _fail(shown, str(exc))
    except (UnreadableDocument, NoPlanTable) as exc:
        where = f" ({exc.location})" if exc.location else ""
        return _fail(shown, f"{exc.reason}{where}")
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    try:
        (write_csv if args.format == "csv" else write_jsonl)(doc.records, out)
        out.flush()
    except BrokenPipeError:  # `planwh extract f | head`: not an error
        sys.stderr.close()
    return 0
