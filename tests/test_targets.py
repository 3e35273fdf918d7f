"""extractors.targets: the target grammar, one test per rule of CONTRACT section 4."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import targets
from extractors.records import CITY_SCOPE, COMPARATORS, ParsedTarget
from extractors.targets import parse_target, split_scopes

Row = tuple[str, str | None, str | None, str | None]  # comparator, value, value_high, unit


def only(text: str, indicator: str = "", default_unit: str | None = None) -> ParsedTarget:
    parsed = parse_target(text, indicator, default_unit)
    assert len(parsed) == 1, parsed
    return parsed[0]


def check(pt: ParsedTarget, expected: Row, scope: str = CITY_SCOPE) -> None:
    comparator, value, high, unit = expected
    assert pt.comparator == comparator
    assert pt.value == (None if value is None else Decimal(value))
    assert pt.value_high == (None if high is None else Decimal(high))
    assert pt.unit == unit
    assert pt.scope == scope


# --------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("不低于4张", (">=", "4", None, "张")),
        ("不低于 4 张", (">=", "4", None, "张")),
        ("不少于300家", (">=", "300", None, "家")),
        ("50%以上", (">=", "50", None, "%")),
        ("≥95%", (">=", "95", None, "%")),
        (">=95", (">=", "95", None, None)),
        ("达到90%", (">=", "90", None, "%")),
        ("覆盖率达100%", (">=", "100", None, "%")),
        ("提高到5张", (">=", "5", None, "张")),
        ("不低于当年户籍老年人口的6%", (">=", "6", None, "%")),
    ],
)
def test_rule_at_least(text: str, expected: Row) -> None:
    check(only(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("不高于5%", ("<=", "5", None, "%")),
        ("不超过3.5%", ("<=", "3.5", None, "%")),
        ("控制在4%以内", ("<=", "4", None, "%")),
        ("100人以下", ("<=", "100", None, "人")),
        ("≤5", ("<=", "5", None, None)),
        ("下降到3.2%", ("<=", "3.2", None, "%")),
        ("降至10‰", ("<=", "10", None, "‰")),
    ],
)
def test_rule_at_most(text: str, expected: Row) -> None:
    check(only(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("大于10", (">", "10", None, None)),
        ("超过500家", (">", "500", None, "家")),
        ("高于全省平均", ("milestone", None, None, None)),
        ("小于5%", ("<", "5", None, "%")),
        ("低于5%", ("<", "5", None, "%")),
        ("不低于5%", (">=", "5", None, "%")),  # 不低于 is not 低于
        ("等于3", ("=", "3", None, None)),
        ("为100%", ("=", "100", None, "%")),
        ("作为试点,建成10家", (">=", "10", None, "家")),  # 为 must touch the number
    ],
)
def test_rule_strict_and_equal(text: str, expected: Row) -> None:
    check(only(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全覆盖", (">=", "100", None, "%")),
        ("实现全覆盖。", (">=", "100", None, "%")),
        ("所有区、县(市)完成", (">=", "100", None, "%")),
        ("全部街道完成", (">=", "100", None, "%")),
        ("覆盖率达100%。", (">=", "100", None, "%")),
        ("农村90%全覆盖", (">=", "90", None, "%")),  # an explicit number wins
        ("2020年全覆盖", (">=", "100", None, "%")),  # a year is not a value
    ],
)
def test_rule_full_coverage(text: str, expected: Row) -> None:
    check(only(text, "居家养老服务照料中心覆盖率"), expected)


@pytest.mark.parametrize(
    ("text", "indicator", "expected"),
    [
        ("4个区、县(市)完成", "推进智慧社区建设", (">=", "4", None, "个")),
        ("12个区、县(市)完成", "", (">=", "12", None, "个")),
        ("25%社区完成", "加大城乡社区治理创新力度", (">=", "25", None, "%")),
        ("99%社区完成", "", (">=", "99", None, "%")),
        ("8个区、县(市)完成", "减少审批环节", (">=", "8", None, "个")),  # completion counts up
    ],
)
def test_rule_completion_counts(text: str, indicator: str, expected: Row) -> None:
    check(only(text, indicator), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3-5个", ("between", "3", "5", "个")),
        ("3~5%", ("between", "3", "5", "%")),
        ("3～5%", ("between", "3", "5", "%")),
        ("3%-5%", ("between", "3", "5", "%")),
        ("3至5家", ("between", "3", "5", "家")),
        ("3—5家", ("between", "3", "5", "家")),
        ("4张-5张", ("between", "4", "5", "张")),
        ("3至5万人", ("between", "30000", "50000", "人")),
        ("10-8", ("between", "8", "10", None)),
        ("三至五个", ("between", "3", "5", "个")),
        ("3 - 5", ("between", "3", "5", None)),
        ("从3%到5%", (">=", "5", None, "%")),  # from 3% to 5%: a change, not a range
        ("2016-2020年累计新增5000张", (">=", "5000", None, "张")),  # a year range
        ("-5%", (">=", "-5", None, "%")),  # a leading minus is no range
    ],
)
def test_rule_between(text: str, expected: Row) -> None:
    check(only(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50%左右", ("about", "50", None, "%")),
        ("约50%", ("about", "50", None, "%")),
        ("大约3000人", ("about", "3000", None, "人")),
        ("1.2万人左右", ("about", "12000", None, "人")),
        ("约束性指标", ("milestone", None, None, None)),  # 约 of 约束 touches no number
    ],
)
def test_rule_about(text: str, expected: Row) -> None:
    check(only(text), expected)


@pytest.mark.parametrize(
    ("text", "indicator", "expected"),
    [
        ("4张", "每百名老人拥有养老机构床位数", (">=", "4", None, "张")),
        ("90%", "覆盖率", (">=", "90", None, "%")),
        ("1200", "", (">=", "1200", None, None)),
        ("3.5%", "城镇登记失业率", ("<=", "3.5", None, "%")),
        ("10%", "单位GDP能耗降低", ("<=", "10", None, "%")),
        ("5", "婴儿死亡率", ("<=", "5", None, None)),
        ("15%", "二氧化硫排放量减少", ("<=", "15", None, "%")),
        ("2%", "人口自然增长率控制", ("<=", "2", None, "%")),
        ("8%", "化学需氧量下降", ("<=", "8", None, "%")),
    ],
)
def test_rule_bare_number(text: str, indicator: str, expected: Row) -> None:
    check(only(text, indicator), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("67,293张", (">=", "67293", None, "张")),
        ("67,293", (">=", "67293", None, None)),
        ("10.5万", (">=", "105000", None, None)),
        ("10.5万人", (">=", "105000", None, "人")),
        ("1.2亿元", (">=", "1.2", None, "亿元")),  # money units stay as written
        ("百分之九十", (">=", "90", None, "%")),
        ("不低于百分之九十", (">=", "90", None, "%")),
        ("五十张", (">=", "50", None, "张")),
        ("十二个", (">=", "12", None, "个")),
        ("不少于两家", (">=", "2", None, "家")),
        ("一百二十", (">=", "120", None, None)),
        ("不低于４张", (">=", "4", None, "张")),
        ("１０．５万人", (">=", "105000", None, "人")),
    ],
)
def test_rule_number_formats(text: str, expected: Row) -> None:
    check(only(text), expected)


@pytest.mark.parametrize(
    "text",
    [
        "试点启动",
        "修改完善养老服务补贴政策,补贴制度更加科学合理",
        "实施新一轮养老服务补贴政策",
        "继续实施新一轮养老服务补贴政策,补贴监管水平有效提升",
        "一是社区治理服务体制机制得到提升",
        "“十三五”期间形成三位一体格局",
        "2018年完成",
        "6月底前出台",
        "无",
    ],
)
def test_rule_milestone(text: str) -> None:
    pt = only(text)
    check(pt, ("milestone", None, None, None))
    assert pt.text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全覆盖①", (">=", "100", None, "%")),  # not ">= 1"
        ("全覆盖 ②", (">=", "100", None, "%")),
        ("试点启动①", ("milestone", None, None, None)),
        ("完成验收注3", ("milestone", None, None, None)),
        ("全覆盖(注2)", (">=", "100", None, "%")),
        ("全覆盖（注 2）", (">=", "100", None, "%")),
        ("不低于4张①", (">=", "4", None, "张")),
        ("不低于6张注1", (">=", "6", None, "张")),
        ("25%*", (">=", "25", None, "%")),
        ("全面推开※", ("milestone", None, None, None)),
        ("97%-99%②", ("between", "97", "99", "%")),
        ("1200张左右⑴", ("about", "1200", None, "张")),
        ("①新建床位不低于500张;②护理型床位占比50%", (">=", "500", None, "张")),
        ("全覆盖²", (">=", "100", None, "%")),  # a superscript footnote number
        ("试点启动³", ("milestone", None, None, None)),
        ("11万⁴", (">=", "110000", None, None)),
        ("关注1000户", (">=", "1000", None, "户")),  # 注 of a word, not a footnote
        ("关注10", (">=", "10", None, None)),  # ... even when its number ends the cell
        ("标注3", (">=", "3", None, None)),
    ],
)
def test_footnote_markers_are_no_part_of_the_target(text: str, expected: Row) -> None:
    check(only(text), expected)


def test_a_star_between_digits_is_no_footnote() -> None:
    """2*3 is no 23: only a * that does not join two digits is a footnote mark."""
    from extractors.targets import _FOOTNOTE

    assert _FOOTNOTE.sub("", "2*3") == "2*3"
    assert _FOOTNOTE.sub("", "25%*") == "25%" and _FOOTNOTE.sub("", "*全覆盖") == "全覆盖"


@pytest.mark.parametrize("text", ["①", "—①", "*"])
def test_a_footnote_marker_alone_gives_no_record(text: str) -> None:
    assert parse_target(text) == []


@pytest.mark.parametrize("text", ["", " ", "\n", "\u3000", "—", "-", "－", "——", "–", "/", "…"])
def test_rule_blank_or_dash_gives_no_record(text: str) -> None:
    assert parse_target(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("城市全覆盖,农村90%全覆盖。",
         [("城市", "城市全覆盖", (">=", "100", None, "%")),
          ("农村", "农村90%全覆盖", (">=", "90", None, "%"))]),
        ("城市全 覆盖,农村 90%全 覆盖。",
         [("城市", "城市全覆盖", (">=", "100", None, "%")),
          ("农村", "农村90%全覆盖", (">=", "90", None, "%"))]),
        ("城镇80%;农村60%",
         [("城镇", "城镇80%", (">=", "80", None, "%")),
          ("农村", "农村60%", (">=", "60", None, "%"))]),
        ("市区100%。县(市)不低于90%",
         [("市区", "市区100%", (">=", "100", None, "%")),
          ("县(市)", "县(市)不低于90%", (">=", "90", None, "%"))]),
        ("城市每百名老人4张,其中新建3张,农村3张",
         [("城市", "城市每百名老人4张,其中新建3张", (">=", "4", None, "张")),
          ("农村", "农村3张", (">=", "3", None, "张"))]),
    ],
)
def test_rule_scope_split(text: str, expected: list[tuple[str, str, Row]]) -> None:
    parsed = parse_target(text)
    assert [(p.scope, p.text) for p in parsed] == [(s, t) for s, t, _ in expected]
    for pt, (scope, _, row) in zip(parsed, expected, strict=True):
        check(pt, row, scope)


@pytest.mark.parametrize(
    "text",
    ["城市全覆盖", "城市和农村全覆盖", "覆盖率达100%,其中城市全覆盖,农村90%", "城市80%,城市90%"],
)
def test_rule_scope_unsplit(text: str) -> None:
    assert split_scopes(text) is None
    assert [p.scope for p in parse_target(text)] == [CITY_SCOPE]


@pytest.mark.parametrize(
    ("text", "default_unit", "expected"),
    [
        ("4张", None, (">=", "4", None, "张")),
        ("6%", "人", (">=", "6", None, "%")),
        ("4个区、县(市)完成", None, (">=", "4", None, "个")),
        ("50", "张", (">=", "50", None, "张")),
        ("3-5", "个", ("between", "3", "5", "个")),
        ("全覆盖", "个", (">=", "100", None, "%")),
        ("10.5万人", "万人", (">=", "10.5", None, "万人")),  # the unit column's 万 is kept
        ("10.5万", "万人", (">=", "10.5", None, "万人")),
        ("10.5万", "人", (">=", "105000", None, "人")),
        ("提高5个百分点", None, (">=", "5", None, "个百分点")),
        ("65岁", None, (">=", "65", None, "岁")),
        ("200平方米", None, (">=", "200", None, "平方米")),
        ("20余项", None, (">=", "20", None, "项")),
        ("3轮", None, (">=", "3", None, "轮")),
        ("0.50吨标煤", None, (">=", "0.50", None, "吨标煤")),  # tonnes of coal equivalent
        ("35微克/立方米", None, (">=", "35", None, "微克/立方米")),
    ],
)
def test_rule_unit(text: str, default_unit: str | None, expected: Row) -> None:
    check(only(text, "", default_unit), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("到2017年底,全市50%以上街道(乡镇)建有综合性照料服务中心", (">=", "50", None, "%")),
        ("2017年底前建成300家", (">=", "300", None, "家")),
        ("到2020年每千名老人拥有社会养老床位50张", (">=", "50", None, "张")),
        ("从2016年的4.24张提高到5张", (">=", "5", None, "张")),
        ("二〇二〇年达到90%", (">=", "90", None, "%")),
    ],
)
def test_rule_year_is_not_the_value(text: str, expected: Row) -> None:
    check(only(text), expected)


# --------------------------------------------------------------------- the seed's cells


@pytest.mark.parametrize(
    ("text", "indicator", "expected"),
    [
        ("城市全 覆盖,农村 90%全 覆盖。", "居家养老服务照料中心覆盖率",
         [("城市", (">=", "100", None, "%")), ("农村", (">=", "90", None, "%"))]),
        ("覆盖率 达100%。", "居家养老服务照料中心覆盖率", [(CITY_SCOPE, (">=", "100", None, "%"))]),
        ("不低于 4 张", "每百名老人拥有养老机构床位数", [(CITY_SCOPE, (">=", "4", None, "张"))]),
        ("不低于 当年户 籍老年 人口的 6%", "享受养老服务补贴老年人数占比",
         [(CITY_SCOPE, (">=", "6", None, "%"))]),
        ("修改完 善养老 服务补 贴政策, 补贴制 度更加 科学合 理", "享受养老服务补贴老年人数占比",
         [(CITY_SCOPE, ("milestone", None, None, None))]),
        ("试点启 动", "加大城乡社区治理创新力度", [(CITY_SCOPE, ("milestone", None, None, None))]),
        ("25%社区 完成", "加大城乡社区治理创新力度", [(CITY_SCOPE, (">=", "25", None, "%"))]),
        ("4个区、 县 (市)完成", "推进智慧社区建设", [(CITY_SCOPE, (">=", "4", None, "个"))]),
        ("所有区、县(市)完成", "推进智慧社区建设", [(CITY_SCOPE, (">=", "100", None, "%"))]),
    ],
)
def test_seed_cells(text: str, indicator: str, expected: list[tuple[str, Row]]) -> None:
    parsed = parse_target(text, indicator)
    assert len(parsed) == len(expected)
    for pt, (scope, row) in zip(parsed, expected, strict=True):
        check(pt, row, scope)


def test_text_is_the_normalised_cell() -> None:
    assert only("覆盖 率达 100%。").text == "覆盖率达100%。"


# --------------------------------------------------------------------- properties

_WORDS = [
    "不低于", "不少于", "以上", "以下", "达到", "达", "提高到", "不高于", "不超过", "控制在",
    "以内", "下降到", "降至", "大于", "小于", "低于", "超过", "等于", "为", "约", "左右",
    "全覆盖", "所有", "全部", "完成", "城市", "农村", "城镇", "市区", "县(市)", "个", "张",
    "%", "万", "亿", "万元", "百分之", "五十", "十二", "两", "〇", "年", "月", "底", "第",
    "每", "—", "-", "~", "～", "至", "≥", "≤", "<", ">", "=", ",", "，", ";", "。", "、",
    "(", ")", " ", "\n", "　", "区", "社区", "试点启动", ".", "0", "1", "2016", "67,293",
    "10.5", "４", "９０％", "一是", "新一轮", "十三五",
]
_cjk_text = st.lists(
    st.one_of(st.sampled_from(_WORDS), st.text(alphabet="0123456789.,-一二三十百千万", max_size=4)),
    max_size=14,
).map("".join)
_any_text = st.one_of(st.text(), _cjk_text)


def _holds_invariants(parsed: list[ParsedTarget]) -> None:
    assert isinstance(parsed, list)
    for pt in parsed:
        assert pt.comparator in COMPARATORS
        assert (pt.value is None) == (pt.comparator == "milestone")
        assert (pt.value_high is not None) == (pt.comparator == "between")
        if pt.comparator == "between":
            assert pt.value <= pt.value_high
        assert pt.value is None or isinstance(pt.value, Decimal)
        assert isinstance(pt.scope, str) and pt.scope
        assert isinstance(pt.text, str) and pt.text


@settings(max_examples=300, deadline=None)
@given(_any_text, st.sampled_from(["", "城镇登记失业率", "覆盖率"]), st.sampled_from([None, "个", "万人"]))
def test_property_never_raises_and_keeps_invariants(
    text: str, indicator: str, default_unit: str | None
) -> None:
    _holds_invariants(parse_target(text, indicator, default_unit))
    # parse_target turns any exception into a milestone: call the grammar itself too, so
    # that a crash in it fails this test instead of hiding behind that safety net
    targets._parse(text, default_unit)


@settings(max_examples=150, deadline=None)
@given(_cjk_text)
def test_property_blank_only_when_blank_or_dash(text: str) -> None:
    parsed = parse_target(text)
    if not parsed:
        assert not any(ch.isalnum() or "\u4e00" <= ch <= "\u9fff" for ch in text)


def test_never_raises_on_odd_inputs() -> None:
    for odd in [None, "9" * 5000, "亿" * 500, "一" * 300 + "万", "百分之" * 50, "\x00\ud7ff", 123]:
        _holds_invariants(parse_target(odd))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text,comparator,value,unit",
    [
        ("至少五家", ">=", Decimal("5"), "家"),  # every comparator word reads Chinese numerals
        ("最多三次", "<=", Decimal("3"), "次"),
        ("不得低于二十个", ">=", Decimal("20"), "个"),
        ("压缩到十五天", "<=", Decimal("15"), "天"),
        ("成为一个示范区", "milestone", None, None),  # 为 + numeral in prose: no target
    ],
)
def test_comparator_words_with_chinese_numerals(text, comparator, value, unit):
    (pt,) = parse_target(text)
    assert (pt.comparator, pt.value, pt.unit) == (comparator, value, unit)


# ------------------------------------------------- comparator words after a unit


@pytest.mark.parametrize(
    ("text", "indicator", "expected"),
    [
        ("控制在55微克/立方米以内", "", ("<=", "55", None, "微克/立方米")),
        ("48微克/立方米以下", "", ("<=", "48", None, "微克/立方米")),
        ("48微克/立方米以内", "", ("<=", "48", None, "微克/立方米")),
        ("35微克/立方米之内", "", ("<=", "35", None, "微克/立方米")),
        ("100万元以上", "", (">=", "100", None, "万元")),
        ("5万人次/年以上", "", (">=", "50000", None, "人次/年")),
        ("10吨/日及以上", "", (">=", "10", None, "吨/日")),
        ("3人/千人左右", "", ("about", "3", None, "人/千人")),
        ("0.5吨标准煤/万元以下", "单位GDP能耗", ("<=", "0.5", None, "吨标准煤/万元")),
        ("35微克/立方米", "", (">=", "35", None, "微克/立方米")),  # bare: a floor
        ("35微克/立方米", "PM2.5浓度下降", ("<=", "35", None, "微克/立方米")),
    ],
)
def test_comparator_word_after_a_compound_unit(text, indicator, expected):
    check(only(text, indicator), expected)


@pytest.mark.parametrize(
    ("text", "default_unit", "expected"),
    [
        ("新增三张", None, (">=", "3", None, "张")),
        ("新增八家", None, (">=", "8", None, "家")),
        ("新增五", "项", (">=", "5", None, "项")),  # unit from the 单位 column
        ("新建三所", None, (">=", "3", None, "所")),
        ("建成两个", None, (">=", "2", None, "个")),
        ("培育五家", None, (">=", "5", None, "家")),
        ("新增一家", None, (">=", "1", None, "家")),
        ("新增一批", None, ("milestone", None, None, None)),  # 一批 "a batch": no count
        ("一是新增", None, ("milestone", None, None, None)),
    ],
)
def test_chinese_numeral_after_a_counting_verb(text, default_unit, expected):
    check(only(text, "", default_unit), expected)
