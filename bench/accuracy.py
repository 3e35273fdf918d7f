"""Accuracy benchmark: the real readers on generated documents they have never seen.

    .venv/bin/python bench/accuracy.py SEED N [--stats M] [--formats docx,lo-pdf,rl-pdf]
                                       [--out DIR] [--workers 2] [--examples 10]
    .venv/bin/python bench/accuracy.py --dir tests/fixtures/variety   # a set already written

Generates N plan documents and M statistics files from SEED with
tools/variety (gold written from the spec, never from parsing) into a
temporary folder outside the repository (or DIR), reads them with
``extractors.plans.extract_plan`` and ``extractors.stats.read_stats_file``
(the raw/reference resolver) in a process pool, and prints recall,
precision and value accuracy overall and per axis value, worst first, the
cell ledger's unaccounted count (when the readers return a ``.ledger``) and
examples of failures. Matching and scoring: tools/variety/score.py.
Exit 0 always (a measurement, not a gate); ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from tools.variety import FORMATS, REFERENCE, generate  # noqa: E402
from tools.variety.score import format_report, score_plans, score_stats  # noqa: E402

GOALS = {"recall": 0.995, "precision": 0.995, "value_accuracy": 0.99}


def _ledger_unaccounted(result) -> int | None:
    ledger = getattr(result, "ledger", None)
    if ledger is None:
        return None
    try:
        return int(ledger.summary()["unaccounted"])
    except Exception:  # a ledger of another shape: report as absent, never crash the bench
        return None


def extract_plan_file(path: str) -> dict:
    """One plan document -> plain records (a picklable dict)."""
    from extractors.plans import extract_plan

    try:
        doc = extract_plan(path)
    except Exception as e:  # UnreadableDocument, NoPlanTable, or a reader bug: all count as misses
        return {"records": [], "error": f"{type(e).__name__}: {e}", "unaccounted": None}
    recs = []
    for r in doc.records:
        recs.append(dict(
            source_file=r.source_file, indicator_name=r.indicator_name, year=r.year,
            scope=r.scope, comparator=r.comparator,
            target_value=None if r.target_value is None else str(r.target_value),
            target_value_high=None if r.target_value_high is None else str(r.target_value_high),
            target_unit=r.target_unit, target_text=r.target_text, source_page=r.source_page,
            source_table=r.source_table, source_row=r.source_row,
        ))
    return {"records": recs, "error": None, "unaccounted": _ledger_unaccounted(doc)}


_RESOLVER = None


def read_stats(path: str) -> dict:
    global _RESOLVER
    from extractors.reference import DistrictResolver, load_districts, load_metrics
    from extractors.stats import read_stats_file

    if _RESOLVER is None:
        _RESOLVER = (DistrictResolver(load_districts(REFERENCE / "districts.csv")),
                     load_metrics(REFERENCE / "metrics.csv"))
    resolver, metrics = _RESOLVER
    try:
        res = read_stats_file(path, resolver, metrics)
    except Exception as e:  # read_stats_file promises never to raise: a raise is a bug
        return {"values": [], "issues": [f"raised {type(e).__name__}: {e}"], "error": str(e),
                "unaccounted": None}
    f = res.frame
    values = list(zip(f["metric_code"].astype(str), f["district_code"].astype(str),
                      f["year"].astype(int), f["value"].astype(float), strict=True))
    issues = [f"{i.location}: {i.reason}" for i in res.issues]
    return {"values": values, "issues": issues, "error": None,
            "unaccounted": _ledger_unaccounted(res)}


def run(folder: Path, gold: dict, workers: int) -> tuple[dict, dict]:
    plan_files = [str(folder / d["source_file"]) for d in gold["plans"]]
    stat_files = [str(folder / d["source_file"]) for d in gold["stats"]]
    if workers <= 1:
        plans = [extract_plan_file(p) for p in plan_files]
        stats = [read_stats(p) for p in stat_files]
    else:
        with ProcessPoolExecutor(workers) as ex:
            plans = list(ex.map(extract_plan_file, plan_files, chunksize=1))
            stats = list(ex.map(read_stats, stat_files, chunksize=4))
    return (dict(zip((Path(p).name for p in plan_files), plans, strict=True)),
            dict(zip((Path(p).name for p in stat_files), stats, strict=True)))


def evaluate(folder: Path, gold: dict, workers: int = 1) -> dict:
    """Read every file of ``folder`` listed in ``gold``; score plans and statistics."""
    plan_res, stat_res = run(folder, gold, workers)
    out = {"plans": score_plans(gold["plans"], plan_res),
           "stats": score_stats(gold["stats"], stat_res)}
    units = [r.get("unaccounted") for r in stat_res.values()]
    known = [u for u in units if u is not None]
    out["stats"]["unaccounted"] = sum(known) if known else None
    out["stats"]["ledgers"] = len(known)
    return out


def _axes_brief(axes: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in axes.items() if v != "n/a")


def _rec_brief(r: dict | None) -> str:
    if r is None:
        return "—"
    hi = f"..{r['target_value_high']}" if r.get("target_value_high") else ""
    return (f"{r['indicator_name']}|{r['year']}|{r['scope']}: {r['comparator']} "
            f"{r['target_value']}{hi} {r['target_unit']!r} ({r.get('target_text')!r})")


def examples(result: dict, k: int, plans: bool = True) -> list[str]:
    """Up to ``k`` failures, spread over documents and kinds."""
    seen_docs, picked = set(), []
    for kind in ("missed", "wrong value", "spurious"):
        for f in result["failures"]:
            if f["kind"] != kind or (f["source_file"], kind) in seen_docs:
                continue
            seen_docs.add((f["source_file"], kind))
            picked.append(f)
            if len(picked) >= k:
                break
    lines = []
    for f in picked[:k]:
        if plans:
            gold, got = _rec_brief(f["gold"]), _rec_brief(f["got"])
            kind_ = f["gold"]["target_kind"] if f["gold"] else "?"
            lines.append(f"  [{f['kind']}] {f['source_file']} (target_kind={kind_})\n"
                         f"     axes: {_axes_brief(f['axes'])}\n     gold: {gold}\n     got : {got}")
        else:
            lines.append(f"  [{f['kind']}] {f['source_file']}\n     axes: {_axes_brief(f['axes'])}\n"
                         f"     gold: {f['gold']}\n     got : {f['got']}")
    return lines


def _figures(res: dict) -> dict:
    o = res["overall"]
    return {"gold": o.gold, "extracted": o.extracted, "matched": o.matched, "correct": o.correct,
            "recall": o.recall, "precision": o.precision, "value_accuracy": o.value_accuracy,
            "unaccounted": res.get("unaccounted"),
            "axes": {f"{a}={v}": {"docs": t.docs, "gold": t.gold, "recall": t.recall,
                                  "precision": t.precision, "value_accuracy": t.value_accuracy}
                     for (a, v), t in res["axes"].items()}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seed", type=int, nargs="?")
    ap.add_argument("n", type=int, nargs="?", default=60, help="plan documents (default 60)")
    ap.add_argument("--stats", type=int, default=30, help="statistics files (default 30)")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--out", type=Path, help="write the documents here (default: a temp dir)")
    ap.add_argument("--dir", type=Path, help="score a set already written (its gold.json)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--examples", type=int, default=10)
    ap.add_argument("--all-axes", action="store_true")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    ap.add_argument("--only", action="append", default=[], metavar="AXIS=VALUE",
                    help="score only files with this axis value (repeatable, all must hold)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    tmp = None
    if a.dir:
        folder = a.dir
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
    else:
        if a.seed is None:
            ap.error("SEED is required (or --dir)")
        formats = tuple(f for f in a.formats.split(",") if f)
        if a.out:
            folder = a.out
        else:
            tmp = tempfile.TemporaryDirectory(prefix=f"planwh-accuracy-{a.seed}-")
            folder = Path(tmp.name)
        gold = generate(a.seed, a.n, a.stats, formats, folder)
    for cond in a.only:
        axis, _, value = cond.partition("=")
        for what in ("plans", "stats"):
            gold[what] = [d for d in gold[what] if str(d["axes"].get(axis)) == value]
    t1 = time.perf_counter()
    res = evaluate(folder, gold, a.workers)
    t2 = time.perf_counter()
    top = 10_000 if a.all_axes else 15
    print(f"seed {gold['seed']} · {len(gold['plans'])} plan documents · {len(gold['stats'])} "
          f"statistics files · generated in {t1 - t0:.1f} s, read in {t2 - t1:.1f} s")
    print(format_report("plans", res["plans"], top))
    if res["plans"]["errors"]:
        for src, err in res["plans"]["errors"][:5]:
            print(f"   refused: {src}: {err}")
    print(format_report("statistics", res["stats"], top))
    p = res["plans"]["overall"]
    verdict = all(getattr(p, k) >= v for k, v in GOALS.items())
    print(f"goals (recall ≥ {GOALS['recall']}, precision ≥ {GOALS['precision']}, value accuracy ≥ "
          f"{GOALS['value_accuracy']}): plans {'PASS' if verdict else 'FAIL'}")
    if a.examples:
        axes_of = {d["source_file"]: d["axes"] for d in gold["plans"] + gold["stats"]}
        for what in ("plans", "stats"):
            worst = sorted(res[what]["per_doc"].items(), key=lambda kv: (kv[1].worst, kv[0]))
            worst = [(src, t) for src, t in worst if t.worst < 1.0][: a.examples]
            if worst:
                print(f"\nworst {what} files (recall / precision / value accuracy):")
            for src, t in worst:
                print(f"  {src}: {t.recall:.2f} / {t.precision:.2f} / {t.value_accuracy:.2f} "
                      f"(gold {t.gold})  {_axes_brief(axes_of[src])}")
        print("\nplan failures (examples):")
        print("\n".join(examples(res["plans"], a.examples)) or "  none")
        print("\nstatistics failures (examples):")
        print("\n".join(examples(res["stats"], max(3, a.examples // 2), plans=False)) or "  none")
    if a.json:
        a.json.write_text(json.dumps({"plans": _figures(res["plans"]), "stats": _figures(res["stats"])},
                                     ensure_ascii=False, indent=1), encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
