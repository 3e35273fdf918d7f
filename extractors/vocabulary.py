"""Header words by role: the one vocabulary the readers find columns with.

A reader never matches a header against a fixed list of labels. It scores a
header cell against every role below (the longest word of a role found in the
header wins, so ``主要工作举措`` is *measures* although it holds ``工作``, and
``相关工作目标(指标)`` is *indicator* although it holds ``目标``), then weighs
that against what the column holds (extractors.layouts: targets, years,
numbers, short names, long sentences). An unseen label still finds its role
from its words or, failing that, from its content.

Headers are compared after NFKC and with whitespace removed (the readers'
``normalise_text``), so full-width forms need no entry of their own.

Sections: plan tables (CONTRACT section 3), region words, and at the end a
placeholder for the statistics reader's roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Role:
    name: str
    gloss: str  # English meaning, for `planwh explain` and the docs
    words: tuple[str, ...]  # Chinese (and English) header words, any order
    exact: tuple[str, ...] = ()  # words that count only as the whole header (or its start)


def _longest_hit(header: str, role: Role) -> int:
    """Length of the longest word of ``role`` in ``header`` (0 when none)."""
    best = max((len(w) for w in role.words if w in header), default=0)
    for w in role.exact:
        if header == w or (header.startswith(w) and not header[len(w):len(w) + 1].isalnum()):
            best = max(best, len(w))
    return best


def score_roles(header: str, roles: tuple[Role, ...]) -> dict[str, int]:
    """Role name -> score (longest matching word) for one header text; roles
    without a hit are left out."""
    return dict(_scores(header, roles))


_MEMO: dict[tuple[str, int], tuple[tuple[Role, ...], tuple[tuple[str, int], ...]]] = {}
_MEMO_MAX = 8192


def _scores(header: str, roles: tuple[Role, ...]) -> tuple[tuple[str, int], ...]:
    """Memoised per (header, role set): headers repeat across tables and rows. The
    entry keeps the role tuple itself, so its id is not reused while cached."""
    key = (header, id(roles))
    entry = _MEMO.get(key)
    if entry is not None and entry[0] is roles:
        return entry[1]
    h = header.lower()
    found = tuple((role.name, s) for role in roles if (s := _longest_hit(h, role)))
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[key] = (roles, found)
    return found


def role_word(header: str, role_name: str, roles: tuple[Role, ...]) -> str | None:
    """The word of role ``role_name`` found in ``header`` (the longest), for explanations."""
    h = header.lower()
    role = next((r for r in roles if r.name == role_name), None)
    if role is None:
        return None
    found = [w for w in role.words if w in h] + [w for w in role.exact if h.startswith(w)]
    return max(found, key=len) if found else None


def best_role(header: str, roles: tuple[Role, ...]) -> str | None:
    """The role whose word is longest in ``header`` (earlier roles win ties)."""
    scores = _scores(header, roles)
    if not scores:
        return None
    top = max(s for _, s in scores)
    return next(name for name, s in scores if s == top)


# --------------------------------------------------------------------------- plans

# Order matters only for ties (earlier wins).
PLAN_ROLES: tuple[Role, ...] = (
    Role("seq", "sequence number", ("序号", "编号", "序列", "no."), exact=("序", "号", "no")),
    Role("category", "category (a group of indicators)",
         ("类别", "分类", "类型", "领域", "指标类别", "板块", "维度")),
    Role("task", "task (工作任务)",
         ("工作任务", "任务", "重点任务", "主要任务", "重点工作", "工作内容", "工作项目", "项目名称",
          "task")),
    Role("status", "status quo (现状), text",
         ("现状", "基本情况", "工作基础", "现有基础", "发展基础", "存在问题", "status")),
    Role("measures", "measures (主要工作举措), text",
         ("举措", "措施", "工作举措", "主要工作举措", "实施路径", "工作措施", "主要做法", "measures")),
    Role("indicator", "indicator (指标, 相关工作目标(指标))",
         ("指标", "指标名称", "工作目标", "相关工作目标", "目标(指标)", "目标指标", "主要指标",
          "考核指标", "绩效指标", "考核内容", "评价指标", "指标项", "indicator"),
         exact=("名称", "项目")),
    Role("unit", "unit of measure",
         ("计量单位", "计算单位", "统计单位", "度量单位", "unit"), exact=("单位",)),
    Role("target_group", "targets (a group header over year columns)",
         ("年度目标", "目标值", "目标", "规划目标", "预期目标", "分年度目标", "年度计划", "target")),
    Role("base", "base-year or actual value (基数, 完成情况), not a target",
         ("基数", "基期", "基准", "基期值", "基准值", "现状值", "完成情况", "实际完成", "完成值", "实际值",
          "执行情况", "baseline")),
    Role("growth", "annual growth or cumulative change (not a target)",
         ("年均增长", "年均增速", "累计", "增长率", "增幅", "年均", "growth")),
    Role("binding", "binding (约束性/预期性)", ("属性", "指标属性", "指标性质", "性质", "约束性/预期性")),
    Role("weight", "weight or score (not a target)", ("权重", "分值", "分数", "评分", "考核分", "weight")),
    Role("note", "note", ("备注", "说明", "附注", "note"), exact=("注",)),
    Role("responsible", "responsible body",
         ("责任单位", "牵头单位", "责任部门", "牵头部门", "配合单位", "责任主体", "实施主体",
          "主责单位", "责任处室")),
)
PLAN_ROLE_NAMES = tuple(r.name for r in PLAN_ROLES)
PLAN_GLOSS = {r.name: r.gloss for r in PLAN_ROLES} | {
    "year": "target year",
    "base_year": "base-year value",
    "text": "text (no known header word; long sentences)",
    "name": "names (no known header word; short labels)",
    "dates": "years or dates in the body (a deadline, not a target year)",
    "numbers": "plain numbers under a header that names no role or year",
    "values": "target-like values under a header that names no year",
    "other": "other column",
}

# Words that qualify a year in a year header (2020年目标值, 2015年基数, 2020E).
YEAR_QUALIFIERS = (
    "年度", "年", "目标值", "目标", "预期值", "预期", "规划值", "规划", "计划", "基数", "基期值",
    "基期", "基准值", "基准", "现状值", "现状", "实际值", "实际", "完成值", "完成", "预计", "数", "值",
    "末", "底", "水平", "e", "(e)", "(预期)", "(目标)", "(基数)", "(预计)",
    "到", "至", "达到", "力争", "截至", "截止", "完成情况", "情况", "期末", "期初", "指标值",
)
BASE_WORDS = ("基数", "基期", "基准", "现状", "实际", "完成", "预计", "截至", "截止", "期初")
# A 4-digit year 1949-2100, standing alone (not inside a longer number).
YEAR_TOKEN = re.compile(r"(?<!\d)(19[5-9]\d|1949|20\d\d|2100)(?!\d)")
_QUALIFIER_RE = re.compile(
    r"十[一二三四五六七八九]五(?:规划)?(?:期)?|[“”\"'《》]|"
    + "|".join(re.escape(w) for w in sorted(YEAR_QUALIFIERS, key=len, reverse=True))
)


_PAREN_NOTE = re.compile(r"[(\[【][^()\[\]【】\d]{1,8}[)\]】]")
_BRACKETS = str.maketrans("", "", "()[]【】:: ")


@lru_cache(maxsize=4096)
def year_word(text: str) -> tuple[int, bool] | None:
    """(year, is_base) when ``text`` (a compact header, Chinese-numeral years
    already digits) is a year header: one 4-digit year 1949-2100 with nothing
    around it but year qualifiers (年, 年度, 目标, 基数, E, …) — ``2016``,
    ``2016年``, ``2020年目标值``, ``2015年基数``, ``目标2020``. ``备注1950``,
    ``2016-2020年`` and ``年均增长2016`` are not year headers."""
    t = text.lower()
    years = YEAR_TOKEN.findall(t)
    if len(years) != 1:
        return None
    rest = _PAREN_NOTE.sub("", YEAR_TOKEN.sub("", t, count=1))  # 2020年目标(%): a unit
    if _QUALIFIER_RE.sub("", rest).translate(_BRACKETS):
        return None
    return int(years[0]), any(w in rest for w in BASE_WORDS)


def has_year(text: str) -> bool:
    """A year 1949-2100 anywhere (for "this header names a period")."""
    return YEAR_TOKEN.search(text) is not None


# --------------------------------------------------------------------------- regions

REGION_ROLE = Role(
    "region", "district or region name",
    ("地区", "区域", "城市", "市县", "县(市、区)", "县(市区)", "区县", "县市区", "区、县(市)",
     "行政区", "行政区划", "district", "region", "city", "area"),
    exact=("单位", "名称", "区", "县", "市"),
)

# --------------------------------------------------------------------------- direction

# Words of an indicator name that make a bare number a ceiling (CONTRACT section 4: "a bare
# number -> >=, or <= when the indicator name holds ..."): lower is better.
DOWN_WORDS = ("降低", "下降", "减少", "控制", "失业率", "死亡率", "能耗", "排放")


def is_down_indicator(indicator_name: str) -> bool:
    """True when the indicator is one where lower is better (a bare target is a ceiling)."""
    return any(w in indicator_name for w in DOWN_WORDS)


# --- statistics -------------------------------------------------------------
# Header words of statistics tables, compared after
# ``extractors.reference.normalise_name(text).lower()`` (NFKC, full-width
# brackets to ASCII, blanks removed). Each word maps to its English gloss.

# Region (district) column headers that name the region by themselves.
REGION_HEADER_WORDS: dict[str, str] = {
    "地区": "region", "区县": "district/county", "区县(市)": "district/county (city)",
    "区、县(市)": "district, county (city)", "县(市、区)": "county (city, district)",
    "县(市,区)": "county (city, district)", "县市区": "county/city/district",
    "区县市": "district/county/city", "市县": "city/county", "市县区": "city/county/district",
    "市、县": "city, county", "县(区)": "county (district)", "县区": "county/district",
    "行政区": "administrative district", "行政区划": "administrative division",
    "行政区域": "administrative area", "地区名称": "region name", "区域": "area",
    "区域名称": "area name", "行政区名称": "administrative district name",
    "区划名称": "division name", "城市": "city", "城市名称": "city name", "市": "city",
    "县": "county", "区": "district", "地市": "prefecture city", "市州": "city/prefecture",
    "地级市": "prefecture-level city", "县级市": "county-level city",
    "district": "district", "district_name": "district name", "districtname": "district name",
    "districts": "districts", "region": "region", "regionname": "region name",
    "area": "area", "areaname": "area name", "county": "county",
    "county/district": "county/district", "district/county": "district/county",
    "city": "city", "cityname": "city name", "city/county": "city/county",
}  # fmt: skip
# Headers that name the row label of any table: a region column only when
# its cells are region names (a content signal), else ignored or a unit.
WEAK_REGION_HEADER_WORDS: dict[str, str] = {
    "单位": "unit (reporting unit, or unit of measure)", "单位名称": "reporting unit name",
    "名称": "name", "name": "name", "项目": "item", "分组": "group", "类别": "category",
}  # fmt: skip
# The other half of a diagonal corner cell (地区＼指标: regions down, metrics across).
CORNER_WORDS: dict[str, str] = {
    "指标": "indicator", "项目": "item", "指标名称": "indicator name", "年份": "year",
    "单位": "unit",
}  # fmt: skip
CODE_HEADER_WORDS: dict[str, str] = {
    "代码": "code", "区划代码": "division code", "行政区划代码": "administrative division code",
    "地区代码": "region code", "district_code": "district code", "code": "code",
}  # fmt: skip
YEAR_HEADER_WORDS: dict[str, str] = {
    "年份": "year", "年度": "year", "年": "year", "统计年度": "statistical year",
    "统计年份": "statistical year", "数据年份": "data year", "时间": "time",
    "统计时间": "statistical time", "year": "year",
}  # fmt: skip
METRIC_HEADER_WORDS: dict[str, str] = {
    "指标": "indicator", "指标名称": "indicator name", "指标代码": "indicator code",
    "项目": "item", "metric": "metric", "metric_code": "metric code",
    "metric_name": "metric name", "indicator": "indicator",
}  # fmt: skip
VALUE_HEADER_WORDS: dict[str, str] = {
    "数值": "value", "数据": "data", "值": "value", "指标值": "indicator value",
    "统计值": "statistical value", "value": "value",
}  # fmt: skip
UNIT_HEADER_WORDS: dict[str, str] = {
    "单位": "unit", "计量单位": "unit of measure", "unit": "unit",
}  # fmt: skip
# Columns that carry no figure: notes, sources, row numbers.
IGNORED_HEADER_WORDS: dict[str, str] = {
    "备注": "remarks", "说明": "explanation", "注": "note", "来源": "source",
    "数据来源": "data source", "note": "note", "notes": "notes", "source": "source",
    "序号": "row number", "no": "number", "#": "number",
}  # fmt: skip
# Row labels of totals: resolved to the city through districts.csv when they
# are its aliases, else structural (a subtotal of a group of districts).
TOTAL_ROW_WORDS: dict[str, str] = {
    "合计": "total", "总计": "grand total", "全市": "whole city", "全省": "whole province",
    "市区": "urban area (subtotal)", "市辖区": "districts under the city (subtotal)",
    "小计": "subtotal", "total": "total", "subtotal": "subtotal",
}  # fmt: skip

# Labels of a column-number row under a header (甲 | 乙 | 1 | 2 | 3 …), as
# Chinese statistical report forms print it.
COLUMN_NUMBER_WORDS: dict[str, str] = {
    "甲": "column A (first label column)", "乙": "column B (second label column)",
    "丙": "column C (third label column)", "栏次": "column number", "列次": "column number",
    "栏号": "column number", "列号": "column number",
}  # fmt: skip

# Sets, as the statistics reader compares them.
DISTRICT_HEADERS = frozenset(REGION_HEADER_WORDS)
WEAK_DISTRICT_HEADERS = frozenset(WEAK_REGION_HEADER_WORDS)
CODE_HEADERS = frozenset(CODE_HEADER_WORDS)
YEAR_HEADERS = frozenset(YEAR_HEADER_WORDS)
METRIC_HEADERS = frozenset(METRIC_HEADER_WORDS)
VALUE_HEADERS = frozenset(VALUE_HEADER_WORDS)
UNIT_HEADERS = frozenset(UNIT_HEADER_WORDS)
IGNORED_HEADERS = frozenset(IGNORED_HEADER_WORDS)
TOTAL_ROWS = frozenset(TOTAL_ROW_WORDS)
COLUMN_NUMBER_LABELS = frozenset(COLUMN_NUMBER_WORDS)
