"""Benchmark (by hand, not CI): a 5M-row tidy statistics CSV into DuckDB.

planwh side: ``extractors.stats.read_stats_file`` (encoding check, layout
detection, value parsing, district/metric resolution, duplicate check) and
then ``warehouse.load.load_stats`` (``--plain``: a plain DuckDB register +
CREATE TABLE AS instead), into a fresh DuckDB file.
Baselines, each into a fresh DuckDB file:

- ``insert`` (the goal's baseline): DuckDB's own ``read_csv`` + ``INSERT INTO``
  the warehouse's ``fct_district_stat`` (same key, NOT NULL and CHECK
  constraints, made by ``create_schema``), with the least hand-written SQL that
  does the same job: names joined to codes, ``—`` dropped, ``1,234`` read.
- ``ctas``: ``CREATE TABLE AS SELECT * FROM read_csv(...)``, a floor that
  parses, resolves and enforces nothing.

Sides alternate over ``--rounds`` rounds (best of each), so load from other
processes hits all of them alike.

Each side runs in its own child process; peak RSS is read with
``resource.getrusage(RUSAGE_CHILDREN)`` after each child. Goals: time ratio
<= 1.5, peak RSS <= 2 GB.

The data is synthetic: 5,000 districts x 10 years x 100 metrics, with a
synthetic reference (names 测试区0001.., codes 900001.., metrics m000..m099) so
that every row is a distinct (metric, district, year); about 1 % of values
are missing markers and 1 % carry thousands separators.

    .venv/bin/python bench/stats.py [--rows 5000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds warehouse.py (another benchmark): keep it from shadowing the package
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
OUT = ROOT / "bench" / "out"
N_DISTRICTS, N_YEARS, FIRST_YEAR = 5_000, 10, 2016


def csv_path(rows: int) -> Path:
    return OUT / f"stats_tidy_{rows}.csv"


def generate(rows: int) -> Path:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = csv_path(rows)
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(42)
    i = np.arange(rows)
    district = i % N_DISTRICTS
    year = FIRST_YEAR + (i // N_DISTRICTS) % N_YEARS
    metric = (i // (N_DISTRICTS * N_YEARS)) % 100
    values = rng.integers(0, 2_000_000, rows).astype(str).astype(object)
    marks = rng.random(rows)
    values[marks < 0.01] = "—"
    sep = (marks >= 0.01) & (marks < 0.02)
    values[sep] = [f"{int(v):,}" for v in values[sep]]
    names = np.array([f"测试区{d + 1:04d}" for d in range(N_DISTRICTS)], dtype=object)
    table = pa.table(
        {
            "地区": pa.array(names[district], pa.string()),
            "年份": pa.array(year.astype(str), pa.string()),
            "指标": pa.array(np.char.add("m", np.char.zfill(metric.astype(str), 3)), pa.string()),
            "数值": pa.array(values, pa.string()),
            "单位": pa.array(np.full(rows, "个"), pa.string()),
        }
    )
    tmp = path.with_suffix(".tmp")
    pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
    tmp.rename(path)  # a half-written file is never reused
    return path


def reference():
    from datetime import date
    from decimal import Decimal

    from extractors.records import District, Metric

    districts = [District("900000", "测试市", "city", None, date(2000, 1, 1), None, ("全市",))]
    districts += [
        District(
            f"{900001 + d}", f"测试区{d + 1:04d}", "district", "900000", date(2000, 1, 1), None
        )
        for d in range(N_DISTRICTS)
    ]
    metrics = {
        f"m{k:03d}": Metric(f"m{k:03d}", f"指标{k:03d}", "个", "sum", scale=Decimal(1))
        for k in range(100)
    }
    return districts, metrics


def run_planwh(path: Path, db: Path, plain: bool = False) -> dict:
    import duckdb

    from extractors.reference import DistrictResolver
    from extractors.stats import read_stats_file

    districts, metrics = reference()
    t0 = time.perf_counter()
    result = read_stats_file(path, DistrictResolver(districts), metrics)
    t1 = time.perf_counter()
    if not plain:
        from warehouse.load import load_reference, load_stats
        from warehouse.schema import create_schema, make_engine

        engine = make_engine(f"duckdb:///{db}")
        create_schema(engine)
        load_reference(engine, districts, metrics)
        t1 = time.perf_counter()  # schema and reference set-up are not the file's load
        load_stats(engine, result.frame)
        loader = "warehouse.load.load_stats"
        engine.dispose()
    else:
        con = duckdb.connect(str(db))
        import pyarrow as pa

        con.register("frame", pa.Table.from_pandas(result.frame, preserve_index=False))
        con.execute("CREATE TABLE fct_district_stat AS SELECT * FROM frame")
        con.close()
        loader = "plain DuckDB register(Arrow) + CREATE TABLE AS"
    t2 = time.perf_counter()
    return {
        "rows": len(result.frame),
        "issues": len(result.issues),
        "read_s": t1 - t0,
        "load_s": t2 - t1,
        "total_s": t2 - t0,
        "loader": loader,
    }


def run_duckdb(path: Path, db: Path) -> dict:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE stats AS SELECT * FROM read_csv('{path}')")
    rows = con.execute("SELECT count(*) FROM stats").fetchone()[0]
    con.close()
    return {"rows": rows, "total_s": time.perf_counter() - t0}


INSERT_SQL = """
INSERT INTO fct_district_stat
SELECT s.指标, d.code, CAST(s.年份 AS INTEGER),
       CAST(replace(s.数值, ',', '') AS DOUBLE), s.单位, '{name}', 'row ' || s.rn,
       CAST(now() AS TIMESTAMP), CAST(now() AS TIMESTAMP), NULL, 1
