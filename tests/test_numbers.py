"""extractors.numbers: exact numbers as Chinese plans write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.numbers import chinese_numeral, find_numbers


def first_number(text: str):
    """The first quantity ``find_numbers`` reads (years and dates skipped)."""
    return next((n for n in find_numbers(text) if n.kind == "number"), None)


@pytest.mark.parametrize(("raw", "expected"), [
    ("67,293", "67293"), ("1,234,567.5", "1234567.5"), ("4.24", "4.24"), ("10.5万", "105000"),
    ("0.57万", "5700"), ("1.2亿", "120000000"), ("-3.5", "-3.5"),
])
def test_decimal_exactness(raw: str, expected: str) -> None:
    # float would give int(0.57 * 10000) == 5699
    n = first_number(raw)
    assert isinstance(n.value, Decimal) and str(n.value) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("五十", 50), ("十", 10), ("十二", 12), ("二十", 20), ("一百二十", 120), ("一千零一", 1001),
     ("一万二千", 12000), ("一千万", 10_000_000), ("两", 2), ("九", 9)],
)
def test_chinese_numeral(raw: str, expected: int) -> None:
    assert chinese_numeral(raw) == expected


@pytest.mark.parametrize("raw", ["十三五", "十四五", "百", "万", "亿元", "", "十百"])
def test_chinese_numeral_rejects_names_and_bad_forms(raw: str) -> None:
    assert chinese_numeral(raw) is None


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("不低于4张", "4", "张"),
        ("覆盖率达100%", "100", "%"),
        ("4个区、县(市)完成", "4", "个"),
        ("10.5万人", "105000", "人"),
        ("10.5万元", "10.5", "万元"),
        ("十万元", "10", "万元"),
        ("五十张", "50", "张"),
        ("百分之九十", "90", "%"),
        ("提高5个百分点", "5", "个百分点"),
        ("PM2.5浓度下降到35微克/立方米", "35", "微克/立方米"),
        ("20余项", "20", "项"),
        ("3轮", "3", "轮"),
        ("1200", "1200", None),
    ],
)
def test_first_number_reads_value_and_unit(text: str, value: str, unit: str | None) -> None:
    n = first_number(text)
    assert n is not None
    assert (n.value, n.unit) == (Decimal(value), unit)
    assert n.percent is (unit == "%")


def test_first_number_span() -> None:
    n = first_number("全市共有4.24张")
    assert n is not None
    assert (n.start, n.end, n.unit_end) == (4, 8, 9)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("到2017年底,全市50%以上", ["year", "number"]),
        ("2016-2020年累计新增5000张", ["year", "year", "number"]),
        ("二〇一七年", ["year"]),
        ("6月底前完成", ["date"]),
        ("2017年6月", ["year", "date"]),
        ("6个月", ["number"]),
        ("3年", ["number"]),
    ],
)
def test_years_and_dates_are_marked(text: str, kinds: list[str]) -> None:
    assert [n.kind for n in find_numbers(text)] == kinds


@pytest.mark.parametrize(
    "text",
    [
        "一是社区治理服务体制机制得到提升",
        "继续实施新一轮养老服务补贴政策",
        "“三位一体”的社区治理体制",
        "“十三五”期间",
        "统一通过第三方组织进行评估",
        "两新组织",
        "1.分层分类加强社区养老服务",
        "(一)使命和愿景",
        "一、使命和总体目标",
        "每千名老人",
        "第3批",
        "5G基站",
        "PM2.5",
    ],
)
def test_words_and_markers_are_not_numbers(text: str) -> None:
    assert [n for n in find_numbers(text) if n.kind == "number"] == []


def test_minus_sign_only_when_not_a_range() -> None:
    assert [n.value for n in find_numbers("-5%")] == [Decimal(-5)]
    assert [n.value for n in find_numbers("3-5个")] == [Decimal(3), Decimal(5)]


@settings(max_examples=150, deadline=None)
@given(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False))
def test_decimals_round_trip(d: Decimal) -> None:
    assert [n.value for n in find_numbers(str(d))] == [d]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators(n: int) -> None:
    assert [m.value for m in find_numbers(f"{n:,}")] == [n]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises(s: str) -> None:
    for n in find_numbers(s):
        assert isinstance(n.value, Decimal) and 0 <= n.start <= n.end <= n.unit_end <= len(s)


@pytest.mark.parametrize("text, unit", [
    ("城镇登记失业率(%)", "%"), ("城镇登记失业率（%）", None),  # not NFKC-normalised: no match
    ("2020年目标(单位:万人)", "万人"), ("地区生产总值(亿元)", "亿元"),
    ("细颗粒物浓度(微克/立方米)", "微克/立方米"), ("每千人床位(张)", "张"),
    ("建成区、县(市)级福利中心", None), ("覆盖率(城市)", None), ("床位数", None), ("", None),
])
def test_unit_in_parentheses(text, unit):
    from extractors.numbers import unit_in_parentheses
    assert unit_in_parentheses(text) == unit
