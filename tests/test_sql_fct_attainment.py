"""Given/expect tests of warehouse/sql/fct_attainment.sql, dbt style, on DuckDB and
PostgreSQL: a few input rows (districts, metrics, 全市 targets, statistics) and the
exact fct_attainment rows the build must write from them. Each case is one grain rule
of the build (warehouse/attainment.py); the shared districts are tests/helpers.DISTRICTS
(江干区 330104 not in force on 31 December 2021)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from extractors.records import District, TargetRecord
from extractors.targets import parse_target
from tests.helpers import DISTRICTS, MAPPINGS, METRICS, PLAN_ID, fetch, rec, stats_frame
from warehouse import load as wl
from warehouse.attainment import build_attainment
from warehouse.sql import district_in_force, exact_sum, render

CASES = {
    "ratio: districts in force on 31 December, city from the districts' sums": dict(
        targets=[rec(2, "社区覆盖率", 2021, ">=", 90, unit="%")],
        stats=[("covered", "330102", 2021, 95), ("communities", "330102", 2021, 100),
               ("covered", "330106", 2021, 80), ("communities", "330106", 2021, 100),
               ("covered", "330104", 2021, 50), ("communities", "330104", 2021, 100)],
        expect=[("330100", 2021, "city", 87.5, False),
                ("330102", 2021, "district", 95.0, True),
                ("330106", 2021, "district", 80.0, False)],
    ),
    "ratio: a district without figures is a row without an actual, and so is the city": dict(
        targets=[rec(2, "社区覆盖率", 2020, ">=", 90, unit="%")],
        stats=[("covered", "330102", 2020, 45), ("communities", "330102", 2020, 50)],
        expect=[("330100", 2020, "city", None, None),
                ("330102", 2020, "district", 90.0, True),
                ("330104", 2020, "district", None, None),
                ("330106", 2020, "district", None, None)],
    ),
    "sum: the city row only, the district total when every district has a value": dict(
        targets=[rec(3, "养老床位数", 2020, ">=", 1000, unit="张")],
        stats=[("beds", "330102", 2020, 400), ("beds", "330104", 2020, 300),
               ("beds", "330106", 2020, 350)],
        expect=[("330100", 2020, "city", 1050.0, True)],
    ),
    "sum: the city's own figure wins over the district total": dict(
        targets=[rec(3, "养老床位数", 2021, "<=", 1000, unit="张")],
        stats=[("beds", "330102", 2021, 400), ("beds", "330106", 2021, 300),
               ("beds", "330100", 2021, 1200)],
        expect=[("330100", 2021, "city", 1200.0, False)],
    ),
    "milestone: rows with an actual, never attained": dict(
        targets=[rec(3, "养老床位数", 2021, "milestone", text="试点启动")],
        stats=[("beds", "330100", 2021, 1200)],
        expect=[("330100", 2021, "city", 1200.0, None)],
    ),
}


def _given(engine, targets, stats):
    from extractors.records import PlanDocument

    wl.load_reference(engine, DISTRICTS, METRICS)
    plan = PlanDocument(PLAN_ID, "测试规划", "杭州市民政局", 2016, 2025, "plan.docx", "a" * 64,
                        "docx", tables_found=1, records=targets)
    wl.load_plan(engine, plan, MAPPINGS)
    wl.load_stats(engine, stats_frame(stats))


@pytest.mark.parametrize("case", list(CASES))
def test_fct_attainment_given_expect(engine, case):
    given = CASES[case]
    _given(engine, given["targets"], given["stats"])
    build_attainment(engine)
    got = [(d, y, level, None if v is None else round(float(v), 6), att)
           for d, y, level, v, att in fetch(
               engine, "SELECT district_code, year, level, actual_value, attained "
                       "FROM fct_attainment ORDER BY district_code, year")]
    assert got == given["expect"]


def test_district_in_force_is_one_rule(engine):
    """The SQL snippet and District.valid_in_year agree on every version and year."""
    wl.load_reference(engine, DISTRICTS, METRICS)
    rule = district_in_force("d", "y.year")
    sql = ("SELECT d.district_code, d.valid_from, y.year FROM dim_district d "
           "CROSS JOIN (SELECT 2020 AS year UNION ALL SELECT 2021) y WHERE " + rule)
    in_sql = {(c, f, y) for c, f, y in fetch(engine, sql)}
    open_start = date(1900, 1, 1)  # how dim_district stores "no valid_from"
    in_python = {(d.code, d.valid_from or open_start, y) for d in DISTRICTS
                 for y in (2020, 2021) if d.valid_in_year(y)}
    assert in_sql == in_python
    assert ("330104", open_start, 2021) not in in_sql  # abolished on 2021-04-08


# --------------------------------------------------------------------------- reproducible sums
# 0.1 + 0.2 + 0.3 is 0.6000000000000001 added in that order and 0.6 in the reverse one: a
# sum that follows the order of the rows (DuckDB's parallel SUM: any order) does not give
# a re-run its own rows back (tests/faults/test_kill compares them exactly).
TENTHS = [0.1, 0.2, 0.3]


def test_exact_sum_does_not_depend_on_the_order_of_the_rows(engine):
    import sqlalchemy as sa

    got = {}
    for order in (TENTHS, TENTHS[::-1]):
        with engine.begin() as cx:
            cx.exec_driver_sql("DROP TABLE IF EXISTS sum_probe")
            cx.exec_driver_sql("CREATE TABLE sum_probe (g INTEGER, x DOUBLE PRECISION)")
            cx.execute(sa.text("INSERT INTO sum_probe VALUES (1, :x)"), [{"x": x} for x in order])
            cx.exec_driver_sql("INSERT INTO sum_probe VALUES (2, NULL), (3, 1e300), (3, 1.0)")
            got[tuple(order)] = cx.exec_driver_sql(
                f"SELECT g, {exact_sum('x')}, SUM(x) FROM sum_probe GROUP BY g ORDER BY g").all()
    forward, backward = got.values()
    # the data tells orders apart: the plain sums differ ...
    assert forward[0][2] != backward[0][2]
    # ... the exact ones are the same bits, the correctly rounded sum
    assert forward[0][1] == backward[0][1] == math.fsum(TENTHS) == 0.6
    assert forward[1][1] is None  # a group of NULLs only, as SUM
    assert forward[2][1] == 1e300  # beyond EXACT_SUM_BOUND: the plain sum, no error


def test_exact_sum_gives_the_same_bits_on_any_number_of_threads(tmp_path):
    """DuckDB sums one group in parallel over 2M rows: per-thread partial sums, combined in
    whatever order the threads finish; the plain SUM differs between thread counts."""
    import duckdb

    con = duckdb.connect(str(tmp_path / "threads.duckdb"))
    con.execute("CREATE TABLE t AS SELECT i % 3 AS g, "
                "(hash(i) % 1000000)::DOUBLE / 7 - 50000 AS x FROM range(2000000) r(i)")
    sql = f"SELECT g, {exact_sum('x')}, SUM(x) FROM t GROUP BY g ORDER BY g"
    runs = []
    for threads in (1, 4, 1, 4):
        con.execute(f"SET threads = {threads}")
        runs.append(con.execute(sql).fetchall())
    con.close()
    exact = [[row[1] for row in run] for run in runs]
    plain = [[row[2] for row in run] for run in runs]
    assert exact[0] == exact[1] == exact[2] == exact[3]
    assert len(set(map(tuple, plain))) > 1  # the order-dependent sum does differ


def test_the_city_total_does_not_depend_on_the_order_of_the_statistics(engine):
    """The build's own sums (sum metrics here; ratio sums are the same expression): the
    same statistics loaded in two orders give the same city total, to the last bit."""
    got = []
    for order in (TENTHS, TENTHS[::-1]):
        stats = [("beds", code, 2020, v) for code, v in zip(("330102", "330104", "330106"),
                                                             order, strict=True)]
        _given(engine, [rec(3, "养老床位数", 2020, ">=", 1, unit="张")], stats)
        build_attainment(engine)
        got.append(fetch(engine, "SELECT actual_value FROM fct_attainment "
                                 "WHERE level = 'city'"))
    assert got[0] == got[1] == [(0.6,)]


def test_render_refuses_an_unknown_placeholder():
    with pytest.raises(KeyError):
        render("district_in_force", district="d", year="y.year", nope="x")


# --------------------------------------------------------------------------- relative targets
# The plan runs 2016-2025 (base year 2015). Each record carries the relative reading the
# plan reader gives it (extractors.targets.parse_target). Expected rows:
# (district, year, level, actual, base_value, target_resolved, resolved_comparator,
#  attained, gap, a word of the note or None), every figure worked out by hand.


def relrec(row, name, year, text):
    pt = parse_target(text, name)[0]
    return TargetRecord(
        plan_id=PLAN_ID, source_file="plan.docx", source_page=None, source_table=1,
        source_row=row, section="1.测试", task_no=str(row), task_name="任务",
        indicator_name=name, year=year, scope="全市", target_text=pt.text,
        comparator=pt.comparator, target_value=pt.value, target_value_high=pt.value_high,
        target_unit=pt.unit, relative_kind=pt.relative_kind, relative_value=pt.relative_value,
        relative_reference=pt.relative_reference)


def rate(num, den, code, year, pct):  # a rate of pct % as numerator pct / denominator 100
    return [(num, code, year, pct), (den, code, year, 100)]


COV = ("covered", "communities")
UNEMP = ("unemployed", "labour")
REL_CASES = {
    "翻一番: x2 of the 2015 figure (a sum metric: the city only), judged although the "
    "grammar reads a milestone": dict(
        targets=[relrec(3, "养老床位数", 2020, "翻一番")],
        stats=[("beds", "330100", 2015, 500), ("beds", "330100", 2020, 1100)],
        # 500 x 2 = 1000; 1100 >= 1000, gap 100
        expect=[("330100", 2020, "city", 1100.0, 500.0, 1000.0, ">=", True, 100.0, None)],
    ),
    "增长10%: x1.1 of each district's own 2015 rate; no 2015 figure: not evaluable": dict(
        targets=[relrec(2, "社区覆盖率", 2020, "增长10%")],
        stats=[*rate(*COV, "330102", 2015, 50), *rate(*COV, "330106", 2015, 60),
               *rate(*COV, "330102", 2020, 56), *rate(*COV, "330106", 2020, 65),
               *rate(*COV, "330104", 2020, 70)],
        # 330102: 50 x 1.1 = 55, 56 met (+1); 330106: 60 x 1.1 = 66, 65 missed (-1);
        # 330104 has no 2015 rate, so neither has the city (its sums need every district);
        # city 2020 = (56 + 65 + 70) / 300 x 100 = 63.666667
        expect=[("330100", 2020, "city", 63.666667, None, None, None, None, None,
                 "no base figure in 2015"),
                ("330102", 2020, "district", 56.0, 50.0, 55.0, ">=", True, 1.0, None),
                ("330104", 2020, "district", 70.0, None, None, None, None, None,
                 "no base figure in 2015"),
                ("330106", 2020, "district", 65.0, 60.0, 66.0, ">=", False, -1.0, None)],
    ),
    "下降20% of a down indicator: a ceiling x0.8; a base of 0 is not evaluable": dict(
        targets=[relrec(4, "城镇登记失业率", 2020, "比2015年下降20%")],
        stats=[*rate(*UNEMP, "330102", 2015, 4), *rate(*UNEMP, "330104", 2015, 0),
               *rate(*UNEMP, "330106", 2015, 5), *rate(*UNEMP, "330102", 2020, 3.5),
               *rate(*UNEMP, "330104", 2020, 1), *rate(*UNEMP, "330106", 2020, 3.9)],
        # city 2015 = 9/300 = 3.0 -> 2.4, 2020 = 8.4/300 = 2.8 missed (-0.4);
        # 330102: 4 -> 3.2, 3.5 missed (-0.3); 330106: 5 -> 4.0, 3.9 met (+0.1)
        expect=[("330100", 2020, "city", 2.8, 3.0, 2.4, "<=", False, -0.4, None),
                ("330102", 2020, "district", 3.5, 4.0, 3.2, "<=", False, -0.3, None),
                ("330104", 2020, "district", 1.0, 0.0, None, None, None, None,
                 "not positive"),
                ("330106", 2020, "district", 3.9, 5.0, 4.0, "<=", True, 0.1, None)],
    ),
    "增长10% of a down indicator: a ceiling (at most +10 %)": dict(
        targets=[relrec(4, "城镇登记失业率", 2020, "增长10%")],
        stats=[*rate(*UNEMP, "330102", 2015, 4), *rate(*UNEMP, "330104", 2015, 5),
               *rate(*UNEMP, "330106", 2015, 6), *rate(*UNEMP, "330102", 2020, 4.2),
               *rate(*UNEMP, "330104", 2020, 6), *rate(*UNEMP, "330106", 2020, 6.3)],
        # city 2015 = 15/300 = 5 -> 5.5, 2020 = 16.5/300 = 5.5 met (0); 330102: 4 -> 4.4,
        # 4.2 met (+0.2); 330104: 5 -> 5.5, 6 missed (-0.5); 330106: 6 -> 6.6, 6.3 met (+0.3)
        expect=[("330100", 2020, "city", 5.5, 5.0, 5.5, "<=", True, 0.0, None),
                ("330102", 2020, "district", 4.2, 4.0, 4.4, "<=", True, 0.2, None),
                ("330104", 2020, "district", 6.0, 5.0, 5.5, "<=", False, -0.5, None),
                ("330106", 2020, "district", 6.3, 6.0, 6.6, "<=", True, 0.3, None)],
    ),
    "提高5个百分点: +5 points; a district whose version changed since 2015 is not "
    "evaluable": dict(
        targets=[relrec(2, "社区覆盖率", 2021, "提高5个百分点")],
        stats=[*rate(*COV, "330102", 2015, 50), *rate(*COV, "330104", 2015, 40),
               *rate(*COV, "330106", 2015, 60), *rate(*COV, "330102", 2021, 70),
               *rate(*COV, "330106", 2021, 64)],
        # city 2015 = 150/300 = 50 -> 55, 2021 (330102 new, 330106) = 134/200 = 67 met (+12);
        # 330106: 60 -> 65, 64 missed (-1); 330102 changed on 2021-04-09; 330104 abolished
        expect=[("330100", 2021, "city", 67.0, 50.0, 55.0, ">=", True, 12.0, None),
                ("330102", 2021, "district", 70.0, None, None, None, None, None, "changed"),
                ("330106", 2021, "district", 64.0, 60.0, 65.0, ">=", False, -1.0, None)],
    ),
    "比上年增长5%: x1.05 of the previous year's actual": dict(
        targets=[relrec(3, "养老床位数", 2020, "比上年增长5%")],
        stats=[("beds", "330100", 2015, 1), ("beds", "330100", 2019, 1000),
               ("beds", "330100", 2020, 1040)],
        # 1000 x 1.05 = 1050 (2015 is not the reference); 1040 missed (-10)
        expect=[("330100", 2020, "city", 1040.0, 1000.0, 1050.0, ">=", False, -10.0, None)],
    ),
    "年均增长10%: compound from 2015, x1.1^2 by 2017": dict(
        targets=[relrec(3, "养老床位数", 2017, "年均增长10%")],
        stats=[("beds", "330100", 2015, 1000), ("beds", "330100", 2017, 1250)],
        # 1000 x 1.21 = 1210; 1250 met (+40)
        expect=[("330100", 2017, "city", 1250.0, 1000.0, 1210.0, ">=", True, 40.0, None)],
    ),
    "a district created after the base year, and a year without an actual": dict(
        districts=[District("330110", "新区", "district", "330100", date(2016, 1, 1), None)],
        targets=[relrec(3, "养老床位数", 2020, "增长10%"), relrec(3, "养老床位数", 2021, "增长10%"),
                 relrec(2, "社区覆盖率", 2020, "增长10%")],
        stats=[("beds", "330100", 2015, 100), ("beds", "330100", 2020, 120),
               *rate(*COV, "330110", 2020, 80), *rate(*COV, "330106", 2015, 50)],
        # beds: 100 x 1.1 = 110, 2020 met (+10), 2021 has no figure; 330110 was not in force
        # in 2015; the city's 2015 sums lack 330102 and 330104; 330106 has no 2020 rate
        expect=[("330100", 2020, "city", 120.0, 100.0, 110.0, ">=", True, 10.0, None),
                ("330100", 2020, "city", None, None, None, None, None, None, "no base figure"),
                ("330100", 2021, "city", None, 100.0, 110.0, ">=", None, None, "no actual"),
                ("330102", 2020, "district", None, None, None, None, None, None,
                 "no base figure"),
                ("330104", 2020, "district", None, None, None, None, None, None,
                 "no base figure"),
                ("330106", 2020, "district", None, 50.0, 55.0, ">=", None, None, "no actual"),
                ("330110", 2020, "district", 80.0, None, None, None, None, None,
                 "not in force in 2015")],
    ),
}


def _r(v):
    return None if v is None else round(float(v), 6)


@pytest.mark.parametrize("case", list(REL_CASES))
def test_relative_targets_given_expect(engine, case):
    given = REL_CASES[case]
    from extractors.records import PlanDocument

    wl.load_reference(engine, DISTRICTS + given.get("districts", []), METRICS)
    plan = PlanDocument(PLAN_ID, "测试规划", "杭州市民政局", 2016, 2025, "plan.docx", "a" * 64,
                        "docx", tables_found=1, records=given["targets"])
    wl.load_plan(engine, plan, MAPPINGS)
    wl.load_stats(engine, stats_frame(given["stats"]))
    build_attainment(engine)
    got = fetch(engine, "SELECT a.district_code, a.year, a.level, a.actual_value, a.base_value, "
                        "a.target_resolved, a.resolved_comparator, a.attained, a.gap, a.note, "
                        "a.comparator, ft.comparator, i.indicator_name "
                        "FROM fct_attainment a JOIN fct_target ft ON ft.indicator_id = "
                        "a.indicator_id AND ft.year = a.year AND ft.scope = '全市' "
                        "JOIN dim_indicator i ON i.indicator_id = a.indicator_id "
                        "ORDER BY a.district_code, a.year, i.indicator_name")
    assert len(got) == len(given["expect"])
    for row, want in zip(got, given["expect"], strict=True):
        *values, note, cmp, target_cmp, _ = row
        assert cmp == target_cmp  # fct_attainment keeps the grammar's comparator
        assert [*values[:3], *map(_r, values[3:6]), values[6], values[7], _r(values[8])] == [
            *want[:6], want[6], want[7], want[8]], row
        if want[9] is None:
            assert note is None, row
        else:
            assert note is not None and want[9] in note, row
