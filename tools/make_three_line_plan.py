"""A layout-B key-indicator table set as a three-line table (三线表: rules above and
below the header and at the bottom, no vertical rules), as five-year plans often are.

Writes tests/fixtures/plans/libreoffice/sources/three_line_table.docx; then
tools/make_libreoffice_pdfs.py renders it to PDF. Without vertical rules the PDF
reader falls back to pdfplumber's text strategy, where every wrapped line of a cell
is a row of its own: the test holds that the PDF still reads like the DOCX.

    .venv/bin/python tools/make_three_line_plan.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_writer import FIXED_DATE, _stable_zip  # noqa: E402  (byte-stable DOCX, as the corpus)

OUT = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "plans" / "libreoffice"
       / "sources" / "three_line_table.docx")
ROWS = [
    ["类别", "序号", "指标", "单位", "2015年", "2020年", "年均增长", "属性"],
    ["养老服务", "1", "每千名老年人拥有社会养老床位数", "张", "40", "50", "[10]", "约束性"],
    ["养老服务", "2", "居家养老服务照料中心覆盖率", "%", "90", "100", "—", "预期性"],
    ["社会救助", "3", "城乡低保标准", "元/月", "744", "不低于900", "4%", "预期性"],
    ["社会救助", "4", "困难群众医疗救助政策范围内住院费用救助比例", "%", "60", "70左右", "—", "预期性"],
]


def border(parent, edge: str, val: str) -> None:
    e = OxmlElement(f"w:{edge}")
    e.set(qn("w:val"), val)
    e.set(qn("w:sz"), "8")
    parent.append(e)


def main() -> None:
    doc = Document()
    cp = doc.core_properties
    cp.author = "planwh fixtures"
    cp.created = cp.modified = cp.last_printed = FIXED_DATE
    doc.add_heading("杭州市民政事业发展“十三五”规划", level=1)
    doc.add_heading("一、主要指标", level=2)
    table = doc.add_table(rows=len(ROWS), cols=len(ROWS[0]))
    borders = OxmlElement("w:tblBorders")
    for edge, val in [("top", "single"), ("bottom", "single"), ("left", "nil"),
                      ("right", "nil"), ("insideH", "nil"), ("insideV", "nil")]:
        border(borders, edge, val)
    table._tbl.tblPr.append(borders)
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.text = text
            if r == 0:  # the rule under the header
                tc_borders = OxmlElement("w:tcBorders")
                border(tc_borders, "bottom", "single")
                cell._tc.get_or_add_tcPr().append(tc_borders)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    doc.save(buf)
    OUT.write_bytes(_stable_zip(buf.getvalue()))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
