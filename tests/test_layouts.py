"""Layouts: columns found by meaning, header variants, indicator names, provenance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractors.layouts import (
    detect_layout,
    indicator_name_a,
    is_section_heading,
    table_records,
)
from extractors.plans import issuer_of, period_of, sniff_format
from extractors.records import GridCell, TableGrid
from extractors.text import normalise_text

Spec = list[list[object]]  # str, (text, rowspan, colspan), or None for a covered position


def grid_of(spec: Spec, *, table_index: int = 0, pages: list[int] | None = None,
            section: str | None = "1.构建大养老体系") -> TableGrid:
    """A TableGrid from a spec: merged cells repeat the same GridCell object."""
    n_cols = sum(1 if not isinstance(c, tuple) else c[2] for c in spec[0])
    rows: list[list[GridCell | None]] = [[None] * n_cols for _ in spec]
    for r, row in enumerate(spec):
        c = 0
        for item in row:
            while c < n_cols and rows[r][c] is not None:
                c += 1
            if item is None:
                continue
            text, rs, cs = item if isinstance(item, tuple) else (item, 1, 1)
            cell = GridCell(normalise_text(text), text, (r, c), rs, cs)
            for dr in range(rs):
                for dc in range(cs):
                    rows[r + dr][c + dc] = cell
            c += cs
    full = [[cell or GridCell("", "", (r, c)) for c, cell in enumerate(row)]
            for r, row in enumerate(rows)]
    return TableGrid(rows=full, table_index=table_index, section=section, row_pages=pages)


HEAD_A = ["序号", "工作任务", "现状（包括影响工作的主要因素）", "主要工作举措", "相关工作目标（指标）"]


def layout_a_two_rows(years: list[str], group: str = "年度目标") -> Spec:
    top = [(h, 2, 1) for h in HEAD_A] + [(group, 1, len(years))]
    return [top, list(years)]


def test_layout_a_two_row_header_paths_and_years():
    spec = layout_a_two_rows(["2016年", "2017年", "2018年"]) + [
        [("1", 2, 1), ("居家养老", 2, 1), ("现状", 2, 1), ("举措", 2, 1), "照料中心覆盖率",
         "城市全覆盖，农村90%全覆盖", ("覆盖率达100%", 1, 2)],
        [None, None, None, None, "每百名老人床位数", "不低于4张", "—", "试点启动"],
    ]
    grid = grid_of(spec, table_index=3, pages=[5, 5, 5, 6])
    layout = detect_layout(grid)
    assert layout is not None and layout.kind == "A"
    assert (layout.header_start, layout.header_rows) == (0, 2)
    assert layout.year_cols == [(5, 2016), (6, 2017), (7, 2018)]
    recs = table_records(grid, plan_id="p", source_file="f.pdf")
    keys = [(r.source_row, r.year, r.scope) for r in recs]
    assert keys == [(2, 2016, "城市"), (2, 2016, "农村"), (2, 2017, "全市"), (2, 2018, "全市"),
                    (3, 2016, "全市"), (3, 2018, "全市")]
    # the vertically merged task applies to every covered row; provenance carried
    last = recs[-1]
    assert (last.task_no, last.task_name, last.indicator_name) == ("1", "居家养老", "每百名老人床位数")
    assert (last.source_table, last.source_page, last.section) == (3, 6, "1.构建大养老体系")
    assert last.comparator == "milestone" and last.target_value is None
    assert recs[2].target_text == "覆盖率达100%" and recs[3].target_text == "覆盖率达100%"
    assert recs[4].target_value == Decimal("4") and recs[4].target_unit == "张"


@pytest.mark.parametrize("years, group", [
    (["2016", "2017"], "年度目标"),
    (["２０１６", "２０１７"], "年度目标值"),
    (["2016年目标", "2017年目标"], "年度目标"),
    (["2016 年", "2017年"], "年度目标"),
    (["二〇一六年", "二〇一七年"], "年度目标"),  # years in Chinese numerals
    (["二零一六年度", "二零一七年度"], "年度目标"),
    (["2016年", "2017年"], "2016-2020年年度目标"),  # the group names the period
    (["2016年", "2017年"], "“十三五”(2016—2020年)年度目标值"),
])
def test_layout_a_year_header_variants(years, group):
    spec = layout_a_two_rows(years, group) + [["1", "任务", "现状", "举措", "床位数", "不低于4张", "5张"]]
    layout = detect_layout(grid_of(spec))
    assert layout is not None and layout.kind == "A"
    assert [y for _, y in layout.year_cols] == [2016, 2017]


def test_layout_a_one_row_header_with_chinese_numeral_years():
    spec = [["序号", "工作任务", "相关工作目标(指标)", "二〇一六年", "二〇一七年"],
            ["1", "社区建设", "社区覆盖率", "达到50%", "达到60%"]]
    layout = detect_layout(grid_of(spec))
    assert layout is not None and layout.kind == "A"
    assert layout.year_cols == [(3, 2016), (4, 2017)]


def test_layout_b_base_year_in_chinese_numerals():
    spec = [["序号", "指标", "单位", "二〇一五年基数", "二〇二〇年目标", "属性"],
            ["1", "每千名老年人拥有养老床位数", "张", "40", "50", "约束性"]]
    layout = detect_layout(grid_of(spec))
    assert layout is not None and layout.kind == "B"
    assert (layout.base_col, layout.base_year, layout.year_cols) == (3, 2015, [(4, 2020)])


def test_layout_a_one_row_header_and_column_order_free():
    spec = [
        ["2016年", "序号", "相关工作目标(指标)", "工作任务", "2017年"],
        ["达到50%", "1", "社区覆盖率", "社区建设", "达到60%"],
    ]
    layout = detect_layout(grid_of(spec))
    assert layout is not None and layout.kind == "A" and layout.header_rows == 1
    assert (layout.seq_col, layout.indicator_col, layout.task_col) == (1, 2, 3)
    assert layout.year_cols == [(0, 2016), (4, 2017)]


def test_layout_a_base_year_column_is_not_a_target():
    spec = [HEAD_A + ["2015年基数", "2016年", "2017年"],
            ["1", "任务", "现状", "举措", "床位数", "3.5张", "4张", "5张"]]
    layout = detect_layout(grid_of(spec))
    assert [y for _, y in layout.year_cols] == [2016, 2017]


B_HEAD = ["类别", "序号", "指标名称", "单位", "2015年基数", "2020年目标", "年均增长（%）", "属性"]


def test_layout_b_records_baseline_binding_and_unit():
    spec = [B_HEAD,
            [("经济发展", 2, 1), "1", "地区生产总值", "亿元", "10050", "15000", "7", "预期性"],
            [None, "2", "城镇登记失业率", "%", "—", "4", "", "约束性"],
            [("二、社会民生", 1, 8)]]
    grid = grid_of(spec, table_index=1)
    layout = detect_layout(grid)
    assert layout.kind == "B"
    assert (layout.base_col, layout.base_year, layout.year_cols) == (4, 2015, [(5, 2020)])
    recs = table_records(grid, plan_id="p", source_file="f.docx")
    assert len(recs) == 2  # the spanning category row gives none
    a, b = recs
    assert (a.layout, a.year, a.task_no, a.task_name, a.indicator_name) == ("B", 2020, "1", "", "地区生产总值")
    assert (a.baseline_value, a.baseline_year, a.binding) == (Decimal("10050"), 2015, "预期性")
    assert (a.target_unit, a.indicator_unit) == ("亿元", "亿元")  # unit column as default unit
    assert (b.baseline_value, b.baseline_year, b.comparator) == (None, None, "<=")  # 失业率: down


def test_layout_b_plain_year_headers_first_is_base():
    spec = [["序号", "指标", "单位", "2015年", "2020年", "属性"],
            ["1", "每千名老人养老床位", "张", "45", "50", "约束性"]]
    layout = detect_layout(grid_of(spec))
    assert layout.kind == "B" and layout.base_year == 2015 and layout.year_cols == [(4, 2020)]


def test_layout_b_years_across_give_one_record_per_year():
    spec = [["序号", "指标名称", "单位", "2015年基数", "2016年", "2017年", "2018年", "属性"],
            ["1", "每千名老人养老床位", "张", "38", "40", "42", "不低于45", "约束性"]]
    grid = grid_of(spec)
    layout = detect_layout(grid)
    assert layout.kind == "B" and (layout.base_col, layout.base_year) == (3, 2015)
    assert layout.year_cols == [(4, 2016), (5, 2017), (6, 2018)]
    recs = table_records(grid, plan_id="p", source_file="f.docx")
    assert [(r.year, r.comparator, r.target_value, r.target_unit) for r in recs] == [
        (2016, ">=", Decimal("40"), "张"), (2017, ">=", Decimal("42"), "张"),
        (2018, ">=", Decimal("45"), "张")]
    assert {(r.baseline_value, r.baseline_year, r.binding) for r in recs} == {
        (Decimal("38"), 2015, "约束性")}


@pytest.mark.parametrize("years, base", [
    (["2016年", "2017年", "2018年", "2019年", "2020年"], None),  # annual targets, no base
    (["2015年", "2016年", "2017年", "2018年", "2019年", "2020年"], 2015),  # year before the period
    (["2020年", "2021年", "2022年"], 2020),
    (["2025年", "2030年", "2035年"], None),  # targets five years apart, no base
    (["2015年", "2020年"], 2015),  # base and target
])
def test_layout_b_unmarked_years_base_only_before_a_period(years, base):
    spec = [["序号", "指标", "单位", *years], ["1", "养老床位", "张", *["50"] * len(years)]]
    layout = detect_layout(grid_of(spec))
    assert layout.kind == "B" and layout.base_year == base
    targets = [int(y[:4]) for y in years if int(y[:4]) != base]
    assert [y for _, y in layout.year_cols] == targets


def test_title_row_above_header_is_skipped():
    spec = [[("附表：主要指标", 1, 5)],
            ["序号", "指标", "单位", "2015年", "2020年"],
            ["1", "床位数", "张", "45", "50"]]
    recs = table_records(grid_of(spec), plan_id="p", source_file="f")
    assert [(r.source_row, r.year) for r in recs] == [(2, 2020)]


@pytest.mark.parametrize("spec", [
    [["姓名", "电话", "地址"], ["张三", "123", "杭州"]],
    [["序号", "工作任务", "责任单位"], ["1", "养老", "民政局"]],  # no year column
    [["序号"], ["1"]],
])
def test_non_plan_tables_are_ignored(spec):
    assert table_records(grid_of(spec), plan_id="p", source_file="f") is None


@pytest.mark.parametrize("indicator, expected", [
    ("居家养老服务照料中心覆盖率", "居家养老服务照料中心覆盖率"),
    ("一是社区治理服务体制机制得到提升", "任务"),
    ("1.推进智慧社区建设", "任务"),
    ("街道属地管理能力得到提升。社区与政府的职责边界清楚", "任务"),
    ("这是一个非常非常长的相关工作目标描述文字超过了三十个字的限制所以不算指标", "任务"),
    ("", "任务"),
])
def test_indicator_name_convention(indicator, expected):
    assert indicator_name_a(indicator, "任务") == expected


@pytest.mark.parametrize("text, heading", [
    ("1.构建事业产业协同发展的大养老体系", True),
    ("1、构建大养老体系", True),
    ("(一)“十三五”期间关键指标", True),
    ("二、“十三五”期间关键指标和重点工作目标", True),
    ("第一章 总体要求", True),
    ("1.5万人", False),
    ("1.基层社会治理体系更加现代化。创新社区治理体制机制", False),
    ("指标内容:推动养老服务供给侧改革", False),
    ("2016年", False),
])
def test_section_heading_convention(text, heading):
    assert is_section_heading(normalise_text(text)) is heading


@pytest.mark.parametrize("title, issuer", [
    ("杭州市民政局“十三五”绩效管理规划", "杭州市民政局"),
    ("杭州市发展和改革委员会关于印发规划的通知", "杭州市发展和改革委员会"),
    ("杭州市人民政府办公厅关于印发养老规划的通知", "杭州市人民政府办公厅"),
    ("杭州市国民经济和社会发展第十三个五年规划纲要", None),
])
def test_issuer(title, issuer):
    assert issuer_of(title) == issuer


@pytest.mark.parametrize("texts, period", [
    (["杭州市民政局“十三五”绩效管理规划"], (2016, 2020)),
    (["“十四五”规划"], (2021, 2025)),
    (["某规划", "规划期限为2016-2020年。"], (2016, 2020)),
    (["规划(2018至2022年)"], (2018, 2022)),
    (["没有期限"], None),
])
def test_period(texts, period):
    assert period_of(texts) == period


@pytest.mark.parametrize("head, fmt", [
    (b"PK\x03\x04rest", "docx"), (b"%PDF-1.7", "pdf"), (b"\x89PNG\r\n", "PNG"),
    (b"\xd0\xcf\x11\xe0", "legacy Office .doc/.xls"), (b"hello", "unknown"),
])
def test_sniff_format(head, fmt):
    assert sniff_format(head) == fmt


@pytest.mark.parametrize("raw,norm", [
    ("⑴养老服务体系建设", "(1)养老服务体系建设"),
    ("⒈养老服务体系建设", "1.养老服务体系建设"),
])
def test_parenthesised_and_full_stop_numbers_head_sections(raw, norm):
    from extractors.layouts import is_section_heading
    from extractors.text import normalise_text
    assert normalise_text(raw) == norm and is_section_heading(normalise_text(raw))


@pytest.mark.parametrize("mark", ["①", "⑳", "❶", "㉑", "¹"])
def test_footnote_marks_stay_as_written(mark):
    from extractors.text import normalise_text
    assert normalise_text(f"全覆盖{mark}") == f"全覆盖{mark}"


# ------------------------------------------------ columns by meaning: generated variety

import random  # noqa: E402

from extractors.layouts import read_plan_table, read_table  # noqa: E402

TASK_LABELS = ["工作任务", "重点任务", "主要任务", "任务"]
STATUS_LABELS = ["现状", "现状（包括影响工作的主要因素）", "工作现状", "基本情况"]
MEASURE_LABELS = ["主要工作举措", "工作措施", "主要措施", "举措"]
INDICATOR_A_LABELS = ["相关工作目标（指标）", "指标名称", "工作目标", "考核指标", "绩效指标", "指标"]
GROUP_LABELS = ["年度目标", "年度目标值", "2016-2020年年度目标", "分年度目标", "目标值"]
EXTRA = [("备注", "每年评估"), ("责任单位", "市民政局"), ("备注1950", "1950年代旧址")]
CN = "〇一二三四五六七八九"


def year_label(year: int, style: str) -> str:
    return {
        "bare": str(year),
        "nian": f"{year}年",
        "cn": "".join(CN[int(d)] for d in str(year)) + "年",
        "fullwidth": "".join(chr(0xFF10 + int(d)) for d in str(year)) + "年",
        "target": f"{year}年目标",
        "spaced": f"{year} 年",
    }[style]


def layout_a_case(seed: int):
    """A layout-A table drawn at random along the axes the contract names: label
    synonyms, 1-3 header rows, year styles, column order, extra columns."""
    rnd = random.Random(seed)
    years = list(range(2016, 2016 + rnd.randint(2, 5)))
    style = rnd.choice(["bare", "nian", "cn", "fullwidth", "target", "spaced"])
    depth = rnd.randint(1, 3)
    labels = {"seq": "序号", "task": rnd.choice(TASK_LABELS), "status": rnd.choice(STATUS_LABELS),
              "measures": rnd.choice(MEASURE_LABELS), "indicator": rnd.choice(INDICATOR_A_LABELS)}
    names = [k for k in labels if rnd.random() > 0.25 or k in ("indicator",)]
    rnd.shuffle(names)
    extras = rnd.sample(EXTRA, rnd.randint(0, 2))
    n_rows = rnd.randint(1, 4)
    body_values = {
        "seq": lambda i: str(i + 1), "task": lambda i: f"任务{i + 1}建设",
        "status": lambda i: "现有床位不足，服务水平有待提高。需要进一步加强基础设施建设和人才队伍建设。",
        "measures": lambda i: "一是加强规划引导；二是加大财政投入；三是完善政策体系，推动服务提质增效。",
        "indicator": lambda i: f"养老床位数{i + 1}",
    }
    # header: label columns span all header rows; the year block has group rows above it
    top, second, third = [], [], []
    for k in names:
        top.append((labels[k], depth, 1))
    for label, _ in extras:
        top.append((label, depth, 1))
    ylabels = [year_label(y, style) for y in years]
    if depth == 1:
        top += ylabels
        header = [top]
    elif depth == 2:
        top.append((rnd.choice(GROUP_LABELS), 1, len(years)))
        header = [top, ylabels]
    else:
        top.append(("规划目标", 1, len(years)))
        second.append((rnd.choice(GROUP_LABELS), 1, len(years)))
        third = ylabels
        header = [top, second, third]
    body = []
    for i in range(n_rows):
        row = [body_values[k](i) for k in names] + [v for _, v in extras]
        row += [f"不低于{50 + i + j}张" for j in range(len(years))]
        body.append(row)
    expected_name = lambda i: f"养老床位数{i + 1}"  # noqa: E731
    return header + body, years, n_rows, expected_name, depth


@pytest.mark.parametrize("seed", range(40))
def test_layout_a_generated_variety_is_read_by_meaning(seed):
    spec, years, n_rows, name, depth = layout_a_case(seed)
    grid = grid_of(spec)
    result = read_plan_table(grid, plan_id="p", source_file="f")
    assert result.layout is not None, (spec, read_table(grid).why_not)
    assert result.layout.header_rows == depth
    assert [y for _, y in result.layout.year_cols] == years
    recs = result.records
    assert len(recs) == n_rows * len(years)
    for rec in recs:
        i = rec.source_row - depth
        assert rec.indicator_name == name(i)
        assert rec.target_value == Decimal(50 + i + years.index(rec.year))
    summary = _summary(result)
    assert summary == {"record": n_rows * len(years), "issue": 0,
                       "structural": summary["structural"]}
    assert not result.issues


def _summary(result) -> dict[str, int]:
    out = {"record": 0, "structural": 0, "issue": 0}
    for f in result.fates:
        out[f.fate] += f.count
    assert sum(out.values()) == result.view.non_empty  # every cell exactly once
    assert len({(f.row, f.col) for f in result.fates}) == len(result.fates)
    return out


B_INDICATOR = ["指标", "指标名称", "主要指标", "名称", "考核指标"]
B_UNIT = ["单位", "计量单位", "单位名称 "]
B_BASE = ["{y}年基数", "{y}年", "基期{y}", "{y}年(基数)", "{y}年现状值"]
B_TARGET = ["{y}年目标", "{y}年", "{y}", "{y}年预期目标", "{y}E"]
B_GROWTH = ["年均增长（%）", "年均增速", "累计增长"]
B_BINDING = ["属性", "指标属性", "性质"]


@pytest.mark.parametrize("seed", range(30))
def test_layout_b_generated_variety_is_read_by_meaning(seed):
    rnd = random.Random(1000 + seed)
    unit_label = rnd.choice(B_UNIT[:2])
    cols = [("序号", lambda i: str(i + 1)), (rnd.choice(B_INDICATOR), lambda i: f"城镇登记人数{i}"),
            (unit_label, lambda i: "万人"),
            (rnd.choice(B_BASE).format(y=2015), lambda i: str(40 + i)),
            (rnd.choice(B_TARGET).format(y=2020), lambda i: f"{50 + i}"),
            (rnd.choice(B_GROWTH), lambda i: "[5]"), (rnd.choice(B_BINDING), lambda i: "预期性")]
    if rnd.random() < 0.5:
        cols.insert(0, ("类别", lambda i: "经济"))
    if rnd.random() < 0.5:
        cols.append(("备注", lambda i: "新增指标"))
    head, rest = cols[:1], cols[1:]
    rnd.shuffle(rest)
    cols = head + rest
    n = rnd.randint(1, 4)
    spec = [[h for h, _ in cols]] + [[f(i) for _, f in cols] for i in range(n)]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    layout = result.layout
    assert layout is not None and layout.kind == "B", spec
    assert layout.base_year == 2015 and [y for _, y in layout.year_cols] == [2020]
    assert [(r.indicator_name, r.target_value, r.baseline_value, r.indicator_unit, r.binding)
            for r in result.records] == [
        (f"城镇登记人数{i}", Decimal(50 + i), Decimal(40 + i), "万人", "预期性") for i in range(n)]
    s = _summary(result)
    assert s["issue"] == 0 and s["record"] == 2 * n  # the target and the baseline of each row


def test_single_header_row_with_indicator_name_status_and_measures():
    """The unseen LibreOffice table: one header row 工作任务 | 指标名称 | 现状 |
    主要工作举措 | 2016 … 2020 (years without 年): keyed under the indicator."""
    years = ["2016", "2017", "2018", "2019", "2020"]
    spec = [["序号", "工作任务", "指标名称", "现状", "主要工作举措", *years],
            ["1", "完善养老服务体系", "每千名老人养老床位数", "现有床位3万张。", "一是新建；二是改建。",
             "38张", "40张", "42张", "45张", "50张"],
            ["2", "完善养老服务体系", "护理型床位占比", "占比偏低。", "加快转型。",
             "30%", "35%", "40%", "45%", "不低于50%"]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    assert result.layout.kind == "A" and result.layout.header_rows == 1
    assert {r.indicator_name for r in result.records} == {"每千名老人养老床位数", "护理型床位占比"}
    assert len(result.records) == 10 and {r.task_name for r in result.records} == {"完善养老服务体系"}


def test_remark_with_digits_is_not_a_year_column():
    spec = [["序号", "指标", "单位", "2015年", "2020年", "备注1950"],
            ["1", "床位数", "张", "45", "50", "1950年建成"]]
    layout = read_table(grid_of(spec)).layout
    assert layout.kind == "B" and layout.year_cols == [(4, 2020)] and layout.base_year == 2015
    assert layout.columns[5].role == "note"


@pytest.mark.parametrize("label", ["考察项目名目", "评价事项"])  # no known header word
def test_unknown_indicator_label_found_by_content(label):
    spec = [["序号", label, "单位", "2015年", "2020年"],
            ["1", "每千名老人养老床位数", "张", "45", "50"],
            ["2", "社会组织数", "家", "300", "500"]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    assert result.layout is not None and result.layout.indicator_col == 1
    assert [r.indicator_name for r in result.records] == ["每千名老人养老床位数", "社会组织数"]
    assert "content" in result.layout.columns[1].why


def test_plan_like_table_without_records_is_an_issue_not_silence():
    spec = [["编码", "2016年", "2017年"], ["", "不低于90%", "95%以上"]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f.docx")
    assert result.records is None
    assert result.issues and "looks like a plan table" in result.issues[0].reason
    assert _summary(result) == {"record": 0, "structural": 0, "issue": 5}


def test_target_like_column_without_a_year_is_an_issue():
    spec = [["序号", "指标", "单位", "2020年", "目标值"],
            ["1", "床位数", "张", "50", "不低于60张"]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    assert len(result.records) == 1
    assert [(f.row, f.col) for f in result.fates if f.fate == "issue"] == [(1, 4)]
    assert result.issues[0].location == "table 0, row 1, column 4"


def test_non_plan_table_cells_are_structural():
    spec = [["姓名", "电话", "地址"], ["张三", "123", "杭州"]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    assert result.records is None and not result.issues
    assert _summary(result) == {"record": 0, "structural": 6, "issue": 0}


def test_target_words_in_a_table_without_header_make_it_plan_like():
    spec = [["养老", "不低于90%", "达到95%"], ["救助", "不低于80%", "85%以上"]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    assert result.records is None and result.issues
    assert _summary(result)["issue"] == 6


def test_repeated_header_and_dropped_cells_are_structural():
    spec = [["序号", "指标", "单位", "2015年", "2020年"],
            ["1", "床位数", "张", "45", "50"],
            ["序号", "指标", "单位", "2015年", "2020年"],
            ["2", "社会组织数", "家", "300", "500"]]
    grid = grid_of(spec)
    grid.dropped = [(2, "序号", "repeated header"), (2, "指标", "repeated header")]
    result = read_plan_table(grid, plan_id="p", source_file="f")
    assert [r.indicator_name for r in result.records] == ["床位数", "社会组织数"]
    roles = {(f.row, f.role) for f in result.fates if f.fate == "structural"}
    assert (2, "repeated header") in roles and (-1, "dropped") in roles
    assert _summary(result) == {"record": 4, "structural": 16 + 2, "issue": 0}  # + dropped


@pytest.mark.parametrize("spec, unit", [
    ([["序号", "指标", "2015年", "2020年(%)"], ["1", "城镇化率", "60", "70"]], "%"),
    ([["序号", "指标", "2015年基数", "2020年目标(单位:万人)"], ["1", "新增就业", "10", "12"]], "万人"),
    ([["序号", "指标", "2015年", "2020年"], ["1", "城镇登记失业率(%)", "2.1", "3.5以内"]], "%"),
    ([["序号", "指标", "单位", "2015年", "2020年(%)"], ["1", "城镇化率", "张", "60", "70"]], "张"),
])
def test_unit_in_the_header_or_after_the_indicator(spec, unit):
    recs = table_records(grid_of(spec), plan_id="p", source_file="f")
    assert len(recs) == 1 and recs[0].target_unit == unit and recs[0].indicator_unit == unit
    assert recs[0].baseline_value is not None


def test_a_deadline_column_is_not_taken_for_the_indicator():
    spec = [["序号", "工作任务", "完成时限", "2016年", "2017年"],
            ["1", "社区建设", "2017年底", "达到50%", "达到60%"],
            ["2", "养老服务", "2018年6月", "达到70%", "80%以上"]]
    layout = read_table(grid_of(spec)).layout
    assert layout.kind == "A" and layout.indicator_col is None and layout.columns[2].role == "dates"
    recs = table_records(grid_of(spec), plan_id="p", source_file="f")
    assert [r.indicator_name for r in recs] == ["社区建设"] * 2 + ["养老服务"] * 2


@pytest.mark.parametrize("label, year, base", [
    ("到2020年", 2020, False), ("2020年力争达到", 2020, False), ("截至2015年", 2015, True),
    ("2015年完成情况", 2015, True), ("2015年底", 2015, False), ("“十三五”期末2020年", 2020, False),
    ("2020年指标值", 2020, False),
])
def test_year_header_phrasings(label, year, base):
    from extractors.vocabulary import year_word
    assert year_word(normalise_text(label)) == (year, base)


@pytest.mark.parametrize("label", ["备注1950", "2016-2020年", "年均增长2016", "电话85100001",
                                   "1950年代", "第2020号"])
def test_not_year_headers(label):
    from extractors.vocabulary import year_word
    assert year_word(normalise_text(label)) is None


def test_yearless_target_word_over_names_is_the_indicator():
    spec = [["序号", "工作任务", "主要目标", "2016年", "2017年"],
            ["1", "社区建设", "社区服务中心覆盖率", "达到50%", "达到60%"],
            ["2", "社区建设", "社会组织数量", "不少于300家", "350家以上"]]
    recs = table_records(grid_of(spec), plan_id="p", source_file="f")
    assert [r.indicator_name for r in recs] == ["社区服务中心覆盖率"] * 2 + ["社会组织数量"] * 2


def _first_and_rest(rest_rows, *, section="1.构建大养老体系", n_years=3):
    years = [f"{2016 + i}" for i in range(n_years)]
    first = grid_of([["序号", "工作任务", "相关工作目标(指标)", *years],
                     ["1", "养老", "床位数", *[f"{40 + i}张" for i in range(n_years)]]])
    rest = grid_of(rest_rows, table_index=1, section=section)
    a = read_plan_table(first, plan_id="p", source_file="f")
    return a, first, rest


def test_headerless_table_after_a_plan_table_continues_it():
    a, first, rest = _first_and_rest([["2", "救助", "低保覆盖率", "不低于90%", "95%以上", "98%"],
                                      ["3", "救助", "救助站数", "10个", "12个", "15个"]])
    b = read_plan_table(rest, plan_id="p", source_file="f", previous=a, previous_grid=first)
    assert [(r.source_table, r.source_row, r.year, r.indicator_name) for r in b.records][:3] == [
        (1, 0, 2016, "低保覆盖率"), (1, 0, 2017, "低保覆盖率"), (1, 0, 2018, "低保覆盖率")]
    assert len(b.records) == 6 and "continuing table 0" in b.view.kind
    assert b.notices and "continuation of table 0" in b.notices[0].reason
    assert _summary(b) == {"record": 6, "structural": 6, "issue": 0}


@pytest.mark.parametrize("rows, section", [
    ([["2", "救助", "低保覆盖率", "不低于90%", "95%以上", "98%"]], "2.另一节"),  # another section
    ([["2", "救助", "低保覆盖率", "不低于90%", "95%以上"]], "1.构建大养老体系"),  # other width
    ([["说明", "本表", "数据", "来源于统计年鉴和部门统计，最终以正式公布数据为准，下同。", "", ""]],
     "1.构建大养老体系"),  # prose, no targets
])
def test_headerless_table_that_does_not_continue(rows, section):
    a, first, rest = _first_and_rest(rows, section=section)
    b = read_plan_table(rest, plan_id="p", source_file="f", previous=a, previous_grid=first)
    assert b.records is None and not b.notices


@pytest.mark.parametrize("head, cell, fate", [
    ("目标值", "60", "issue"),  # a target word without a year over a number: not loaded, said so
    ("目标值", "不低于60张", "issue"),
    ("", "60", "issue"),  # numbers under no header at all
    ("分值", "10", "structural"),  # a score column is no target
    ("权重", "10%", "structural"),
    ("考核方式", "60", "structural"),  # an unknown header over plain numbers: structure, shown by explain
])
def test_numbers_outside_year_columns(head, cell, fate):
    spec = [["序号", "指标", "单位", "2020年", head], ["1", "床位数", "张", "50", cell]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    assert len(result.records) == 1
    assert [f.fate for f in result.fates if (f.row, f.col) == (1, 4)] == [fate]


def test_second_column_under_a_merged_year_header_is_not_silent():
    spec = [["序号", "指标", "单位", ("2020年", 1, 2)],
            ["1", "床位数", "张", "50", "不低于55张"]]
    result = read_plan_table(grid_of(spec), plan_id="p", source_file="f")
    assert [(r.year, r.target_value) for r in result.records] == [(2020, Decimal(50))]
    assert [(f.col, f.fate) for f in result.fates if f.row == 1 and f.col >= 3] == [
        (3, "record"), (4, "issue")]


def test_actuals_under_a_completion_group_are_not_targets():
    spec = [[("指标", 2, 1), ("单位", 2, 1), ("“十二五”完成情况", 1, 2), ("2020年目标", 2, 1)],
            [None, None, "2014年", "2015年", None],
            ["床位数", "张", "30", "35", "50"]]
    layout = read_table(grid_of(spec)).layout
    assert layout.kind == "B" and layout.year_cols == [(4, 2020)]
    assert (layout.base_col, layout.base_year) == (3, 2015)  # the latest actual is the baseline
    assert read_plan_table(grid_of(spec), plan_id="p", source_file="f").records[0].baseline_value == 35


@pytest.mark.parametrize("header, role", [
    ("主要工作举措", "measures"), ("相关工作目标(指标)", "indicator"), ("指标名称", "indicator"),
    ("指标属性", "binding"), ("责任单位", "responsible"), ("单位", "unit"), ("单位(万元)", "unit"),
    ("单位名称", None), ("年均增长(%)", "growth"), ("指标类别", "category"), ("年度目标值", "target_group"),
    ("“十二五”完成情况", "base"), ("分值", "weight"), ("备注", "note"), ("工作任务", "task"),
])
def test_longest_header_word_decides_the_role(header, role):
    from extractors.vocabulary import PLAN_ROLES, best_role
    assert best_role(header, PLAN_ROLES) == role


def test_role_scores_are_memoised_per_role_set_not_per_id():
    from extractors.vocabulary import REGION_ROLE, Role, best_role
    for _ in range(50):  # fresh tuples: a reused id must not return another set's answer
        assert best_role("城市", (REGION_ROLE,)) == "region"
        assert best_role("城市", (Role("x", "x", ("乡村",)),)) is None
