"""warehouse.progress.progress_rows without a database: relative targets per district,
hand-computed (docs/progress.md)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from extractors.relative import parse_relative
from warehouse.progress import Indicator, Target, progress_rows

VERSIONS = {"330105": [(date(1900, 1, 1), None)], "330106": [(date(1900, 1, 1), None)]}


def one(text: str, base: float, actual: float, year: int = 2018, comparator=">=", value=None):
    ind = Indicator("i", "m", period_start=2016,
                    targets=[Target(2020, comparator, value, None, text, parse_relative(text))])
    grid = {"m": {("330105", 2015): ("district", base), ("330105", year): ("district", actual)}}
    rows = progress_rows([ind], grid, VERSIONS)
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize("text, base, actual, end, required, status", [
    # 比上年增长5%: 100 x 1.05^5 by 2020; 2018 on the compound path: 100 x 1.05^3
    ("比上年增长5%", 100, 115.7625, 100 * 1.05 ** 5, 100 * 1.05 ** 3, "on track"),
    # 年均增长10%: 50 x 1.1^5; 2018 required 50 x 1.1^3 = 66.55; 60: ln(1.2)/ln(1.331)
    ("年均增长10%", 50, 60, 50 * 1.1 ** 5, 50 * 1.1 ** 3, "moderate"),
    # 下降20% (from the baseline): 80 from 100, compound: 100 x 0.8^(3/5) = 87.5
    ("下降20%", 100, 95, 80, 100 * 0.8 ** 0.6, "limited"),
    # 提高5个百分点: linear 60 -> 65; 2018 required 63; 58 moves away
    ("提高5个百分点", 60, 58, 65, 63, "deteriorating"),
    # 翻两番: 4 x 10, achieved already
    ("翻两番", 10, 41, 40, 10 * 4 ** 0.6, "achieved"),
])
def test_relative_targets_resolve_per_district(text, base, actual, end, required, status):
    row = one(text, base, actual)
    assert row["end_target_value"] == pytest.approx(end)
    assert row["required_value"] == pytest.approx(required)
    assert row["status"] == status


def test_compound_ratio_is_a_ratio_of_growth_rates():
    row = one("年均增长10%", 50, 60)
    assert row["path"] == "compound"
    assert row["progress_ratio"] == pytest.approx(math.log(60 / 50) / math.log(1.1 ** 3))


def test_relative_target_of_a_zero_base_is_insufficient():
    row = one("翻一番", 0, 5)
    assert row["status"] == "insufficient data" and row["progress_ratio"] is None
    assert "base of 0" in row["status_note"]


def test_down_level_on_the_moderate_threshold():
    """<= 3 by 2020 from 5 (2015): 2018 requires 3.8; 4.4 is (4.4 - 5) / (3.8 - 5) = 0.5."""
    row = one("3%", 5, 4.4, comparator="<=", value=3.0)
    assert row["direction"] == "down"
    assert row["progress_ratio"] == pytest.approx(0.5)
    assert row["status"] == "moderate"


def test_qualitative_only_indicator_says_so():
    ind = Indicator("i", "m", period_start=2016,
                    targets=[Target(2017, "milestone", None, None, "试点启动"),
                             Target(2020, "milestone", None, None, "巩固提升")])
    grid = {"m": {("330105", 2015): ("district", 1.0), ("330105", 2018): ("district", 2.0)}}
    (row,) = progress_rows([ind], grid, VERSIONS)
    assert row["status"] == "insufficient data"
    assert "qualitative" in row["status_note"]
    assert "试点启动 (2017)" in row["schedule_note"] and "巩固提升 (2020)" in row["schedule_note"]
