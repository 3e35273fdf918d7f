"""Header words by role, with English glosses (one module for plans and
statistics; each reader compares them after its own normalisation).

# NOTE for the merge: this file is created on two branches (plans: the plan
# roles; stats: the statistics section below). Keep both sections.
"""

from __future__ import annotations

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
