"""Plan documents in the styles of other bureaus, for the office-suite PDF corpus.

Each document here was written to probe one way real plans differ from ours (a
three-line table beside ruled ones, footnote markers in target cells, Chinese-
numeral year headers, ...). They are written with python-docx into
tests/fixtures/plans/libreoffice/sources/; tools/make_libreoffice_pdfs.py then
renders each to PDF, and tests/test_libreoffice_pdfs.py holds that the PDF reads
like its DOCX. What each must read as is written by hand in tests/test_office_plans.py.

    .venv/bin/python tools/make_office_plans.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_writer import FIXED_DATE, _stable_zip  # noqa: E402  (byte-stable DOCX, as the corpus)

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "plans" / "libreoffice" / "sources"
YEARS = ["2016年", "2017年", "2018年", "2019年", "2020年"]

# A cell: text, or (text, rowspan, colspan); None marks a position covered by a merge.
# "¶" in a text starts a new paragraph of the cell.
Cell = str | tuple[str, int, int] | None


def _border(parent, edge: str, val: str, size: str = "8") -> None:
    e = OxmlElement(f"w:{edge}")
    e.set(qn("w:val"), val)
    if val != "nil":
        e.set(qn("w:sz"), size)
    parent.append(e)


def add_table(doc, rows: list[list[Cell]], *, header_rows: int = 1, three_line: bool = False,
              h_rules: bool = False, rules_under: frozenset[int] = frozenset(),
              size: float = 9) -> None:
    """A table; ``three_line``: rules above and below the header and at the bottom only,
    and under the rows numbered in ``rules_under`` (between groups of rows);
    ``h_rules``: a rule above and under every row, no vertical rules."""
    n_cols = sum(c[2] if isinstance(c, tuple) else 1 for c in rows[0] if c is not None)
    table = doc.add_table(rows=len(rows), cols=n_cols)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if h_rules:
            ruled = edge in ("top", "bottom", "insideH")
        else:
            ruled = not three_line or edge in ("top", "bottom")
        _border(borders, edge, "single" if ruled else "nil", "12" if three_line else "8")
    table._tbl.tblPr.append(borders)
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for item in row:
            while (r, c) in taken:
                c += 1
            if item is None:
                continue
            text, rs, cs = item if isinstance(item, tuple) else (item, 1, 1)
            taken.update((r + i, c + j) for i in range(rs) for j in range(cs))
            placed.append((r, c, rs, cs, text))
            c += cs
    for r, c, rs, cs, text in placed:
        cell = table.cell(r, c)
        if rs > 1 or cs > 1:
            cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
        first, *more = text.split("¶")
        cell.text = first
        for para in more:
            cell.add_paragraph(para)
        for para in cell.paragraphs:
            for run in para.runs:
                run.font.size = Pt(size)
        if three_line and (r == header_rows - 1 or r in rules_under):  # the rule under the header
            tc_borders = OxmlElement("w:tcBorders")
            _border(tc_borders, "bottom", "single")
            cell._tc.get_or_add_tcPr().append(tc_borders)
    for r in range(header_rows):  # repeated on every page the table runs over
        table.rows[r]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    doc.add_paragraph()


def new_doc(title: str):
    doc = Document()
    cp = doc.core_properties
    cp.author = "planwh fixtures"
    cp.created = cp.modified = cp.last_printed = FIXED_DATE
    doc.add_heading(title, level=1)
    return doc


def save(doc, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    doc.save(buf)
    (OUT / name).write_bytes(_stable_zip(buf.getvalue()))
    print(f"wrote {OUT / name}")


HEAD_A = ["序号", "工作任务", "相关工作目标(指标)", *YEARS]
ROWS_A = [
    ["1", "推进养老服务设施建设", "每千名老年人拥有养老床位数",
     "不低于4张", "不低于5张", "不低于6张", "1200张左右", "1300张左右"],
    ["2", "推进社区居家养老", "社区居家养老服务照料中心覆盖率", "25%", "30%", "35%", "全覆盖", "全覆盖"],
    ["3", "深化医养结合改革", "医养结合试点", "试点启动", "全面推开", "完成验收", "97%-99%", "97%-99%"],
    ["4", "加强低保对象动态管理", "低保对象人数", "10.5万", "11万", "10.5万", "11万", "10.5万"],
]
HEAD_B = ["类别", "序号", "指标", "单位", "2015年", "2020年", "年均增长", "属性"]
ROWS_B = [
    ["社会福利", "1", "每千名老年人拥有社会养老床位数", "张", "40", "50", "[10]", "约束性"],
    ["社会福利", "2", "居家养老服务照料中心覆盖率", "%", "90", "全覆盖", "—", "预期性"],
    ["社会救助", "3", "城乡低保标准", "元/月", "744", "不低于900", "4%", "预期性"],
    ["社会救助", "4", "困难群众医疗救助比例", "%", "60", "70左右", "—", "预期性"],
    ["社会救助", "5", "低保对象人数", "万人", "10.5", "11", "—", "预期性"],
]


def three_line_beside_ruled() -> None:
    """A ruled annual-target table, then a three-line key-indicator table that runs over
    onto the next page (its header repeated there)."""
    doc = new_doc("某市民政事业发展“十三五”规划")
    doc.add_heading("一、年度目标", level=2)
    add_table(doc, [HEAD_A, *ROWS_A])
    doc.add_heading("二、主要指标", level=2)
    for _ in range(4):
        doc.add_paragraph("“十三五”期间,全市民政事业发展的主要指标如下表。" * 3)
    add_table(doc, [HEAD_B, *ROWS_B], three_line=True)
    doc.add_paragraph("注:[ ]内为五年累计数。")
    save(doc, "three_line_beside_ruled.docx")


def three_line_over_pages() -> None:
    """A long three-line table over several pages: header repeated on each, and a row
    broken over a page break."""
    doc = new_doc("某市民政事业发展“十三五”规划")
    doc.add_heading("一、主要指标", level=2)
    for _ in range(8):
        doc.add_paragraph("为贯彻落实规划纲要,特编制本规划。" * 3)
    rows = [[cat, str(i + 1), f"{name}{i + 1}", *rest]
            for i, (cat, _, name, *rest) in enumerate(ROWS_B * 6)]
    add_table(doc, [HEAD_B, *rows], three_line=True, size=10)
    save(doc, "three_line_over_pages.docx")


def year_headers_in_words() -> None:
    """Year headers as formal documents write them: in Chinese numerals (二〇一六年), and
    under a group header that names the period (2016-2020年年度目标)."""
    doc = new_doc("某区民政局“十三五”绩效管理规划")
    doc.add_heading("一、养老服务", level=2)
    cn_years = ["二〇一六年", "二〇一七年", "二〇一八年", "二〇一九年", "二〇二〇年"]
    add_table(doc, [["序号", "工作任务", "相关工作目标(指标)", *cn_years], *ROWS_A[:2]])
    doc.add_heading("二、医养结合与社会救助", level=2)
    group = [("序号", 2, 1), ("工作任务", 2, 1), ("相关工作目标(指标)", 2, 1),
             ("2016-2020年年度目标", 1, 5)]
    add_table(doc, [group, [None, None, None, *YEARS], *ROWS_A[2:]], header_rows=2)
    save(doc, "year_headers_in_words.docx")


def footnote_markers() -> None:
    """Target cells carrying footnote markers (①, *, 注1, (注2)) explained below the table."""
    doc = new_doc("某市民政局绩效管理规划")
    doc.add_heading("一、养老服务", level=2)
    rows = [
        ["1", "推进养老服务设施建设", "每千名老年人拥有养老床位数",
         "不低于4张①", "不低于5张*", "不低于6张注1", "1200张左右②", "1300张左右"],
        ["2", "推进社区居家养老", "社区居家养老服务照料中心覆盖率",
         "25%*", "30%①", "35%", "全覆盖①", "全覆盖(注2)"],
        ["3", "深化医养结合改革", "医养结合试点",
         "试点启动①", "全面推开*", "完成验收注3", "97%-99%②", "97%-99%"],
    ]
    add_table(doc, [HEAD_A, *rows])
    doc.add_paragraph("注:①含民办养老机构床位;②按户籍人口计算;*为约束性指标;注1、注2、注3见附件。")
    save(doc, "footnote_markers.docx")


def key_indicators_by_year() -> None:
    """Key-indicator tables with a target for every year: after a marked base year, and
    an annual table with a 单位 column and no base year at all."""
    doc = new_doc("某市民政事业发展规划(2016-2020年)")
    doc.add_heading("一、主要指标", level=2)
    add_table(doc, [
        ["序号", "指标名称", "单位", "2015年基数", *YEARS, "属性"],
        ["1", "每千名老年人拥有养老床位数", "张", "38", "40", "42", "45", "48", "50", "约束性"],
        ["2", "社区居家养老服务照料中心覆盖率", "%", "90", "92", "94", "96", "98", "100", "预期性"],
    ])
    doc.add_heading("二、年度指标", level=2)
    add_table(doc, [
        ["序号", "指标", "单位", *YEARS],
        ["1", "社会组织数", "家", "不少于300", "不少于320", "不少于340", "360左右", "380左右"],
        ["2", "城乡社区服务中心覆盖率", "%", "90", "95", "全覆盖", "全覆盖", "全覆盖"],
    ])
    save(doc, "key_indicators_by_year.docx")


def superscript_footnotes() -> None:
    """Footnote numbers set as superscript runs after the target (不低于4张¹)."""
    doc = new_doc("某局绩效管理规划")
    doc.add_heading("一、养老服务", level=2)
    add_table(doc, [HEAD_A, *ROWS_A])
    table = doc.tables[-1]
    for r, c, mark in ((1, 3, "1"), (2, 6, "2"), (3, 3, "3"), (4, 4, "4")):
        run = table.cell(r, c).paragraphs[-1].add_run(mark)
        run.font.superscript = True
        run.font.size = Pt(9)
    doc.add_paragraph("注:1含民办机构;2按户籍人口计;3以验收为准;4按年末数计。")
    save(doc, "superscript_footnotes.docx")


def rule_under_every_row() -> None:
    """Tables with a rule under every row and no vertical rules (LibreOffice draws each
    row's rule), both layouts; cells wrap over several lines between two rules."""
    doc = new_doc("某市民政事业发展“十三五”规划")
    doc.add_heading("一、年度目标", level=2)
    add_table(doc, [HEAD_A, *ROWS_A], h_rules=True)
    doc.add_heading("二、主要指标", level=2)
    add_table(doc, [HEAD_B, *ROWS_B], h_rules=True)
    save(doc, "rule_under_every_row.docx")


def rule_under_every_row_over_pages() -> None:
    """40 rows, each under a rule, over two pages (header repeated on the second)."""
    doc = new_doc("某市民政事业发展“十三五”规划")
    doc.add_heading("一、主要指标", level=2)
    rows = [[cat, str(i + 1), f"{name}{i + 1}", *rest]
            for i, (cat, _, name, *rest) in enumerate(ROWS_B * 8)]
    add_table(doc, [HEAD_B, *rows], h_rules=True)
    save(doc, "rule_under_every_row_over_pages.docx")


def rules_between_groups() -> None:
    """A three-line table with a further full-width rule between its groups of rows
    (社会福利 | 社会救助)."""
    doc = new_doc("某市民政事业发展“十三五”规划")
    doc.add_heading("一、主要指标", level=2)
    add_table(doc, [HEAD_B, *ROWS_B], three_line=True, rules_under=frozenset({2}))
    doc.add_paragraph("注:[ ]内为五年累计数。")
    save(doc, "rules_between_groups.docx")


def main() -> None:
    three_line_beside_ruled()
    three_line_over_pages()
    year_headers_in_words()
    footnote_markers()
    key_indicators_by_year()
    superscript_footnotes()
    rule_under_every_row()
    rule_under_every_row_over_pages()
    rules_between_groups()


if __name__ == "__main__":
    main()
