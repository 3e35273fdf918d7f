"""Relative targets (extractors/relative.py): one parametrised test per form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractors.relative import (
    Relative,
    comparator_of,
    growth_column_relative,
    parse_relative,
    relative_base_year,
    resolve,
)
from extractors.targets import parse_target


def rel_of(text: str) -> tuple | None:
    pts = parse_target(text)
    assert len(pts) == 1
    pt = pts[0]
    if pt.relative_kind is None:
        return None
    return pt.relative_kind, pt.relative_value, pt.relative_reference


@pytest.mark.parametrize("text, factor", [
    ("翻一番", 2), ("翻两番", 4), ("翻二番", 4), ("力争翻一番", 2), ("翻番", 2),
    ("比2015年翻一番", 2), ("增长1倍", 2), ("增长1.5倍", Decimal("2.5")),
])
def test_multiple(text, factor):
    kind, value, ref = rel_of(text)
    assert (kind, value, ref) == ("multiple", Decimal(factor), "baseline")


@pytest.mark.parametrize("text, value, ref", [
    ("增长10%", 10, "baseline"),
    ("比2015年增长15%", 15, "baseline"),
    ("比上年增长7.5%", Decimal("7.5"), "previous_year"),
    ("同比增长8%", 8, "previous_year"),
    ("每年提高2%", 2, "previous_year"),
    ("较上年增加5%", 5, "previous_year"),
    ("增长了约6%", 6, "baseline"),
    ("提升百分之十", 10, "baseline"),
])
def test_percent_growth(text, value, ref):
    assert rel_of(text) == ("percent", Decimal(value), ref)


@pytest.mark.parametrize("text, value, ref", [
    ("下降3%", -3, "baseline"),
    ("比2015年下降15%", -15, "baseline"),
    ("降低百分之五", -5, "baseline"),
    ("比上年减少2.5%", Decimal("-2.5"), "previous_year"),
])
def test_percent_decline(text, value, ref):
    assert rel_of(text) == ("percent", Decimal(value), ref)


@pytest.mark.parametrize("text, value, ref", [
    ("提高5个百分点", 5, "baseline"),
    ("比2015年提高3个百分点", 3, "baseline"),
    ("每年提高1个百分点", 1, "previous_year"),
    ("下降2个百分点", -2, "baseline"),
])
def test_points(text, value, ref):
    assert rel_of(text) == ("points", Decimal(value), ref)


@pytest.mark.parametrize("text, value", [("年均增长7%", 7), ("年均增长6.5%", Decimal("6.5")),
                                         ("年均下降3%", -3), ("年均提高2%", 2)])
def test_annual_rate_in_the_cell(text, value):
    assert rel_of(text) == ("annual_rate", Decimal(value), "baseline")


@pytest.mark.parametrize("text, header, indicator, unit, expected", [
    ("7", "年均增长(%)", "地区生产总值", "亿元", ("annual_rate", 7)),
    ("7.5%", "年均增速", "居民人均可支配收入", "元", ("annual_rate", Decimal("7.5"))),
    ("[15]", "年均增长[累计]", "单位GDP能耗降低", "%", ("points", -15)),
    ("〔18〕", "年均增长〔累计〕", "单位GDP二氧化碳排放", "吨", ("percent", -18)),
    ("20", "累计增长", "城乡社区数", "个", ("percent", 20)),
    ("年均增长8%", "年均增长(%)", "财政收入", "亿元", ("annual_rate", 8)),
    ("-2", "年均增长(%)", "人口", "万人", ("annual_rate", -2)),
])
def test_growth_column(text, header, indicator, unit, expected):
    rel = growth_column_relative(text, header, indicator, unit)
    assert (rel.kind, rel.value) == (expected[0], Decimal(expected[1]))
    assert rel.reference == "baseline"


@pytest.mark.parametrize("text", ["不低于90%", "提高到5张", "下降到3.2%", "降至10%", "试点启动",
                                  "增长率达到8%", "增长率达8%", "增幅为5%", "3-5个", "全覆盖",
                                  "90%"])
def test_level_targets_are_not_relative(text):
    """Levels (提高到, 降至; 增长率达8%: a growth rate's level) are no relative target."""
    assert parse_relative(text) is None
    assert rel_of(text) is None


@pytest.mark.parametrize("text", ["—", "", "  "])
def test_blank_cells(text):
    assert parse_relative(text) is None
    assert parse_target(text) == []


def test_level_reading_is_kept():
    """The contract's reading stays: 提高5个百分点 is >= 5 个百分点; 翻一番 a milestone."""
    pt = parse_target("提高5个百分点")[0]
    assert (pt.comparator, pt.value, pt.unit) == (">=", Decimal(5), "个百分点")
    pt = parse_target("翻一番")[0]
    assert (pt.comparator, pt.value) == ("milestone", None)


def test_parsed_target_carries_its_relative_reading():
    """The reader passes each part's relative reading into its TargetRecord (a record
    does not re-read its whole cell: a split cell's other part is not relative)."""
    (pt,) = parse_target("比上年增长7%", "GDP")
    assert (pt.relative_kind, pt.relative_value, pt.relative_reference) == (
        "percent", Decimal(7), "previous_year")
    (pt,) = parse_target("不低于90%", "x")
    assert pt.relative_kind is None


@pytest.mark.parametrize("rel, base, year, expected", [
    (Relative("multiple", Decimal(2), "baseline"), 50.0, 2020, 100.0),
    (Relative("percent", Decimal(10), "baseline"), 200.0, 2020, 220.0),
    (Relative("percent", Decimal(10), "previous_year"), 100.0, 2017, 121.0),
    (Relative("percent", Decimal(-20), "baseline"), 50.0, 2019, 40.0),
    (Relative("points", Decimal(5), "baseline"), 60.0, 2020, 65.0),
    (Relative("points", Decimal(1), "previous_year"), 60.0, 2018, 63.0),
    (Relative("annual_rate", Decimal(10), "baseline"), 100.0, 2017, 121.0),
    (Relative("annual_rate", Decimal(-10), "baseline"), 100.0, 2017, 81.0),
])
def test_resolve(rel, base, year, expected):
    assert resolve(rel, base, 2015, year) == pytest.approx(expected)


def test_resolve_without_base():
    assert resolve(Relative("multiple", Decimal(2), "baseline"), None, 2015, 2020) is None
    assert resolve(Relative("multiple", Decimal(2), "baseline"), 1.0, 2015, 2014) is None
    assert comparator_of(Relative("percent", Decimal(-3), "baseline")) == "<="
    assert comparator_of(Relative("multiple", Decimal(2), "baseline")) == ">="


# --------------------------------------------------------------------------- layout B's growth column


def _layout_b(rows: list[list[str]], growth_header: str = "年均增长（%）"):
    from extractors.layouts import read_plan_table
    from tests.test_layouts import grid_of

    head = ["序号", "指标名称", "单位", "2020年基数", "2023年", "2025年目标", growth_header, "属性"]
    grid = grid_of([head] + rows, table_index=1)
    return read_plan_table(grid, plan_id="p", source_file="f.docx")


def _rel(rec) -> tuple:
    return rec.relative_kind, rec.relative_value, rec.relative_reference


def test_layout_b_growth_column_gives_the_relative_reading():
    result = _layout_b([
        ["1", "地区生产总值", "亿元", "10050", "12000", "15000", "7", "预期性"],
        ["2", "单位GDP能耗降低", "%", "100", "", "〔15〕", "〔15〕", "约束性"],
        ["3", "常住人口城镇化率", "%", "70", "", "73", "", "预期性"],
    ])
    recs = {(r.indicator_name, r.year): r for r in result.records}
    # an annual rate holds for every year's record of the row
    assert _rel(recs[("地区生产总值", 2023)]) == ("annual_rate", Decimal("7"), "baseline")
    assert _rel(recs[("地区生产总值", 2025)]) == ("annual_rate", Decimal("7"), "baseline")
    # the level reading is unchanged
    assert (recs[("地区生产总值", 2025)].comparator, recs[("地区生产总值", 2025)].target_value) \
        == (">=", Decimal("15000"))
    # a row without a growth cell has no relative reading
    assert _rel(recs[("常住人口城镇化率", 2025)]) == (None, None, None)
    # the growth cells keep their (structural) fate: one fate per cell, no issue
    growth = [f for f in result.fates if f.col == 6 and f.row > 0]
    assert len(growth) == 2 and {f.fate for f in growth} == {"structural"}
    assert not [i for i in result.issues if "〔15〕" in i.reason or "'7'" in i.reason]


def test_layout_b_cumulative_growth_is_the_end_years_target_only():
    result = _layout_b([["1", "养老机构护理型床位占比", "%", "40", "45", "55", "[15]", "约束性"]],
                       growth_header="累计增长")
    recs = {r.year: r for r in result.records}
    assert _rel(recs[2025]) == ("points", Decimal("15"), "baseline")  # % indicator: points
    assert _rel(recs[2023]) == (None, None, None)  # a change over the period: not 2023's


def test_layout_b_target_cells_own_relative_wins_over_growth_column():
    result = _layout_b([["1", "居民人均可支配收入", "元", "50000", "", "翻一番", "7", "预期性"]])
    (rec,) = result.records
    assert _rel(rec) == ("multiple", Decimal("2"), "baseline")


def test_split_scope_cell_records_keep_their_own_relative():
    result = _layout_b([["1", "居民人均可支配收入", "元", "50000", "",
                         "城市翻一番，农村增长10%", "", "预期性"]])
    by_scope = {r.scope: _rel(r) for r in result.records}
    assert by_scope["城市"][:2] == ("multiple", Decimal("2"))
    assert by_scope["农村"][:2] == ("percent", Decimal("10"))  # not the whole cell's first form


@pytest.mark.parametrize("reference, text, year, expected", [
    ("baseline", "比2018年增长10%", 2020, 2018),  # the year the wording names
    ("baseline", "较2017年下降5%", 2020, 2017),
    ("baseline", "增长10%", 2020, 2015),  # else the plan's base year
    ("baseline", "比2020年增长10%", 2020, 2015),  # a named year not before the target's
    ("previous_year", "比上年增长5%", 2020, 2019),
])
def test_relative_base_year(reference, text, year, expected):
    assert relative_base_year(reference, text, year, 2015) == expected
