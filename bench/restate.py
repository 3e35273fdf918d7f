"""Restated boundaries benchmark, run by hand (data goes to bench/out/, gitignored).

    .venv/bin/python bench/restate.py [--facts 2000000] [--repeat 2]

A DuckDB warehouse with FACTS statistics rows (bench/warehouse.py's generator: districts x
200 metrics x 25 years, 66 ratio metrics) and a redistricting in 2013: 10 % of the
districts merge pairwise, another 5 % are each split into itself and a new district
(split weights 0.6 / 0.4 for every metric). ``build_restated`` (restated statistics on the
2025 boundaries, then the attainment build over them) is timed against its baseline in
the same run: a plain copy of fct_district_stat (CREATE TABLE AS) plus ``build_attainment``
(what restatement must at least do: write every statistic once more and build attainment
once more). The two alternate, best of --repeat. Informative, no goal. Checked: a merged
district's restated figure is the exact sum of its parts, a split one the weighted share.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.records import District  # noqa: E402
from extractors.reference import LineageLink, SplitWeight  # noqa: E402
from warehouse import load as wl  # noqa: E402
from warehouse.attainment import build_attainment  # noqa: E402
from warehouse.restate import build_restated  # noqa: E402
from warehouse.schema import create_schema, make_engine  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_warehouse", ROOT / "bench" / "warehouse.py")
bw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bw)

CHANGE = 2013
OLD_END, NEW_START = date(CHANGE - 1, 12, 31), date(CHANGE, 1, 1)


def redistricting(districts: int):
    """(district versions, lineage links, split weights, merged pairs, splits)."""
    n_pairs, n_splits = districts // 20, districts // 20
    code = lambda d: str(400000 + d)  # noqa: E731
    merged = [(code(2 * k + 1), code(2 * k + 2)) for k in range(n_pairs)]
    splits = [(code(2 * n_pairs + 1 + k), str(500001 + k)) for k in range(n_splits)]
    ds, _ = bw.reference(districts)
    changed = {a for a, _ in merged} | {b for _, b in merged} | {c for c, _ in splits}
    out = [d for d in ds if d.code not in changed]
    links, weights = [], []
    for a, b in merged:  # a joins b: a ends, b gets a new version
        out.append(District(a, f"D{a}", "district", "400000", None, OLD_END))
        out += [District(b, f"D{b}", "district", "400000", None, OLD_END),
                District(b, f"D{b}", "district", "400000", NEW_START, None)]
        links += [LineageLink(CHANGE, a, b, "merge", None, NEW_START),
                  LineageLink(CHANGE, b, b, "merge", None, NEW_START)]
    for c, n in splits:  # c keeps 60 %, the new district n takes 40 %
        out += [District(c, f"D{c}", "district", "400000", None, OLD_END),
                District(c, f"D{c}", "district", "400000", NEW_START, None),
                District(n, f"D{n}", "district", "400000", NEW_START, None)]
        links += [LineageLink(CHANGE, c, c, "split", None, NEW_START),
                  LineageLink(CHANGE, c, n, "split", None, NEW_START)]
        weights += [SplitWeight(CHANGE, c, c, "*", Decimal("0.6"), 0),
                    SplitWeight(CHANGE, c, n, "*", Decimal("0.4"), 0)]
    return out, links, weights, merged, splits


def setup(facts: int):
    bw.OUT.mkdir(parents=True, exist_ok=True)
    path = bw.OUT / "restate.duckdb"
    path.unlink(missing_ok=True)
    engine = make_engine(f"duckdb:///{path}")
    create_schema(engine)
    districts = max(40, facts // (200 * bw.YEARS))
    ds, links, weights, merged, splits = redistricting(districts)
    _, metrics = bw.reference(districts)
    wl.load_reference(engine, ds, metrics, links, weights)
    wl.load_plan(engine, *bw.plan(metrics))
    gone = ", ".join(f"'{a}'" for a, _ in merged)
    with engine.begin() as cx:
        cx.exec_driver_sql("INSERT INTO fct_district_stat SELECT *, TIMESTAMP '2025-01-01' "
                           f"FROM ({bw.stats_sql(facts)})")
        cx.exec_driver_sql(f"DELETE FROM fct_district_stat WHERE year >= {CHANGE} "
                           f"AND district_code IN ({gone})")
        for c, n in splits:  # the new districts report from the change on
            cx.exec_driver_sql(
                f"INSERT INTO fct_district_stat SELECT metric_code, '{n}', year, value, unit, "
                f"source_file, location, loaded_at FROM fct_district_stat "
                f"WHERE district_code = '{c}' AND year >= {CHANGE}")
    return engine, merged, splits


def baseline(engine) -> None:
    with engine.begin() as cx:
        cx.exec_driver_sql("DROP TABLE IF EXISTS stat_copy")
        cx.exec_driver_sql("CREATE TABLE stat_copy AS SELECT * FROM fct_district_stat")
    build_attainment(engine)


def check(engine, merged, splits) -> None:
    a, b = merged[0]
    c, n = splits[0]
    with engine.connect() as cx:
        def one(sql: str):
            return cx.exec_driver_sql(sql).scalar()

        parts = one(f"SELECT SUM(value) FROM fct_district_stat WHERE metric_code = 'm000' "
                    f"AND year = {CHANGE - 1} AND district_code IN ('{a}', '{b}')")
        merged_value = one(f"SELECT value FROM fct_district_stat_restated WHERE metric_code = "
                           f"'m000' AND year = {CHANGE - 1} AND district_code = '{b}'")
        assert merged_value == parts, (merged_value, parts)
        whole = one(f"SELECT value FROM fct_district_stat WHERE metric_code = 'm000' "
                    f"AND year = {CHANGE - 1} AND district_code = '{c}'")
        share = one(f"SELECT value FROM fct_district_stat_restated WHERE metric_code = 'm000' "
                    f"AND year = {CHANGE - 1} AND district_code = '{n}'")
        assert abs(share - 0.4 * whole) < 1e-9 * max(1.0, whole), (share, whole)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--facts", type=int, default=2_000_000, help="statistics rows")
    p.add_argument("--repeat", type=int, default=2, help="best of N alternated runs")
    args = p.parse_args()
    print(f"DuckDB: restatement over {args.facts:,} statistics rows, redistricting in {CHANGE}")
    engine, merged, splits = setup(args.facts)
    t_base, t_build, result = [], [], None
    for i in range(args.repeat):
        t_base.append(bw.timed(f"copy of fct_district_stat + build_attainment #{i + 1}",
                               baseline, engine)[0])
        dt, result = bw.timed(f"build_restated #{i + 1}", build_restated, engine)
        t_build.append(dt)
    check(engine, merged, splits)
    print(f"  {len(merged)} merged pairs, {len(splits)} splits; restated to {result.restate_year}: "
          f"{result.stat_rows:,} statistics ({result.restated_rows:,} restated), "
          f"{result.attainment_rows:,} attainment rows, {len(result.issues)} issues; "
          "merge and split figures checked")
    ratio = min(t_build) / min(t_base)
    print(f"  ratio build_restated / (copy + build_attainment) = {ratio:.2f} "
          f"(informative, no goal), best of {args.repeat}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
