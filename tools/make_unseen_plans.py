"""Generate look-alikes of plan tables written by others, in tests/fixtures/plans/unseen/.

Invented data in the shapes that other people's plans were measured to use and
planwh once misread (issue 11): a single header row with 指标名称 | 现状 |
主要工作举措 and years written without 年 (``2016``), comparator words after a
compound unit (``控制在55微克/立方米以内``, ``48微克/立方米以下``), an extra
备注1950 column that is no year, synonyms for every header (主要指标, 计量单位,
年均增速, 指标属性), and, beside the plan tables, a table that is no plan table
and one that looks like one but names no indicator (its cells must be ledger
issues, never silence), and (DOCX only, in docx_only/) a plan table split into
two Word tables, the second without a header. Each spec is written as DOCX and
PDF with gold records from the spec (never from parsing).

    .venv/bin/python tools/make_unseen_plans.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from plan_writer import (  # noqa: E402
    Cell,
    Heading,
    M,
    Paragraph,
    PlanDoc,
    T,
    Table,
    b_row,
    layout_b,
    write_pair,
)

OUT = ROOT / "tests" / "fixtures" / "plans" / "unseen"
YEARS = (2016, 2017, 2018, 2019, 2020)


def single_header_row() -> PlanDoc:
    """Layout A with one header row: 序号 | 工作任务 | 指标名称 | 现状 | 主要工作举措 |
    2016 … 2020 | 责任单位 (indicator before the text columns, years without 年)."""
    heads = ["序号", "工作任务", "指标名称", "现状", "主要工作举措", *map(str, YEARS), "责任单位"]
    header = [[Cell(h) for h in heads]]

    def row(no, task, ind, status, measures, targets, who, span=1, first=True):
        lead = [Cell(no, rowspan=span), Cell(task, rowspan=span)] if first else [None, None]
        rest = [Cell(status, rowspan=span), Cell(measures, rowspan=span)] if first else [None, None]
        return lead + [Cell(ind)] + rest + targets + [Cell(who)]

    body = [
        row("1", "改善空气质量", "PM2.5年均浓度", "2015年PM2.5年均浓度为57微克/立方米。",
            "一是压减燃煤；二是治理扬尘。",
            [T("控制在55微克/立方米以内", "<=", 55, None, "微克/立方米"),
             T("53微克/立方米以下", "<=", 53, None, "微克/立方米"),
             T("50微克/立方米以下", "<=", 50, None, "微克/立方米"),
             T("48微克/立方米以下", "<=", 48, None, "微克/立方米"),
             T("控制在45微克/立方米以内", "<=", 45, None, "微克/立方米")],
            "市生态环境局", span=2),
        row("", "", "空气质量优良天数比例", "", "",
            [T("不低于75%", ">=", 75, None, "%"), T("76%以上", ">=", 76, None, "%"),
             T("78%以上", ">=", 78, None, "%"), T("80%以上", ">=", 80, None, "%"),
             T("达到82%", ">=", 82, None, "%")],
            "市生态环境局", first=False),
        row("2", "发展养老服务", "每千名老人养老床位数", "床位总量不足。", "新建和改建并举。",
            [T("38张", ">=", 38, None, "张"), T("40张", ">=", 40, None, "张"),
             T("42张", ">=", 42, None, "张"), T("45张以上", ">=", 45, None, "张"),
             T("不少于50张", ">=", 50, None, "张")],
            "市民政局"),
        row("3", "加强社区建设", "智慧社区试点", "试点尚未启动。", "制定方案，分批推进。",
            [M("试点启动"), M("试点推开"), Cell("—"), T("100万元以上", ">=", 100, None, "万元"),
             M("全面建成")],
            "市民政局"),
    ]
    cols = {"task_no": 0, "task_name": 1, "indicator": 2,
            "years": {5 + i: y for i, y in enumerate(YEARS)}}
    widths = [20.0, 40.0, 55.0, 60.0, 60.0] + [38.0] * 5 + [50.0]
    plan = Table(header, body, widths, layout="A", columns=cols, font_size=7.0)
    names = Table([[Cell("处室"), Cell("联系人"), Cell("电话")]],
                  [[Cell("规划处"), Cell("王丽"), Cell("0571-85100001")]], [160.0, 160.0, 155.0])
    return PlanDoc("某市生态环境和民生改善三年行动绩效目标", [
        Heading("一、主要目标"),
        Paragraph("本表列出各项任务的年度目标。"),
        plan,
        Heading("二、联系方式"),
        names,
    ])


def key_indicators_with_synonyms() -> PlanDoc:
    """Layout B under synonyms (主要指标, 计量单位, 2015年基数, 2020年目标, 年均增速,
    指标属性) with an extra 备注1950 column; then a table that looks like a plan
    table (years, targets) but has no indicator column."""
    heads = ("类别", "序号", "主要指标", "计量单位", "2015年基数", "2020年目标", "年均增速",
             "指标属性", "备注1950")
    body = [
        b_row("1", "城镇新增就业人数", "万人", "10.2", "10.2", T("12", ">=", 12, None, "万人"),
              "[3.3]", "预期性", Cell("经济", rowspan=2)) + [Cell("1950年起统计")],
        b_row("2", "城镇登记失业率", "%", "2.1", "2.1", T("3.5以内", "<=", "3.5", None, "%"),
              "—", "预期性") + [Cell("")],
        b_row("3", "细颗粒物浓度", "微克/立方米", "57", "57",
              T("48微克/立方米以下", "<=", 48, None, "微克/立方米"), "[-15.8]", "约束性",
              Cell("环境")) + [Cell("")],
    ]
    table = layout_b(body, heads=heads, widths=[40.0, 24.0, 110.0, 50.0, 45.0, 60.0, 45.0, 45.0,
                                                 56.0])
    table.header = [[Cell(h) for h in heads]]
    unread = Table([[Cell("编码"), Cell("2016年"), Cell("2017年")]],
                   [[Cell("01"), Cell("不低于90%"), Cell("95%以上")],
                    [Cell("02"), Cell("不少于20个"), Cell("25个以上")]], [160.0, 160.0, 155.0])
    return PlanDoc("某市经济社会发展主要指标", [
        Heading("一、主要指标"),
        table,
        Heading("二、其他"),
        unread,
    ])


def split_word_table() -> PlanDoc:
    """A layout-A table split into two Word tables, the second without a header
    (DOCX only: how a PDF renders the split is the PDF reader's matter)."""
    heads = ["序号", "工作任务", "相关工作目标(指标)", *(f"{y}年" for y in YEARS)]
    cols = {"task_no": 0, "task_name": 1, "indicator": 2,
            "years": {3 + i: y for i, y in enumerate(YEARS)}}
    widths = [24.0, 80.0, 120.0] + [50.0] * 5

    def row(no, task, ind, base, unit):
        return [Cell(no), Cell(task), Cell(ind)] + [
            T(f"{base + i}{unit}以上", ">=", base + i, None, unit) for i in range(5)]

    first = Table([[Cell(h) for h in heads]],
                  [row("1", "养老服务", "养老机构数", 100, "家"),
                   row("2", "养老服务", "护理员人数", 3000, "人")], widths, layout="A", columns=cols)
    second = Table([], [row("3", "社会救助", "救助站数", 10, "个"),
                        row("4", "社会救助", "临时救助人次", 500, "人次")], widths, layout="A",
                   columns=dict(cols))
    return PlanDoc("某市民政事业年度目标", [Heading("一、年度目标"), first, second])


SPECS = {
    "single_header_row_indicator_name": single_header_row,
    "key_indicators_synonyms": key_indicators_with_synonyms,
}


DOCX_ONLY = {"split_word_table": split_word_table}


def main() -> None:
    for stem, make in SPECS.items():
        res = write_pair(make(), OUT, stem)
        print(f"{stem}: pdf pages={res['pdf'][1].pages}")
    for stem, make in DOCX_ONLY.items():
        write_pair(make(), OUT / "docx_only", stem, formats=("docx",))
        print(f"{stem}: docx")


if __name__ == "__main__":
    main()
