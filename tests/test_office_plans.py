"""Plans in the styles of other bureaus (tools/make_office_plans.py), DOCX and the PDF
LibreOffice made of it: each must give the records written here by hand.

tests/test_libreoffice_pdfs.py already holds PDF == DOCX for them; this holds both
against what a reader of the document sees.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from extractors.plans import extract_plan
from tests.helpers import FIXTURES

LO_DIR = FIXTURES / "plans" / "libreoffice"
YEARS = (2016, 2017, 2018, 2019, 2020)

# (comparator, value, high, unit) of the target wordings used below
GE4, GE5, GE6 = (">=", "4", None, "张"), (">=", "5", None, "张"), (">=", "6", None, "张")
ABOUT1200, ABOUT1300 = ("about", "1200", None, "张"), ("about", "1300", None, "张")
FULL = (">=", "100", None, "%")
MILESTONE = ("milestone", None, None, None)
R97_99 = ("between", "97", "99", "%")
N105K, N110K = (">=", "105000", None, None), (">=", "110000", None, None)


def pct(v: str) -> tuple:
    return (">=", v, None, "%")


# layout A rows of ROWS_A in the generator: (序号, indicator, targets 2016..2020)
ANNUAL = [
    ("1", "每千名老年人拥有养老床位数", (GE4, GE5, GE6, ABOUT1200, ABOUT1300)),
    ("2", "社区居家养老服务照料中心覆盖率", (pct("25"), pct("30"), pct("35"), FULL, FULL)),
    ("3", "医养结合试点", (MILESTONE, MILESTONE, MILESTONE, R97_99, R97_99)),
    ("4", "低保对象人数", (N105K, N110K, N105K, N110K, N105K)),
]
# layout B rows of ROWS_B: (序号, indicator, 2020 target, baseline 2015, binding)
KEY = [
    ("1", "每千名老年人拥有社会养老床位数", (">=", "50", None, "张"), "40", "约束性"),
    ("2", "居家养老服务照料中心覆盖率", FULL, "90", "预期性"),
    ("3", "城乡低保标准", (">=", "900", None, "元/月"), "744", "预期性"),
    ("4", "困难群众医疗救助比例", ("about", "70", None, "%"), "60", "预期性"),
    ("5", "低保对象人数", (">=", "11", None, "万人"), "10.5", "预期性"),
]


def annual(table: int, section: str, rows=ANNUAL, first_row: int = 1) -> list[tuple]:
    return [(table, first_row + i, section, no, name, year, *t, None, None)
            for i, (no, name, targets) in enumerate(rows)
            for year, t in zip(YEARS, targets, strict=True)]


def key(table: int, section: str, rows=KEY, first_row: int = 1) -> list[tuple]:
    return [(table, first_row + i, section, no, name, 2020, *t, base, binding)
            for i, (no, name, t, base, binding) in enumerate(rows)]


def numbered(rows, n: int) -> list:
    """ROWS_B repeated: 序号 and indicator name numbered 1..n (tools/make_office_plans.py)."""
    out = []
    for i in range(n):
        no, name, *rest = rows[i % len(rows)]
        out.append((str(i + 1), f"{name}{i + 1}", *rest))
    return out


GOLD = {
    # the ruled table and the three-line one after it (on two pages)
    "three_line_beside_ruled": annual(0, "一、年度目标") + key(1, "二、主要指标"),
    "three_line_over_pages": key(0, "一、主要指标", numbered(KEY, 30)),
    # 二〇一六年 … headers; a two-row header under 2016-2020年年度目标
    "year_headers_in_words": annual(0, "一、养老服务", ANNUAL[:2])
    + annual(1, "二、医养结合与社会救助", ANNUAL[2:], first_row=2),
    # ① * 注1 (注2) after the targets: the targets of ANNUAL read as without them
    "footnote_markers": annual(0, "一、养老服务", ANNUAL[:3]),
    # superscript footnote numbers (不低于4张¹, 全覆盖², 试点启动³, 11万⁴)
    "superscript_footnotes": annual(0, "一、养老服务"),
    # a rule under every row, no vertical rules: every row, its wrapped lines joined
    "rule_under_every_row": annual(0, "一、年度目标") + key(1, "二、主要指标"),
    "rule_under_every_row_over_pages": key(0, "一、主要指标", numbered(KEY, 40)),
    # a three-line table with a rule between its two groups of rows
    "rules_between_groups": key(0, "一、主要指标"),
    # a target in every year column: after a 2015 base, and with no base at all
    "key_indicators_by_year": [
        (0, 1, "一、主要指标", "1", "每千名老年人拥有养老床位数", y, ">=", v, None, "张", "38", "约束性")
        for y, v in zip(YEARS, ("40", "42", "45", "48", "50"), strict=True)
    ] + [
        (0, 2, "一、主要指标", "2", "社区居家养老服务照料中心覆盖率", y, ">=", v, None, "%", "90",
         "预期性")
        for y, v in zip(YEARS, ("92", "94", "96", "98", "100"), strict=True)
    ] + [
        (1, 1, "二、年度指标", "1", "社会组织数", y, c, v, None, "家", None, None)
        for y, c, v in zip(YEARS, (">=", ">=", ">=", "about", "about"),
                           ("300", "320", "340", "360", "380"), strict=True)
    ] + [
        (1, 2, "二、年度指标", "2", "城乡社区服务中心覆盖率", y, ">=", v, None, "%", None, None)
        for y, v in zip(YEARS, ("90", "95", "100", "100", "100"), strict=True)
    ],
}


def d(v) -> Decimal | None:
    return None if v is None else Decimal(str(v)).normalize()


def got(path) -> list[tuple]:
    return [(r.source_table, r.source_row, r.section, r.task_no, r.indicator_name, r.year,
             r.comparator, d(r.target_value), d(r.target_value_high), r.target_unit,
             d(r.baseline_value), r.binding)
            for r in extract_plan(path).records]


def expected(name: str) -> list[tuple]:
    return [(*g[:6], g[6], d(g[7]), d(g[8]), g[9], d(g[10]), g[11]) for g in GOLD[name]]


@pytest.mark.parametrize("suffix", ["docx", "pdf"])
@pytest.mark.parametrize("name", sorted(GOLD))
def test_office_plan_reads_as_written(name, suffix):
    path = LO_DIR / "sources" / f"{name}.docx" if suffix == "docx" else LO_DIR / f"{name}.pdf"
    have, want = got(path), expected(name)
    missing = [r for r in want if r not in have]
    extra = [r for r in have if r not in want]
    assert not missing and not extra, f"missing {missing[:3]}\nextra {extra[:3]}"
    assert have == want


@pytest.mark.parametrize("suffix", ["docx", "pdf"])
def test_footnote_markers_stay_in_the_target_text(suffix):
    path = (LO_DIR / "sources" / "footnote_markers.docx" if suffix == "docx"
            else LO_DIR / "footnote_markers.pdf")
    texts = {(r.source_row, r.year): r.target_text for r in extract_plan(path).records}
    assert texts[(2, 2019)] == "全覆盖①" and texts[(1, 2018)] == "不低于6张注1"
    assert texts[(2, 2020)] == "全覆盖(注2)" and texts[(3, 2017)] == "全面推开*"


@pytest.mark.parametrize("suffix", ["docx", "pdf"])
def test_superscript_footnote_numbers_stay_superscript(suffix):
    path = (LO_DIR / "sources" / "superscript_footnotes.docx" if suffix == "docx"
            else LO_DIR / "superscript_footnotes.pdf")
    texts = {(r.source_row, r.year): r.target_text for r in extract_plan(path).records}
    assert (texts[(1, 2016)], texts[(2, 2019)]) == ("不低于4张¹", "全覆盖²")
    assert (texts[(3, 2016)], texts[(4, 2017)]) == ("试点启动³", "11万⁴")


def test_three_line_tables_are_read_beside_ruled_ones():
    doc = extract_plan(LO_DIR / "three_line_beside_ruled.pdf")
    assert {r.source_table: r.extraction for r in doc.records} == {0: "lines", 1: "text"}
    assert {r.source_page for r in doc.records if r.source_table == 1} == {1, 2}
    assert any("text strategy" in w for w in doc.warnings)


def test_rule_under_every_row_is_read_quickly():
    """40 rules over two pages: a bounded number of text-strategy reads per rule, not one
    per pair of rules (which took 25 s)."""
    start = time.perf_counter()
    doc = extract_plan(LO_DIR / "rule_under_every_row_over_pages.pdf")
    assert len(doc.records) == 40
    assert time.perf_counter() - start < 5
