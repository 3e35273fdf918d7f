"""Plan tables continued by geometry: over pages without a repeated header, rows broken
across a page, and one table written as two Word tables (issue #11 item 4).

Look-alikes of documents written by others that planwh lost records from:

- ``annual_no_repeat_2016``: a layout-A annual table over 3+ pages, header row not
  repeated, years written ``2016`` (no 年), long 主要工作举措 cells so that rows
  break across pages; ``annual_no_repeat`` is the same with ``2016年``.
- ``annual_centred_running_head``: the same with every cell centred vertically (a
  broken row's 序号 printed on its second part), a running head longer than a
  short label and page numbers ``— N —``.
- ``indicator_single_header``: one header row ``序号 | 指标名称 | 现状 | 主要工作举措 |
  2016 … 2020`` continuing over pages without a repeated header; ``…_with_task``
  the same with a 工作任务 column (the indicator is still 指标名称).
- ``merged_status_groups``: 序号/工作任务/现状/主要工作举措 merged down over each
  task's indicators, long 现状/举措 texts cut by page breaks: the next page opens
  with a new indicator row (own 单位, targets, blank year cells) under the rest of
  the cut merged cells; it is a row of its own, not the rest of the row above.
- ``split_word_tables``: plan tables each written as two Word tables, the second
  without a header, separated by an empty paragraph, by a page break, and by a
  section break; and, as controls, a second table with other column widths and
  its own header (a new table), and one with the same column count but other
  widths and no header (ambiguous: not joined, a warning).

Each is written with python-docx to tests/fixtures/plans/continued/ and rendered
to PDF by LibreOffice (``soffice --headless --convert-to pdf``; the PDFs are
committed, tests need no office suite). Next to each document, ``<stem>.spec.json``
holds what a careful reader finds, written here from the spec (never from parsing):
the logical tables (each a list of rows of cell texts, header included) and the
target records (table, row, 序号, indicator, year, target text).

    .venv/bin/python tools/make_continued_plans.py [--no-pdf] [STEM ...]  # PDFs: all, or these
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plan_writer import FIXED_DATE, _stable_zip  # noqa: E402  (byte-stable DOCX, as the corpus)

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "plans" / "continued"
YEARS = [2016, 2017, 2018, 2019, 2020]

TASKS = ["推进养老服务设施建设", "推进社区居家养老", "深化医养结合改革", "加强低保对象动态管理",
         "发展社会组织", "完善社区服务体系", "提升殡葬服务水平", "加强婚姻登记管理"]
MEASURES = ["每千名老年人拥有养老床位数", "居家养老服务照料中心数", "医养结合机构数",
            "低保对象人数", "社会组织数", "城乡社区服务中心数", "公益性公墓数", "婚姻登记机关数"]
UNITS = ["张", "个", "家", "万人", "家", "个", "座", "个"]
ACTION = ("坚持政府主导、社会参与、市场运作，统筹推进城乡养老服务设施规划建设，"
          "完善扶持政策，加大财政投入，鼓励社会力量兴办养老服务机构，"
          "提升服务质量和管理水平，强化督查考核，确保各项任务落到实处")


def _action(i: int, all_long: bool = False) -> str:
    """A 主要工作举措 text: most rows a few lines, every fifth one long (breaks pages);
    ``all_long``: every row 120-420 characters."""
    n = 120 + (i * 97) % 300 if all_long else 260 if i % 5 == 3 else 40 + (i * 37) % 90
    return (ACTION * 4)[:n] + "。"


def _target(i: int, k: int) -> str:
    base = 10 + 3 * i
    return f"不低于{base + 2 * k}{UNITS[i % len(UNITS)]}"


# --------------------------------------------------------------------------- docx


def new_doc(title: str):
    doc = Document()
    cp = doc.core_properties
    cp.author = "planwh fixtures"
    cp.created = cp.modified = cp.last_printed = FIXED_DATE
    for section in doc.sections:  # A4
        section.page_height, section.page_width = Cm(29.7), Cm(21.0)
        section.left_margin = section.right_margin = Cm(2.0)
    doc.add_heading(title, level=1)
    return doc


def add_table(doc, rows: list[list[str]], widths_cm: list[float], size: float = 9,
              centred: bool = False) -> None:
    """A ruled table with these column widths; no row is marked as a repeated header
    (w:tblHeader), so LibreOffice and Word do not repeat it on later pages.
    ``centred``: every cell's text centred vertically, as most government documents
    set them (a broken row's 序号 may then be printed on the row's second part)."""
    table = doc.add_table(rows=len(rows), cols=len(widths_cm))
    table.autofit = False
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "single")
        e.set(qn("w:sz"), "8")
        borders.append(e)
    table._tbl.tblPr.append(borders)
    for gc, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_cm, strict=True):
        gc.set(qn("w:w"), str(int(Cm(w).twips)))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.width = Cm(widths_cm[c])
            cell.text = text
            if centred:
                v = OxmlElement("w:vAlign")
                v.set(qn("w:val"), "center")
                cell._tc.get_or_add_tcPr().append(v)
            for para in cell.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(size)


def save(doc, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    doc.save(buf)
    path = OUT / name
    path.write_bytes(_stable_zip(buf.getvalue()))
    print(f"wrote {path}")
    return path


def write_spec(stem: str, tables: list[list[list[str]]], records: list[dict],
               notes: dict | None = None) -> None:
    spec = {"tables": tables, "records": records, **(notes or {})}
    (OUT / f"{stem}.spec.json").write_text(
        json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _records_a(table: int, rows: list[list[str]], year_cols: list[int], seq: int = 0,
               indicator: int = 2) -> list[dict]:
    out = []
    for r, row in enumerate(rows[1:], start=1):
        for y, c in zip(YEARS, year_cols, strict=True):
            out.append({"source_table": table, "source_row": r, "task_no": row[seq],
                        "indicator_name": row[indicator], "year": y, "target_text": row[c]})
    return out


# --------------------------------------------------------------------------- documents


def _running_head_and_page_numbers(doc, head: str) -> None:
    """A running head longer than a short label, and centred page numbers (— N —)."""
    section = doc.sections[0]
    section.header.paragraphs[0].text = head
    para = section.footer.paragraphs[0]
    para.alignment = 1
    para.add_run("— ")
    run = para.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.text = text
        run._r.append(el)
    para.add_run(" —")


def annual_no_repeat(year_suffix: str, stem: str, n_rows: int = 24, centred: bool = False,
                     all_long: bool = False) -> None:
    """Layout A over 3+ pages, header not repeated, long rows breaking across pages;
    ``centred``: cells centred vertically, a running head and page numbers."""
    doc = new_doc("某市民政局“十三五”年度目标分解")
    if centred:
        _running_head_and_page_numbers(doc, "某市民政局“十三五”年度目标分解（征求意见稿）")
    doc.add_heading("一、年度目标", level=2)
    doc.add_paragraph("各项年度目标见下表。")
    head = ["序号", "工作任务", "主要工作举措", "相关工作目标(指标)",
            *[f"{y}{year_suffix}" for y in YEARS]]
    rows = [head]
    for i in range(n_rows):
        m = i % len(MEASURES)
        rows.append([str(i + 1), TASKS[m], _action(i, all_long), f"{MEASURES[m]}{i + 1}",
                     *[_target(i, k) for k in range(5)]])
    add_table(doc, rows, [1.0, 2.2, 4.4, 2.4, 1.6, 1.6, 1.6, 1.6, 1.6], centred=centred)
    doc.add_paragraph("注:目标值为年末数。")
    save(doc, f"{stem}.docx")
    write_spec(stem, [rows], _records_a(0, rows, [4, 5, 6, 7, 8], indicator=3),
               {"min_pages": 3, "header_repeated": False})


def annual_merged_groups(stem: str, long_every: int = 0, n_groups: int = 14) -> None:
    """Layout A with 序号 and 工作任务 merged down over each task's indicator rows (three
    or four), over pages without a repeated header: a page break falls inside a
    merged group, so the continuation page opens with an empty 序号 that is *not* a
    broken row. ``long_every``: every n-th indicator is long enough to break a row."""
    doc = new_doc("某市民政局“十三五”年度目标分解")
    doc.add_heading("一、年度目标", level=2)
    head = ["序号", "工作任务", "相关工作目标(指标)", *[f"{y}年" for y in YEARS]]
    widths = [1.2, 3.0, 4.2, 1.6, 1.6, 1.6, 1.6, 1.6]
    rows = [head]
    groups: list[tuple[int, int]] = []  # (first row, row count) of each merged group
    k = 0
    for g in range(n_groups):
        n = 3 + g % 2
        groups.append((len(rows), n))
        for _ in range(n):
            k += 1
            name = f"{MEASURES[k % 8]}{k}"
            if long_every and k % long_every == 0:
                name += "，" + (ACTION * 3)[:150]
            rows.append([str(g + 1), TASKS[g % 8], name, *[_target(k, y) for y in range(5)]])
    add_table(doc, rows, widths)
    table = doc.tables[-1]
    for first, n in groups:
        for c in (0, 1):
            text = rows[first][c]
            merged = table.cell(first, c).merge(table.cell(first + n - 1, c))
            merged.text = text
            for para in merged.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(9)
    save(doc, f"{stem}.docx")
    records = []
    for r, row in enumerate(rows[1:], start=1):
        # conventions: the 相关工作目标(指标) cell names the indicator when it is a
        # measure of at most 30 characters, else 工作任务 does
        indicator = row[2] if len(row[2]) <= 30 else row[1]
        for y, c in zip(YEARS, range(3, 8), strict=True):
            records.append({"source_table": 0, "source_row": r, "task_no": row[0],
                            "indicator_name": indicator, "year": y, "target_text": row[c]})
    write_spec(stem, [rows], records, {"min_pages": 2, "header_repeated": False})


STATUS = ("全市老年人口持续增长，养老服务需求日益多样化，服务供给总量不足、结构不优，"
          "农村养老服务基础薄弱，专业护理人才短缺")
SHORT_UNITS = ["家", "人", "%", "张", "个", "所"]


def merged_status_groups(stem: str = "merged_status_groups", n_groups: int = 16) -> None:
    """序号 | 工作任务 | 现状 | 主要工作举措 | 指标 | 单位 | 2016 … 2020, one header row not
    repeated, 序号/工作任务/现状/主要工作举措 merged down over each task's two or three
    indicator rows, the 现状 and 举措 texts long: a page break cuts these merged cells,
    and the next page opens with a *new* indicator row (its own name, 单位 and targets,
    some year cells blank) under the rest of their text; it must not be glued to the
    indicator row above (the look-alike of a LibreOffice PDF of issue #11)."""
    doc = new_doc("某市民政局“十三五”年度目标分解")
    doc.add_heading("一、年度目标", level=2)
    head = ["序号", "工作任务", "现状", "主要工作举措", "指标", "单位", *[str(y) for y in YEARS]]
    widths = [0.9, 1.6, 2.2, 2.8, 1.8, 1.0, 1.4, 1.4, 1.4, 1.4, 1.4]
    rows = [head]
    groups: list[tuple[int, int]] = []
    k = 0
    for g in range(n_groups):
        n = 2 + g % 2
        status = (STATUS * 4)[: 60 + (g * 37) % 90] + "。"
        action = (ACTION * 3)[: 70 + (g * 53) % 110] + "。"
        groups.append((len(rows), n))
        for _ in range(n):
            k += 1
            unit = SHORT_UNITS[k % len(SHORT_UNITS)]
            targets = ["" if (k + y) % 7 == 0 else f"{4 + k + 2 * y}{'左右' if y % 2 else ''}"
                       for y in range(5)]
            rows.append([str(g + 1), TASKS[g % 8], status, action,
                         f"{MEASURES[k % 8]}{k}", unit, *targets])
    add_table(doc, rows, widths, size=8)
    table = doc.tables[-1]
    for first, n in groups:
        for c in (0, 1, 2, 3):
            text = rows[first][c]
            merged = table.cell(first, c).merge(table.cell(first + n - 1, c))
            merged.text = text
            for para in merged.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(8)
    save(doc, f"{stem}.docx")
    records = []
    for r, row in enumerate(rows[1:], start=1):
        for y, c in zip(YEARS, range(6, 11), strict=True):
            if row[c]:
                records.append({"source_table": 0, "source_row": r, "task_no": row[0],
                                "indicator_name": row[4], "year": y, "target_text": row[c]})
    write_spec(stem, [rows], records, {"min_pages": 2, "header_repeated": False})


def indicator_single_header(n_rows: int = 22, with_task: bool = False) -> None:
    """序号 | 指标名称 | 现状 | 主要工作举措 | 2016 … 2020, one header row, not repeated;
    ``with_task``: a 工作任务 column after 序号 (the indicator is still 指标名称)."""
    stem = "indicator_single_header" + ("_with_task" if with_task else "")
    doc = new_doc("某区民政事业发展主要指标")
    doc.add_heading("一、主要指标", level=2)
    task = ["工作任务"] if with_task else []
    head = ["序号", *task, "指标名称", "现状", "主要工作举措", *[str(y) for y in YEARS]]
    rows = [head]
    for i in range(n_rows):
        m = i % len(MEASURES)
        rows.append([str(i + 1), *([TASKS[m]] if with_task else []), f"{MEASURES[m]}{i + 1}",
                     f"{8 + 3 * i}{UNITS[m]}", _action(i), *[_target(i, k) for k in range(5)]])
    widths = [1.0, *([2.0] if with_task else []), 2.8, 1.6, 4.6 - (1.4 if with_task else 0),
              1.6, 1.6, 1.6, 1.6, 1.6]
    add_table(doc, rows, widths)
    save(doc, f"{stem}.docx")
    first_year = len(head) - 5
    write_spec(stem, [rows], _records_a(0, rows, list(range(first_year, first_year + 5)),
                                        indicator=1 + len(task)),
               {"min_pages": 3, "header_repeated": False})


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def split_word_tables() -> None:
    """Plan tables each written as two Word tables (the second without header)."""
    stem = "split_word_tables"
    doc = new_doc("某市民政局绩效管理规划")
    head = ["序号", "工作任务", "相关工作目标(指标)", *[f"{y}年" for y in YEARS]]
    widths = [1.2, 3.6, 3.6, 1.7, 1.7, 1.7, 1.7, 1.8]
    tables: list[list[list[str]]] = []
    records: list[dict] = []

    def rows_from(start: int, n: int) -> list[list[str]]:
        return [[str(i + 1), TASKS[i % 8], f"{MEASURES[i % 8]}{i + 1}",
                 *[_target(i, k) for k in range(5)]] for i in range(start, start + n)]

    def split(heading: str, between, first: int, n1: int, n2: int) -> None:
        doc.add_heading(heading, level=2)
        a, b = rows_from(first, n1), rows_from(first + n1, n2)
        add_table(doc, [head, *a], widths)
        between()
        add_table(doc, b, widths)
        logical = [head, *a, *b]
        records.extend(_records_a(len(tables), logical, [3, 4, 5, 6, 7]))
        tables.append(logical)

    split("一、空段落分隔", lambda: doc.add_paragraph(), 0, 4, 3)
    split("二、分页符分隔", lambda: _page_break(doc), 10, 3, 4)
    split("三、分节符分隔", lambda: doc.add_section(WD_SECTION.NEW_PAGE), 20, 5, 2)

    # controls: a new table (own header, other widths) right after a plan table
    doc.add_heading("四、两张表", level=2)
    a = rows_from(30, 3)
    add_table(doc, [head, *a], widths)
    doc.add_paragraph()
    other_head = ["序号", "指标", "单位", "2015年", "2020年", "属性"]
    other = [other_head, ["1", "城乡低保标准", "元/月", "744", "不低于900", "预期性"]]
    add_table(doc, other, [1.2, 5.0, 1.6, 2.0, 3.0, 2.2])
    records.extend(_records_a(len(tables), [head, *a], [3, 4, 5, 6, 7]))
    tables.append([head, *a])
    tables.append(other)  # a key-indicator table: its record is for the layout reader

    # ambiguous: same column count, other widths, no header -> not joined, a warning
    doc.add_heading("五、列宽不同", level=2)
    a, b = rows_from(40, 2), rows_from(42, 2)
    add_table(doc, [head, *a], widths)
    doc.add_paragraph()
    add_table(doc, b, [2.5, 2.5, 2.5, 1.5, 1.5, 1.5, 1.5, 2.5])
    records.extend(_records_a(len(tables), [head, *a], [3, 4, 5, 6, 7]))
    tables.append([head, *a])
    tables.append(b)
    save(doc, f"{stem}.docx")
    write_spec(stem, tables, records, {"ambiguous_tables": [len(tables) - 1],
                                       "continued_tables": [0, 1, 2]})


# --------------------------------------------------------------------------- pdf


def render_pdfs(only: set[str] | None = None) -> None:
    soffice = shutil.which("soffice")
    if not soffice:
        print("soffice not found: apt-get install libreoffice-writer-nogui fonts-noto-cjk",
              file=sys.stderr)
        raise SystemExit(1)
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted(OUT.glob("*.docx")):
            if only and src.stem not in only:
                continue
            subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp,
                            str(src)], check=True, capture_output=True, timeout=300)
            pdf = Path(tmp) / (src.stem + ".pdf")
            shutil.copy(pdf, OUT / pdf.name)
            print(f"rendered {OUT / pdf.name}")


def main(argv: list[str]) -> int:
    annual_no_repeat("", "annual_no_repeat_2016")
    annual_no_repeat("年", "annual_no_repeat")
    annual_no_repeat("年", "annual_centred_running_head", centred=True)
    annual_no_repeat("年", "annual_centred_long_rows", n_rows=16, centred=True, all_long=True)
    indicator_single_header()
    indicator_single_header(with_task=True)
    annual_merged_groups("annual_merged_groups")
    annual_merged_groups("annual_merged_groups_long_rows", long_every=5)
    split_word_tables()
    merged_status_groups()
    if "--no-pdf" not in argv:  # LibreOffice stamps each PDF: render only what changed
        render_pdfs({a for a in argv if not a.startswith("--")} or None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
