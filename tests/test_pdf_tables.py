"""PDF reader: merged cells from rectangles, stitching over pages, fallback, provenance.

The PDFs are drawn here with reportlab (CID font STSong-Light, which pdfplumber
reads back as Unicode), so each test states exactly what is on which page.
"""

from __future__ import annotations

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from extractors.pdf_tables import read_pdf
from extractors.plans import extract_plan
from extractors.records import UnreadableDocument

FONT = "STSong-Light"
PAGE_W, PAGE_H = 595.0, 842.0
TOP, BOTTOM, LEFT = 780.0, 70.0, 60.0
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

Row = list[object]  # str, (text, rowspan, colspan), or None for a covered position
HEAD_A = [[("序号", 2, 1), ("工作任务", 2, 1), ("相关工作目标（指标）", 2, 1), ("年度目标", 1, 2)],
          [None, None, None, "2016年", "2017年"]]
WIDTHS_A = [40.0, 120.0, 160.0, 80.0, 80.0]


class Doc:
    """A tiny page-by-page PDF writer: text lines and ruled tables with merged cells."""

    def __init__(self, path):
        self.c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1)
        self.page, self.y = 1, TOP

    def text(self, s: str, size: float = 11.0) -> Doc:
        self.c.setFont(FONT, size)
        self.c.drawString(LEFT, self.y - size, s)
        self.y -= size * 1.8
        return self

    def table(self, rows: list[Row], widths: list[float] = WIDTHS_A, row_h: float = 24.0,
              size: float = 9.0, ruled: bool = True) -> Doc:
        xs = [LEFT]
        for w in widths:
            xs.append(xs[-1] + w)
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(rows):
            c = 0
            for item in row:
                while (r, c) in taken:
                    c += 1
                if item is None:  # covered by a merge above: skipped by the loop
                    continue
                text, rs, cs = item if isinstance(item, tuple) else (item, 1, 1)
                for dr in range(rs):
                    for dc in range(cs):
                        taken.add((r + dr, c + dc))
                top, bottom = self.y - r * row_h, self.y - (r + rs) * row_h
                if ruled:
                    self.c.rect(xs[c], bottom, xs[c + cs] - xs[c], top - bottom)
                self.c.setFont(FONT, size)
                for k, line in enumerate(str(text).split("\n")):
                    self.c.drawString(xs[c] + 3, top - 3 - size - k * size * 1.3, line)
                c += cs
        self.y -= len(rows) * row_h
        return self

    def rows_to_bottom(self, row_h: float = 24.0) -> int:
        return int((self.y - BOTTOM) // row_h)

    def new_page(self) -> Doc:
        self._footer()
        self.c.showPage()
        self.page, self.y = self.page + 1, TOP
        return self

    def _footer(self) -> None:
        self.c.setFont(FONT, 10)
        self.c.drawString(PAGE_W / 2, 40, f"— {self.page} —")

    def save(self) -> None:
        self._footer()
        self.c.showPage()
        self.c.save()


def data_row(i: int, target: str = "不低于4张") -> Row:
    return [str(i), f"任务{i}", f"指标{i}", target, target]


def texts(grid) -> list[list[str]]:
    return [[c.text for c in row] for row in grid.rows]


def test_merged_cells_rebuilt_from_rectangles(tmp_path):
    f = tmp_path / "m.pdf"
    d = Doc(f).text("杭州市民政局“十三五”绩效管理规划", 16).text("1.构建大养老体系", 13)
    d.table(HEAD_A + [[("1", 2, 1), ("居家 养老", 2, 1), "覆盖率", ("覆盖率达100%", 1, 2)],
                      [None, None, "床位数", "不低于4张", "不低于 5 张"]])
    d.save()
    content = read_pdf(f)
    (grid,) = content.tables
    assert texts(grid) == [
        ["序号", "工作任务", "相关工作目标(指标)", "年度目标", "年度目标"],
        ["序号", "工作任务", "相关工作目标(指标)", "2016年", "2017年"],
        ["1", "居家养老", "覆盖率", "覆盖率达100%", "覆盖率达100%"],
        ["1", "居家养老", "床位数", "不低于4张", "不低于5张"],
    ]
    rows = grid.rows
    assert rows[0][0] is rows[1][0] and (rows[0][0].rowspan, rows[0][0].colspan) == (2, 1)
    assert rows[0][3] is rows[0][4] and rows[0][3].colspan == 2
    assert rows[2][1] is rows[3][1] and rows[3][1].origin == (2, 1)
    assert grid.strategy == "lines" and grid.row_pages == [1, 1, 1, 1]
    assert grid.section == "1.构建大养老体系"
    assert content.title == "杭州市民政局“十三五”绩效管理规划" and content.pages == 1


def _continued(tmp_path, *, repeat_header: bool, broken: bool) -> tuple:
    f = tmp_path / "s.pdf"
    d = Doc(f).text("杭州市民政局“十三五”绩效管理规划", 16).text("1.构建大养老体系", 13)
    n1 = d.rows_to_bottom() - 2
    d.table(HEAD_A + [data_row(i) for i in range(1, n1 + 1)])
    d.new_page()
    rows: list[Row] = list(HEAD_A) if repeat_header else []
    if broken:
        rows.append(["", "", "", "达100%", ""])  # the rest of the last row of page 1
    rows += [data_row(i) for i in range(n1 + 1, n1 + 4)]
    d.table(rows)
    d.text("2.第二部分", 13).table(HEAD_A + [data_row(1)])
    d.save()
    return f, n1


@pytest.mark.parametrize("repeat_header", [True, False])
def test_table_continued_on_next_page_is_stitched(tmp_path, repeat_header):
    f, n1 = _continued(tmp_path, repeat_header=repeat_header, broken=False)
    first, second = read_pdf(f).tables
    assert first.n_rows == 2 + n1 + 3  # repeated header dropped
    assert [r[0].text for r in first.rows[2:]] == [str(i) for i in range(1, n1 + 4)]
    assert first.row_pages == [1] * (2 + n1) + [2, 2, 2]
    assert [c.origin for c in first.rows[-1]] == [(first.n_rows - 1, c) for c in range(5)]
    assert (second.table_index, second.section, second.row_pages) == (1, "2.第二部分", [2, 2, 2])


def test_row_broken_over_page_is_one_row(tmp_path):
    f, n1 = _continued(tmp_path, repeat_header=True, broken=True)
    first = read_pdf(f).tables[0]
    assert first.n_rows == 2 + n1 + 3
    last_p1 = first.rows[1 + n1]
    assert [c.text for c in last_p1] == [str(n1), f"任务{n1}", f"指标{n1}", "不低于4张达100%", "不低于4张"]
    assert first.row_pages[1 + n1] == 1 and first.row_pages[2 + n1] == 2
    # provenance through the entry point: rows keep DOCX numbering, pages where rows start
    doc = extract_plan(f)
    by_row = {(r.source_row, r.year): r for r in doc.records}
    assert by_row[(1 + n1, 2016)].source_page == 1
    assert by_row[(2 + n1, 2016)].source_page == 2 and by_row[(2 + n1, 2016)].task_no == str(n1 + 1)


def test_not_stitched_after_a_heading_or_with_other_columns(tmp_path):
    f = tmp_path / "n.pdf"
    d = Doc(f).text("规划", 16)
    d.table(HEAD_A + [data_row(i) for i in range(1, d.rows_to_bottom() - 1)])
    d.new_page().text("2.第二部分", 13).table(HEAD_A + [data_row(1)])
    d.new_page()
    d.table([["序号", "指标", "单位", "2015年", "2020年"], ["1", "床位", "张", "45", "50"]],
            widths=[40.0, 200.0, 60.0, 80.0, 80.0])
    d.save()
    tables = read_pdf(f).tables
    assert [t.table_index for t in tables] == [0, 1, 2]
    assert [t.section for t in tables] == [None, "2.第二部分", "2.第二部分"]


def test_text_strategy_fallback_when_no_ruled_table(tmp_path):
    f = tmp_path / "t.pdf"
    d = Doc(f).text("杭州市民政局“十三五”规划", 16)
    rows = [["序号", "指标", "单位", "2015年", "2020年"]] + [
        [str(i), f"指标{i}", "张", str(40 + i), str(50 + i)] for i in range(1, 8)]
    d.table(rows, widths=[50.0, 120.0, 60.0, 80.0, 80.0], ruled=False)
    d.save()
    content = read_pdf(f)
    assert content.tables and all(t.strategy == "text" for t in content.tables)
    assert any("text strategy" in w for w in content.warnings)
    doc = extract_plan(f)
    assert doc.records and {r.extraction for r in doc.records} == {"text"}
    assert doc.warnings


def test_cid_glyphs_make_the_document_unreadable(tmp_path):
    f = tmp_path / "c.pdf"
    Doc(f).text("杭州市民政局“十三五”绩效管理规划").table(HEAD_A + [data_row(1)]).save()
    # same length: the CID font loses its Unicode mapping, pdfminer yields (cid:N)
    f.write_bytes(f.read_bytes().replace(b"/UniGB-UCS2-H", b"/Identity-H  "))
    with pytest.raises(UnreadableDocument, match="cid") as exc:
        read_pdf(f)
    assert exc.value.location == "page 1"


def test_plan_document_fields(tmp_path):
    f = tmp_path / "whatever-name.bin"
    d = Doc(f).text("杭州市民政局“十三五”绩效管理规划", 16).text("1.构建大养老体系", 13)
    d.table(HEAD_A + [data_row(1), data_row(2, "—")]).save()
    doc = extract_plan(f)
    assert (doc.title, doc.issuer, doc.period_start, doc.period_end) == (
        "杭州市民政局“十三五”绩效管理规划", "杭州市民政局", 2016, 2020)
    assert (doc.source_format, doc.pages, doc.tables_found, doc.source_file) == (
        "pdf", 1, 1, "whatever-name.bin")
    assert doc.plan_id == doc.source_sha256[:16]
    assert [(r.source_row, r.year) for r in doc.records] == [(2, 2016), (2, 2017)]



def _line(text, top, size, page=1):
    from extractors.pdf.lines import Line

    return Line(text=text, top=top, bottom=top + size, x1=500.0, size=size, page=page)


@pytest.mark.parametrize("lines,title", [
    # a title wrapped over two lines above a page that is mostly table (few body lines)
    ([("某市民政事业发展规划(2016-2020", 70, 26), ("年)", 100, 26), ("一、主要指标", 160, 14)],
     "某市民政事业发展规划(2016-2020年)"),
    # a first line no larger than the body text is the title alone
    ([("关于印发规划的通知", 70, 12), ("各区、县(市)民政局:", 86, 12), ("现将规划印发给你们", 102, 12)],
     "关于印发规划的通知"),
    # a large title, then body text
    ([("杭州市民政局", 60, 22), ("“十三五”绩效管理规划", 86, 22), ("一、总体要求", 130, 16),
      ("正文", 150, 12)], "杭州市民政局“十三五”绩效管理规划"),
])
def test_title_lines(lines, title):
    from extractors.layouts import is_section_heading
    from extractors.pdf.lines import title as pdf_title

    assert pdf_title([_line(*ln) for ln in lines], is_section_heading) == title
