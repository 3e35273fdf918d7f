"""The district_stats suite in SQL (expectations.stats_sql) gives the same failing rows and
the same ingest issues as the GX-over-pandas path it replaced, on DuckDB and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from expectations.runner import issues_from, run_suite_pandas
from expectations.stats_sql import quarantine, stage_frame, validate_staged
from extractors.records import District
from tests.helpers import ROOT
from tests.test_expectations import CASES, DISTRICTS, METRICS, STATS_CTX, stat, stats_frame


def _frames() -> list[tuple[str, pd.DataFrame, dict]]:
    out = []
    for rule, (suite, bad, good, ctx, *good_ctx) in sorted(CASES.items()):
        if suite == "district_stats":  # a case may carry its passing context (test_expectations)
            out += [(f"{rule}-bad", bad, ctx or STATS_CTX),
                    (f"{rule}-good", good, (good_ctx[0] if good_ctx else ctx) or STATS_CTX)]
    # every rule at once, NULLs, a repeated key across files, a district gone mid-period
    mixed = stats_frame(
        stat(value=-5.0, year=2019), stat(district_code="330185", year=2019),
        stat(metric_code="nope", district_code=None), stat(year=None),
        stat(metric_code="cover", value=130.0, unit="%", source_file="b.csv"),
        stat(value=11.0, source_file="b.csv", location="row 2"),
        stat(metric_code="per1000", value=None), complete=False)
    out.append(("mixed", mixed, STATS_CTX))
    out.append(("real-folder", _real_frame(), _real_ctx()))
    return out


def _real_ctx() -> dict:
    from extractors.reference import load_districts, load_metrics

    ref = ROOT / "raw" / "reference"
    return {"districts": load_districts(ref / "districts.csv"),
            "metrics": load_metrics(ref / "metrics.csv")}


def _real_frame() -> pd.DataFrame:
    from extractors.reference import DistrictResolver
    from extractors.stats import read_stats_folder

    ctx = _real_ctx()
    frame = read_stats_folder(ROOT / "raw" / "stats", DistrictResolver(ctx["districts"]),
                              ctx["metrics"]).frame
    # plant failures into the real rows: a negative count, an out-of-range ratio
    frame = frame.reset_index(drop=True).copy()
    frame.loc[0, "value"] = -3.0
    return frame


def _summary(res) -> dict:
    return {r.name: (r.success, r.unexpected_count, r.failing_index, r.sample, r.missing)
            for r in res.results}


def _issues(res, frame) -> list[tuple]:
    # a frame whose year column holds a NULL is float in pandas (year=2019.0); staged years
    # are integers (year=2019), as the reader's always are
    return [(i.source_file, i.location, i.severity, re.sub(r"year=(\d+)\.0\b", r"year=\1",
                                                           i.reason), i.check)
            for i in issues_from(res, frame)]


def _check_engine(engine, name, frame, ctx):
    expected = run_suite_pandas("district_stats", frame, **ctx)
    # no key repeats (as after dedupe_staged): the asset's path, the row rules counted in
    # the coverage rule's scan, must give the same result
    unique = not frame.duplicated(["metric_code", "district_code", "year"]).any()
    with engine.begin() as cx:
        stage_frame(cx, "stg_test", frame.reset_index(drop=True))
        got = validate_staged(cx, "stg_test", **ctx)
        if unique:
            import expectations.stats_sql as ss

            # the first missing names found among the first ords, then (FIRST_ORDS 1:
            # none there) among the rows of the gaps not settled
            for first_ords in (ss.FIRST_ORDS, 1):
                default, ss.FIRST_ORDS = ss.FIRST_ORDS, first_ords
                try:
                    assert _summary(validate_staged(cx, "stg_test", unique=True, **ctx)) == \
                        _summary(expected), f"{name} (unique, FIRST_ORDS {first_ords})"
                finally:
                    ss.FIRST_ORDS = default
        removed = quarantine(cx, "stg_test")
        left = cx.exec_driver_sql("SELECT COUNT(*) FROM stg_test").scalar()
        cx.exec_driver_sql("DROP TABLE stg_test")
    assert _summary(got) == _summary(expected), name
    assert got.success == expected.success
    # issues from the rows the SQL result carries == issues looked up in the frame
    assert _issues(got, None) == _issues(expected, frame), name
    assert removed == len(expected.failing_positions("error"))
    assert left == len(frame) - removed


@pytest.mark.parametrize("case", [c[0] for c in _frames()])
def test_sql_suite_matches_pandas_suite_on_duckdb(case):
    _, frame, ctx = next(c for c in _frames() if c[0] == case)
    engine = sa.create_engine("duckdb:///:memory:")
    try:
        _check_engine(engine, case, frame, ctx)
    finally:
        engine.dispose()


def test_sql_suite_matches_pandas_suite_on_postgres(pg_url):
    from warehouse.schema import make_engine

    engine = make_engine(pg_url)
    try:
        for name, frame, ctx in _frames():
            _check_engine(engine, name, frame, ctx)
    finally:
        engine.dispose()


def test_validity_on_31_december():
    # a version ending on 31 December is valid that year; one ending on 30 December is not
    districts = DISTRICTS + [District("330199", "旧区", "district", "330100", None,
                                      date(2018, 12, 31)),
                             District("330198", "另区", "district", "330100", None,
                                      date(2018, 12, 30))]
    frame = pd.DataFrame([stat(district_code="330199"), stat(district_code="330198")])
    ctx = {"districts": districts, "metrics": METRICS}
    from expectations.runner import run_suite

    res = run_suite("district_stats", frame, docs_dir=None, **ctx)
    bad = {r.name: r.failing_index for r in res.results}
    assert bad["district_stats.district_valid_in_year"] == [1]
    assert _summary(res) == _summary(run_suite_pandas("district_stats", frame, **ctx))


def test_drop_files_binds_the_names(url):
    # names with quotes and SQL in them are values: only the rows of those files go
    from expectations.stats_sql import append_stage, create_stage, drop_files
    from warehouse.schema import make_engine

    odd = ["o'neil.csv", "x'); DROP TABLE _planwh_drop_test; --.csv"]
    frame = pd.DataFrame([stat(source_file=f) for f in odd + ["kept.csv"]])
    engine = make_engine(url)
    try:
        with engine.begin() as cx:
            create_stage(cx, "_planwh_drop_test")
            assert append_stage(cx, "_planwh_drop_test", frame) == 3
            drop_files(cx, "_planwh_drop_test", odd + ["absent.csv"])
            left = cx.exec_driver_sql("SELECT source_file FROM _planwh_drop_test").fetchall()
            assert left == [("kept.csv",)]
            cx.exec_driver_sql("DROP TABLE _planwh_drop_test")
    finally:
        engine.dispose()


@pytest.mark.parametrize("first_ords", [None, 1, 4])
def test_coverage_grid_names_the_first_missing_districts(url, first_ords, monkeypatch):
    """The coverage grid of the asset's path (no repeated key: the missing counted, only
    the first names looked for) equals the pandas grid, with more districts missing than
    are named, whichever of its two lookups finds them (FIRST_ORDS)."""
    import expectations.stats_sql as ss
    from expectations.suites import district_coverage_grid
    from warehouse.schema import make_engine

    if first_ords is not None:
        monkeypatch.setattr(ss, "FIRST_ORDS", first_ords)
    districts = [District("330100", "杭州市", "city", None, None, None)] + [
        District(f"3301{i:02d}", f"区{i:02d}", "district", "330100", None,
                 date(2018, 6, 30) if i == 3 else None) for i in range(1, 15)]
    rows = [stat(district_code=f"3301{i:02d}", year=2019) for i in (2, 5, 9)]  # 10 missing
    rows += [stat(district_code=f"3301{i:02d}", year=2018) for i in range(1, 15)
             if i != 13]  # one missing, the last by ord
    rows += [stat(metric_code="cover", district_code=f"3301{i:02d}", year=2018, value=5.0,
                  unit="%", source_file="b.csv") for i in range(1, 15) if i % 4]
    rows.append(stat(metric_code="cover", district_code="330100", year=2019, value=5.0,
                     unit="%", source_file="c.csv"))  # only the city total
    frame = pd.DataFrame(rows)
    ctx = {"districts": districts, "metrics": METRICS}
    expected = district_coverage_grid(frame, **ctx)
    engine = make_engine(url)
    try:
        with engine.begin() as cx:
            stage_frame(cx, "stg_cov", frame)
            got = validate_staged(cx, "stg_cov", unique=True, **ctx)
            cx.exec_driver_sql("DROP TABLE stg_cov")
    finally:
        engine.dispose()
    grid = next(r for r in got.results if r.name.endswith("every_district_present"))
    assert not grid.success
    want = expected[~expected["present"]][["metric_code", "year", "missing"]]
    assert sorted(map(tuple, want.values.tolist())) == sorted(
        (r["metric_code"], r["year"], r["missing"]) for r in grid.sample)
    assert any("(+5)" in r["missing"] for r in grid.sample)  # 10 missing, 5 named
