"""``planwh extract FILE [--format jsonl|csv]``: one plan document's target records on stdout.

No Dagster here: this command must start as fast as the parse it wraps.
A file that cannot be parsed gives exit 2 and one line on stderr.
"""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from typing import Any, TextIO

from extractors.records import NoPlanTable, TargetRecord, UnreadableDocument

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


def write_csv(records: list[TargetRecord], out: TextIO) -> None:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(FIELDS)
    for rec in records:
        row = record_row(rec)
        w.writerow(["" if row[k] is None else row[k] for k in FIELDS])


def _fail(file: str, reason: str) -> int:
    reason = " ".join(str(reason).split())  # exactly one line
    print(f"planwh extract: {file}: {reason}", file=sys.stderr)
    return EXIT_UNPARSABLE


def run(args) -> int:
    """Entry point called by ``planwh.cli``."""
    from extractors.plans import extract_plan

    try:
        doc = extract_plan(args.file)
    except (UnreadableDocument, NoPlanTable) as exc:
        where = f" ({exc.location})" if exc.location else ""
        return _fail(args.file, f"{exc.reason}{where}")
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    try:
        (write_csv if args.format == "csv" else write_jsonl)(doc.records, out)
        out.flush()
    except BrokenPipeError:  # `planwh extract f | head`: not an error
        sys.stderr.close()
    return 0
