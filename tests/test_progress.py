"""fct_progress against hand-computed figures, on DuckDB and PostgreSQL (docs/progress.md).

A small world: plan 1 (2016-2020, base year 2015) with yearly targets of a coverage
rate (up), an unemployment rate (down), a range, a milestone ladder and a doubling of a
city total; plan 2 (2021-2025, base year 2020) across Hangzhou's 2021 redistricting.
Every expected figure below is worked out by hand in its comment.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from extractors.records import District, IndicatorMetric, Metric, PlanDocument, TargetRecord
from extractors.relative import parse_relative
from tests.helpers import create_database, drop_database, empty_postgres, query_header
from warehouse import load as wl
from warehouse.attainment import build_attainment
from warehouse.progress import STATUS_THRESHOLDS, build_progress, classify
from warehouse.queries import run_query
from warehouse.schema import PROGRESS_STATUSES, TABLES, create_schema, make_engine

CITY = "330100"
DISTRICTS = [
    District(CITY, "杭州市", "city", None, None, None),
    # 330102 kept its code for changed land on 9 April 2021 (as raw/reference/districts.csv)
    District("330102", "上城区", "district", CITY, None, date(2021, 4, 8)),
    District("330102", "上城区", "district", CITY, date(2021, 4, 9), None),
    District("330105", "拱墅区", "district", CITY, None, None),
    District("330106", "西湖区", "district", CITY, None, None),
    District("330108", "滨江区", "district", CITY, None, None),
]
METRICS = {m.code: m for m in [
    Metric("cov", "覆盖率", "%", "ratio", "cov_n", "cov_d", Decimal(100)),
    Metric("cov_n", "覆盖数", "个", "sum"), Metric("cov_d", "总数", "个", "sum"),
    Metric("unemp", "失业率", "%", "ratio", "un_n", "un_d", Decimal(100), "down"),
    Metric("un_n", "失业人数", "人", "sum"), Metric("un_d", "劳动力", "人", "sum"),
    Metric("rng", "区间率", "%", "ratio", "rg_n", "rg_d", Decimal(100)),
    Metric("rg_n", "区间分子", "个", "sum"), Metric("rg_d", "区间分母", "个", "sum"),
    Metric("lad", "阶梯率", "%", "ratio", "ld_n", "ld_d", Decimal(100)),
    Metric("ld_n", "阶梯分子", "个", "sum"), Metric("ld_d", "阶梯分母", "个", "sum"),
    Metric("gdp", "生产总值", "亿元", "sum"),
    Metric("pts", "点率", "%", "ratio", "pt_n", "pt_d", Decimal(100)),
    Metric("pt_n", "点分子", "个", "sum"), Metric("pt_d", "点分母", "个", "sum"),
]}
MAPPINGS = [IndicatorMetric("^覆盖率$", "cov"), IndicatorMetric("^城镇登记失业率$", "unemp"),
            IndicatorMetric("^区间率$", "rng"), IndicatorMetric("^阶梯率$", "lad"),
            IndicatorMetric("^地区生产总值$", "gdp"), IndicatorMetric("^点率$", "pts")]
P1, P2 = "1111111111111111", "2222222222222222"


def rec(plan, row, name, year, cmp, value=None, high=None, text="", unit="%"):
    rel = parse_relative(text)  # the relative reading the plan reader gives the record
    return TargetRecord(
        relative_kind=rel and rel.kind, relative_value=rel and rel.value,
        relative_reference=rel and rel.reference,
        plan_id=plan, source_file=f"{plan}.docx", source_page=None, source_table=0,
        source_row=row, section="一", task_no=str(row), task_name=None, indicator_name=name,
        year=year, scope="全市", target_text=text or f"{cmp} {value}", comparator=cmp,
        target_value=None if value is None else Decimal(str(value)),
        target_value_high=None if high is None else Decimal(str(high)), target_unit=unit,
        binding="约束性" if name == "城镇登记失业率" else None)


def plans() -> list[PlanDocument]:
    r1 = [rec(P1, 1, "覆盖率", y, ">=", v) for y, v in
          ((2016, 60), (2017, 65), (2018, 75), (2019, 85), (2020, 90))]
    r1 += [rec(P1, 2, "城镇登记失业率", 2020, "<=", 3)]
    r1 += [rec(P1, 3, "区间率", 2020, "between", 40, 50)]
    r1 += [rec(P1, 4, "阶梯率", 2016, "milestone", text="试点启动")]
    r1 += [rec(P1, 4, "阶梯率", y, ">=", v) for y, v in
           ((2017, 25), (2018, 55), (2019, 80), (2020, 99))]
    r1 += [rec(P1, 5, "地区生产总值", 2020, "milestone", text="翻一番", unit=None)]
    r1 += [rec(P1, 6, "点率", 2020, ">=", 5, text="提高5个百分点", unit="个百分点")]
    r2 = [rec(P2, 1, "覆盖率", 2025, ">=", 90)]
    return [
        PlanDocument(P1, "十三五规划", None, 2016, 2020, f"{P1}.docx", "1" * 64, "docx",
                     tables_found=1, records=r1),
        PlanDocument(P2, "十四五规划", None, 2021, 2025, f"{P2}.docx", "2" * 64, "docx",
                     tables_found=1, records=r2),
    ]


def ratio_rows(num: str, den: str, values: dict) -> list[tuple]:
    """A rate of `value`% as numerator value / denominator 100."""
    out = []
    for (code, year), v in values.items():
        out += [(num, code, year, v), (den, code, year, 100)]
    return out


COV = {  # coverage %, by (district, year)
    ("330105", 2015): 50, ("330105", 2016): 55, ("330105", 2017): 62, ("330105", 2018): 72,
    ("330105", 2019): 82,
    ("330106", 2015): 50, ("330106", 2018): 48, ("330106", 2019): 95,
    ("330108", 2015): 50, ("330108", 2018): 58, ("330108", 2019): 66,
    ("330102", 2016): 70, ("330102", 2018): 80,  # no 2015 value
    ("330102", 2020): 60, ("330102", 2022): 75,  # plan 2: across the 2021 redistricting
    ("330106", 2020): 70, ("330106", 2022): 78,
}
UNEMP = {("330105", 2015): 5, ("330105", 2018): 4, ("330105", 2019): 2.9,
         ("330106", 2015): 5, ("330106", 2018): 5.5, ("330106", 2019): 5.8}
RNG = {("330105", 2015): 30, ("330105", 2018): 36, ("330106", 2015): 45, ("330106", 2018): 55}
LAD = {("330105", 2015): 0, ("330105", 2019): 60, ("330106", 2015): 0, ("330106", 2017): 10}
PTS = {("330105", 2015): 0, ("330105", 2018): 3}
GDP = [("gdp", CITY, 2015, 100), ("gdp", CITY, 2018, 150)]


def stats_frame() -> pd.DataFrame:
    rows = (ratio_rows("cov_n", "cov_d", COV) + ratio_rows("un_n", "un_d", UNEMP)
            + ratio_rows("rg_n", "rg_d", RNG) + ratio_rows("ld_n", "ld_d", LAD)
            + ratio_rows("pt_n", "pt_d", PTS) + GDP)
    return pd.DataFrame([
        {"metric_code": m, "district_code": d, "year": y, "value": float(v),
         "unit": METRICS[m].unit, "source_file": f"s{y}.csv", "location": f"{m}/{d}"}
        for m, d, y, v in rows])


def build_world(url: str):
    eng = make_engine(url)
    create_schema(eng)
    wl.load_reference(eng, DISTRICTS, METRICS)
    for p in plans():
        assert wl.load_plan(eng, p, MAPPINGS) == "loaded"
    assert wl.load_stats(eng, stats_frame()) == "loaded"
    build_attainment(eng)
    n = build_progress(eng)
    assert n > 0
    return eng


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def world(request, tmp_path_factory):
    """The world built once per engine for the tests that only read it (on PostgreSQL in
    a database of its own, so that no other module's test empties it meanwhile)."""
    if request.param == "duckdb":
        eng = build_world(f"duckdb:///{tmp_path_factory.mktemp('progress') / 'w.duckdb'}")
        yield eng
        eng.dispose()
        return
    base = request.getfixturevalue("pg_url")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(base).database + "_progress"
    create_database(admin, name)
    eng = build_world(sa.engine.make_url(base).set(database=name).render_as_string(False))
    try:
        yield eng
    finally:
        eng.dispose()
        drop_database(admin, name)
        admin.dispose()


@pytest.fixture(params=["duckdb", "postgresql"])
def fresh_world(request):
    """A world of its own, for a test that changes it."""
    url = request.getfixturevalue("duckdb_url" if request.param == "duckdb" else "pg_url")
    eng = make_engine(url)
    if eng.dialect.name == "postgresql":
        empty_postgres(eng)
    eng.dispose()
    eng = build_world(url)
    yield eng
    eng.dispose()


def ind(plan: str, row: int) -> str:
    from extractors.records import indicator_id

    return indicator_id(plan, 0, row)


def progress(eng, plan, row, code, year) -> dict:
    with eng.connect() as cx:
        got = cx.execute(sa.text(
            "SELECT * FROM fct_progress WHERE indicator_id = :i AND district_code = :d "
            "AND year = :y"), {"i": ind(plan, row), "d": code, "y": year}).mappings().all()
    assert len(got) == 1, (plan, row, code, year)
    return dict(got[0])


# --------------------------------------------------------------------------- statuses


@pytest.mark.parametrize("row, code, year, status, required, ratio", [
    # up, linear: base 50 (2015), end 90 (2020). 2019: required 50 + 40 x 4/5 = 82
    (1, "330105", 2019, "on track", 82, 1.0),
    # 2018: required 50 + 40 x 3/5 = 74; (72 - 50) / 24
    (1, "330105", 2018, "moderate", 74, 22 / 24),
    # 2019: 66: (66 - 50) / 32 = 0.5 exactly, the moderate threshold
    (1, "330108", 2019, "moderate", 82, 0.5),
    # 2018: 58: 8 / 24
    (1, "330108", 2018, "limited", 74, 8 / 24),
    # 2018: 48, below the base: -2 / 24
    (1, "330106", 2018, "deteriorating", 74, -2 / 24),
    # 2019: 95 >= 90
    (1, "330106", 2019, "achieved", 82, None),
    # down: base 5, end <= 3. 2018: required 5 - 2 x 3/5 = 3.8; (4 - 5) / (3.8 - 5)
    (2, "330105", 2018, "moderate", 3.8, 1 / 1.2),
    (2, "330105", 2019, "achieved", 5 - 2 * 4 / 5, None),
    # down, moving up: (5.5 - 5) / -1.2
    (2, "330106", 2018, "deteriorating", 3.8, -0.5 / 1.2),
    # range 40-50 from 30: aim at 40; 2018 required 36, actual 36
    (3, "330105", 2018, "on track", 36, 1.0),
    # range with the base inside (45): no progress required; 55 left the range
    (3, "330106", 2018, "deteriorating", 45, None),
    # zero baseline, level ladder: end >= 99 from 0. 2019: required 99 x 4/5; 60 / 79.2
    (4, "330105", 2019, "moderate", 99 * 4 / 5, 60 / 79.2),
    # 提高5个百分点 from a zero base: end 0 + 5; 2018 required 3, actual 3
    (6, "330105", 2018, "on track", 3, 1.0),
])
def test_status_hand_computed(world, row, code, year, status, required, ratio):
    got = progress(world, P1, row, code, year)
    assert got["status"] == status
    assert got["required_value"] == pytest.approx(required)
    if ratio is None:
        assert got["progress_ratio"] is None
    else:
        assert got["progress_ratio"] == pytest.approx(ratio)
    assert got["baseline_year"] == 2015 and got["end_year"] == 2020


def test_direction_of_the_rows(world):
    assert progress(world, P1, 2, "330105", 2018)["direction"] == "down"
    assert progress(world, P1, 1, "330105", 2018)["direction"] == "up"


def test_relative_doubling_compound(world):
    """翻一番 from the city's 100 (2015): end 200, compound path; 2018 required
    100 x 2^(3/5) = 151.57; ratio ln(1.5) / ln(1.5157) = 0.977: on track."""
    got = progress(world, P1, 5, CITY, 2018)
    assert got["relative_kind"] == "multiple" and got["relative_reference"] == "baseline"
    assert got["path"] == "compound"
    assert got["end_target_value"] == pytest.approx(200)
    assert got["required_value"] == pytest.approx(100 * 2 ** 0.6)
    assert got["progress_ratio"] == pytest.approx(math.log(1.5) / math.log(2 ** 0.6))
    assert got["status"] == "on track"


def test_points_target_resolved_per_district(world):
    got = progress(world, P1, 6, "330105", 2018)
    assert got["relative_kind"] == "points" and got["path"] == "linear"
    assert got["end_target_value"] == pytest.approx(5)


def test_missing_baseline_is_insufficient(world):
    """330102 has no 2015 (base year) value: its first value (2016) has nothing before
    it; later years take 2016 as the baseline (ESCAP's nearest-year practice)."""
    first = progress(world, P1, 1, "330102", 2016)
    assert first["status"] == "insufficient data"
    assert first["baseline_value"] is None and first["progress_ratio"] is None
    assert "2015" in first["status_note"]
    # the schedule needs no baseline: 70 meets the 2016 and 2017 targets (60, 65)
    assert first["schedule_year"] == 2017 and first["schedule_position"] == 1
    # 2018: baseline 70 (2016); required 70 + (90 - 70) x 2/4 = 80; actual 80
    later = progress(world, P1, 1, "330102", 2018)
    assert later["baseline_year"] == 2016 and later["baseline_value"] == 70
    assert later["required_value"] == pytest.approx(80)
    assert later["progress_ratio"] == pytest.approx(1.0)
    assert later["status"] == "on track"
    assert later["schedule_year"] == 2018 and later["schedule_position"] == 0


def test_redistricted_code_has_no_comparable_baseline(world):
    """330102's 2022 land is not its 2020 land (new version from 9 April 2021)."""
    got = progress(world, P2, 1, "330102", 2022)
    assert got["status"] == "insufficient data"
    assert "changed" in got["status_note"]
    # 330106 did not change: base 70 (2020), end 90 (2025); 2022 required 70 + 20 x 2/5
    other = progress(world, P2, 1, "330106", 2022)
    assert other["required_value"] == pytest.approx(78)
    assert other["status"] == "on track" and other["baseline_value"] == 70


def test_no_status_without_baseline_anywhere(world):
    with world.connect() as cx:
        bad = cx.exec_driver_sql(
            "SELECT COUNT(*) FROM fct_progress WHERE baseline_value IS NULL "
            "AND status <> 'insufficient data'").scalar()
        statuses = {r[0] for r in cx.exec_driver_sql("SELECT DISTINCT status FROM fct_progress")}
    assert bad == 0
    assert statuses <= set(PROGRESS_STATUSES)
    assert {"achieved", "on track", "moderate", "limited", "deteriorating",
            "insufficient data"} <= statuses


# --------------------------------------------------------------------------- schedule


@pytest.mark.parametrize("row, code, year, sched_year, position, rung", [
    # 66 meets the 2016 (60) and 2017 (65) targets, not 2018 (75): 2 years behind
    (1, "330108", 2019, 2017, -2, 65),
    (1, "330105", 2019, 2018, -1, 75),  # 82 < 85
    (1, "330105", 2018, 2017, -1, 65),  # 72 < 75
    (1, "330106", 2019, 2020, 1, 90),   # 95 meets the 2020 target: a year ahead
    (1, "330105", 2016, None, None, None),  # 55 meets no target
    # ladder 试点启动 -> 25 -> 55 -> 80 -> 99: 60 reached the 55 rung (2018)
    (4, "330105", 2019, 2018, -1, 55),
    # down: 2.9 <= 3 (the only target, 2020)
    (2, "330105", 2019, 2020, 1, 3),
])
def test_schedule_position(world, row, code, year, sched_year, position, rung):
    got = progress(world, P1, row, code, year)
    assert got["schedule_year"] == sched_year
    assert got["schedule_position"] == position
    if rung is None:
        assert got["rung_reached"] is None
    else:
        assert got["rung_reached"] == pytest.approx(rung)


def test_schedule_note_in_words(world):
    note = progress(world, P1, 1, "330108", 2019)["schedule_note"]
    assert "2019 actual meets the 2017 target: 2 years behind" in note


def test_qualitative_rungs_say_so(world):
    got = progress(world, P1, 4, "330106", 2017)  # 10: below the 25 rung
    assert got["schedule_year"] is None
    assert "qualitative rungs not evaluated: 试点启动 (2016)" in got["schedule_note"]


# --------------------------------------------------------------------------- anticipated


def test_anticipated_by_time_weighted_fit(world):
    """330105's coverage 2015-2019 (50, 55, 62, 72, 82), weights 1..5 by recency,
    projected to 2020 (numpy's weighted polyfit as the independent reference: its
    weights multiply residuals, so they are the square roots)."""
    years = np.array([2015, 2016, 2017, 2018, 2019], dtype=float)
    values = np.array([50, 55, 62, 72, 82], dtype=float)
    slope, icpt = np.polyfit(years, values, 1, w=np.sqrt(years - 2014))
    expected = slope * 2020 + icpt
    got = progress(world, P1, 1, "330105", 2019)
    assert got["anticipated_value"] == pytest.approx(expected)
    assert got["anticipated_meets"] is bool(expected >= 90)
    # two points only (2015, 2018): no projection
    assert progress(world, P1, 1, "330108", 2018)["anticipated_value"] is None


# --------------------------------------------------------------------------- view, queries


def test_view_and_queries(world):
    with world.connect() as cx:
        n = cx.exec_driver_sql("SELECT COUNT(*) FROM v_progress").scalar()
        t = cx.exec_driver_sql("SELECT COUNT(*) FROM fct_progress").scalar()
    assert n == t > 0
    behind = run_query(world, "districts_behind_schedule")
    assert ("330108", 2019, -2) in {(r["district_code"], r["year"], r["schedule_position"])
                                    for r in behind}
    assert all(r["schedule_position"] is None or r["schedule_position"] <= -2 for r in behind)
    miss = run_query(world, "binding_indicators_anticipated_to_miss")
    # 330106's unemployment rate 5, 5.5, 5.8 (2015, 2018, 2019) heads away from <= 3;
    # 330105's (5, 4, 2.9) is anticipated to meet it
    assert {(r["district_code"], r["year"]) for r in miss} == {("330106", 2019)}
    assert all(r["binding"] == "约束性" and r["anticipated_meets"] is False for r in miss)
    assert len(query_header("districts_behind_schedule")) > 40


def test_rebuild_is_idempotent(world):
    with world.connect() as cx:
        before = cx.exec_driver_sql("SELECT * FROM fct_progress ORDER BY 1, 2, 3").all()
    build_progress(world)
    with world.connect() as cx:
        after = cx.exec_driver_sql("SELECT * FROM fct_progress ORDER BY 1, 2, 3").all()
    assert before == after


def test_thresholds_in_one_place():
    assert [s for s, _ in STATUS_THRESHOLDS] == ["on track", "moderate", "limited"]
    assert classify(0.95) == "on track" and classify(0.9499) == "moderate"
    assert classify(0.5) == "moderate" and classify(0.0) == "limited"
    assert classify(-0.01) == "deteriorating"
    assert set(TABLES) >= {"fct_progress"}


# --------------------------------------------------------------------------- suite


@pytest.mark.slow  # runs a Great Expectations suite
def test_progress_suite_passes_on_the_build_and_fails_on_bad_rows(world):
    from expectations.runner import run_suite

    with world.connect() as cx:
        frame = pd.read_sql_query(sa.text("SELECT * FROM fct_progress"), cx)
    ok = run_suite("progress", frame, docs_dir=None)
    assert ok.success, [r.name for r in ok.failed]
    bad = frame.copy()
    bad.loc[0, "status"] = "fine"
    bad.loc[1, "progress_ratio"] = float("inf")
    on_track = bad.index[bad["status"] == "on track"][0]
    bad.loc[on_track, "baseline_value"] = None
    bad = pd.concat([bad, bad.iloc[[2]]])  # a repeated key
    res = run_suite("progress", bad, docs_dir=None)
    failed = {r.name for r in res.failed}
    assert not res.success
    assert {"progress.status_in_vocabulary", "progress.ratios_finite",
            "progress.status_needs_baseline",
            "progress.unique_indicator_district_year"} <= failed


def test_plan_reload_after_a_progress_build(fresh_world):
    """A plan's reload deletes its indicators: on PostgreSQL the foreign key cascades to
    the plan's progress rows (no refusal); the next build brings them back."""
    with fresh_world.connect() as cx:
        before = cx.exec_driver_sql("SELECT COUNT(*) FROM fct_progress").scalar()
    p1 = plans()[0]
    p1.source_sha256 = "3" * 64  # new content of the same file
    assert wl.load_plan(fresh_world, p1, MAPPINGS) == "loaded"
    build_attainment(fresh_world)
    assert build_progress(fresh_world) == before


def test_revision_0004_downgrades_and_upgrades(pg_url):
    """Alembic 0004 on PostgreSQL: down to 0003 drops fct_progress and v_progress and
    keeps attainment; up again, a build gives the same rows."""
    from alembic import command

    from warehouse.migrate import alembic_config

    eng = make_engine(pg_url)
    with eng.begin() as cx:
        cx.execute(sa.text("DROP SCHEMA public CASCADE"))
        cx.execute(sa.text("CREATE SCHEMA public"))
    create_schema(eng)
    wl.load_reference(eng, DISTRICTS, METRICS)
    for p in plans():
        wl.load_plan(eng, p, MAPPINGS)
    wl.load_stats(eng, stats_frame())
    build_attainment(eng)
    build_progress(eng)
    query = "SELECT * FROM v_progress ORDER BY indicator_id, district_code, year"
    with eng.connect() as cx:
        before = cx.exec_driver_sql(query).all()
        attainment = cx.exec_driver_sql("SELECT COUNT(*) FROM v_attainment").scalar()
    cfg = alembic_config()
    with eng.begin() as cx:
        cfg.attributes["connection"] = cx
        command.downgrade(cfg, "0003")
    names = set(sa.inspect(eng).get_table_names()) | set(sa.inspect(eng).get_view_names())
    assert "fct_progress" not in names and "v_progress" not in names
    with eng.connect() as cx:
        assert cx.exec_driver_sql("SELECT COUNT(*) FROM v_attainment").scalar() == attainment
    create_schema(eng)  # alembic upgrade head
    build_progress(eng)
    with eng.connect() as cx:
        assert cx.exec_driver_sql(query).all() == before
    eng.dispose()
