"""Statistics accuracy on seeded yearbook tables (by hand; CI runs a small
fixed seed in tests/test_stats.py).

Generates N files from SEED with tools/make_stats_variety.py (gold from the
spec), reads each with ``extractors.stats.read_stats_file`` and prints
recall, precision and value accuracy of the rows, issue agreement, the
ledger's unaccounted cells, and the same per axis value (worst first).

    .venv/bin/python bench/stats_accuracy.py SEED N [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_stats_variety", ROOT / "tools" / "make_stats_variety.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seed", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--keep", help="write the files here instead of a temporary folder")
    args = ap.parse_args()

    from extractors.reference import DistrictResolver, load_districts, load_metrics
    from extractors.stats import read_stats_file

    ref = ROOT / "raw" / "reference"
    resolver = DistrictResolver(load_districts(ref / "districts.csv"))
    metrics = load_metrics(ref / "metrics.csv")
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="stats_accuracy_"))
    gold = _generator().generate(args.seed, args.n, out)

    totals = defaultdict(int)
    per_axis: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name, g in sorted(gold.items()):
        result = read_stats_file(out / name, resolver, metrics)
        frame = result.frame
        got = {(m, d, int(y), loc): float(v) for m, d, y, v, loc in
               frame[["metric_code", "district_code", "year", "value", "location"]]
               .itertuples(index=False)}
        want = {(m, d, y, loc): v for m, d, y, v, _u, loc in g["rows"]}
        found = set(got) & set(want)
        counts = {
            "gold": len(want), "got": len(got), "found": len(found),
            "exact": sum(got[k] == want[k] for k in found),
            "issues_ok": sorted([i.location, i.reason] for i in result.issues)
            == sorted(g["issues"]),
            "unaccounted": result.ledger.summary()["unaccounted"],
            "files": 1,
        }
        for k, v in counts.items():
            totals[k] += int(v)
            for axis, value in g["axes"].items():
                per_axis[(axis, str(value))][k] += int(v)

    def line(c) -> str:
        recall = c["found"] / c["gold"] if c["gold"] else 1.0
        precision = c["found"] / c["got"] if c["got"] else 1.0
        accuracy = c["exact"] / c["found"] if c["found"] else 1.0
        return (f"files {c['files']:4d}  recall {recall:.4f}  precision {precision:.4f}  "
                f"value accuracy {accuracy:.4f}  issues as specified {c['issues_ok']}/{c['files']}  "
                f"unaccounted {c['unaccounted']}")

    print(f"seed {args.seed}, {args.n} statistics files ({out})")
    print("overall   ", line(totals))
    ranked = sorted(per_axis.items(), key=lambda kv: (
        kv[1]["found"] / kv[1]["gold"] if kv[1]["gold"] else 1.0,
        kv[1]["issues_ok"] / kv[1]["files"]))
    for (axis, value), c in ranked[:8]:
        print(f"{axis}={value}".ljust(28)[:28], line(c))


if __name__ == "__main__":
    main()