FROM (SELECT *, row_number() OVER () + 1 AS rn
      FROM read_csv('{path}', all_varchar = true)) s
JOIN districts d ON d.name = s.地区
WHERE s.数值 NOT IN ('—', '-', '…', '')
"""


def run_duckdb_insert(path: Path, db: Path) -> dict:
    import duckdb
    import pyarrow as pa

    from warehouse.schema import create_schema, make_engine

    engine = make_engine(f"duckdb:///{db}")
    create_schema(engine)  # set-up, not timed (as on the planwh side)
    engine.dispose()
    districts, _ = reference()
    con = duckdb.connect(str(db))
    con.register("districts", pa.table({"name": [d.name for d in districts],
                                        "code": [d.code for d in districts]}))
    t0 = time.perf_counter()
    con.execute(INSERT_SQL.format(path=path, name=path.name))
    rows = con.execute("SELECT count(*) FROM fct_district_stat").fetchone()[0]
    con.close()
    return {"rows": rows, "total_s": time.perf_counter() - t0}


def child(side: str, path: Path, extra: tuple[str, ...] = ()) -> dict:
    db = OUT / f"bench_{side}.duckdb"
    for p in (db, Path(f"{db}.wal")):
        p.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--path", str(path), *extra],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # RUSAGE_CHILDREN is a maximum over finished children: only a new maximum is this child's
    result["peak_rss_mb"] = peak / 1024 if peak > before else None
    return result


SIDES = {"planwh": run_planwh, "insert": run_duckdb_insert, "ctas": run_duckdb}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--child", choices=sorted(SIDES))
    ap.add_argument("--path")
    ap.add_argument("--plain", action="store_true", help="plain DuckDB insert, not load_stats")
    args = ap.parse_args()
    if args.child:
        db = OUT / f"bench_{args.child}.duckdb"
        if args.child == "planwh":
            print(json.dumps(run_planwh(Path(args.path), db, args.plain)))
        else:
            print(json.dumps(SIDES[args.child](Path(args.path), db)))
        return
    t = time.perf_counter()
    path = generate(args.rows)
    size_mb = path.stat().st_size / 1e6
    print(
        f"file: {path.relative_to(ROOT)} ({args.rows:,} rows, {size_mb:.0f} MB, "
        f"ready in {time.perf_counter() - t:.1f} s)"
    )
    best: dict[str, dict] = {}
    # planwh first in round one: its peak RSS is then a new maximum over the children
    for _ in range(args.rounds):
        for side in SIDES:
            r = child(side, path, ("--plain",) if side == "planwh" and args.plain else ())
            if side not in best or r["total_s"] < best[side]["total_s"]:
                best[side] = {**r, "peak_rss_mb": r["peak_rss_mb"] or best.get(side, {}).get(
                    "peak_rss_mb")}
    p, ins, ctas = best["planwh"], best["insert"], best["ctas"]
    print(
        f"planwh : {p['total_s']:6.2f} s  (read {p['read_s']:.2f} s + load {p['load_s']:.2f} s "
        f"via {p['loader']}), {p['rows']:,} rows, {p['issues']} issues, "
        f"peak RSS {p['peak_rss_mb']:.0f} MB"
    )
    print(f"insert : {ins['total_s']:6.2f} s  (read_csv + INSERT INTO fct_district_stat), "
          f"{ins['rows']:,} rows")
    print(f"ctas   : {ctas['total_s']:6.2f} s  (read_csv + CREATE TABLE AS, no constraints), "
          f"{ctas['rows']:,} rows")
    print(
        f"ratio planwh/insert: {p['total_s'] / ins['total_s']:.2f} (goal <= 1.5); "
        f"planwh/ctas: {p['total_s'] / ctas['total_s']:.2f}; "
        f"peak RSS planwh: {p['peak_rss_mb']:.0f} MB (goal <= 2048)"
    )


if __name__ == "__main__":
    main()
