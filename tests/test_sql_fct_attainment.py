"""Given/expect tests of warehouse/sql/fct_attainment.sql, dbt style, on DuckDB and
PostgreSQL: a few input rows (districts, metrics, 全市 targets, statistics) and the
exact fct_attainment rows the build must write from them. Each case is one grain rule
of the build (warehouse/attainment.py); the shared districts are tests/helpers.DISTRICTS
(江干区 330104 not in force on 31 December 2021)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers import DISTRICTS, MAPPINGS, METRICS, PLAN_ID, fetch, rec, stats_frame
from warehouse import load as wl
from warehouse.attainment import build_attainment
from warehouse.sql import district_in_force, render

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


def test_render_refuses_an_unknown_placeholder():
    with pytest.raises(KeyError):
        render("district_in_force", district="d", year="y.year", nope="x")
