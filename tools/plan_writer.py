"""Write plan documents (DOCX and text-based PDF) from a plain spec, and their gold records.

Used by ``tools/make_seed_plan.py``, ``tools/make_plan_fixtures.py`` and
``bench/extract.py``. A spec is a :class:`PlanDoc`: a title and a list of blocks
(headings, paragraphs, tables, page breaks). A :class:`Table` is a grid of
:class:`Cell` s (header rows, then body rows; ``None`` marks a position covered
by a merged cell). Target cells carry their expected parse (:class:`Target`),
written by hand, so the gold records come from the spec and never from parsing
the documents.

The PDF is laid out here, on a reportlab canvas, with ruled tables drawn cell by
cell: the writer decides which row lands on which page (repeated headers, rows
broken over a page break, vertically merged groups kept together) and returns
that layout, so gold records carry ``source_page``.

Line wrapping (PDF) only breaks between two CJK characters (never before closing
punctuation) or at a space, so that joining wrapped lines by the extraction
conventions (docs/ARCHITECTURE.md) gives back the cell text exactly.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

CITY = "全市"  # whole city: the default scope
# PDF font: WenQuanYi Zen Hei embedded (subset) when installed (apt-get install
# fonts-wqy-zenhei), so the PDFs render anywhere; else reportlab's built-in CID font
# STSong-Light (not embedded). pdfplumber reads both back as correct Unicode.
FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT = "WenQuanYiZenHei" if FONT_FILE.exists() else "STSong-Light"
FIXED_DATE = datetime(2017, 1, 1, 9, 0, 0)  # metadata date of every generated file

# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class Target:
    """Expected parse of one target cell (one record per scope)."""

    comparator: str
    value: str | None = None  # decimal string; None for milestone
    high: str | None = None  # only for between
    unit: str | None = None
    scope: str = CITY


@dataclass
class Cell:
    text: str = ""
    colspan: int = 1
    rowspan: int = 1
    targets: tuple[Target, ...] | None = None  # a target cell: its records
    number: str | None = None  # layout B base-year cell: expected baseline value


@dataclass
class Table:
    header: list[list[Cell | None]]
    body: list[list[Cell | None]]
    widths: list[float]  # column widths in points
    layout: str | None = None  # "A", "B" or None (not a plan table)
    columns: dict = field(default_factory=dict)  # role -> column (see gold_records)
    repeat_header: bool = True  # PDF: header redrawn on continuation pages; DOCX: tblHeader
    split_rows: bool = False  # PDF: a row that does not fit may break over the page
    break_before: frozenset[int] = frozenset()  # PDF: body rows that start a new page
    font_size: float = 7.5


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Paragraph:
    text: str
    italic: bool = False
    indent: bool = True


@dataclass
class PageBreak:
    pass


Block = Heading | Paragraph | Table | PageBreak


@dataclass
class PlanDoc:
    title: str
    blocks: list[Block]
    author: str = "planwh"


def T(text: str, comparator: str, value=None, high=None, unit=None) -> Cell:
    """A target cell with one city-wide record."""
    s = None if value is None else str(value)
    h = None if high is None else str(high)
    return Cell(text, targets=(Target(comparator, s, h, unit),))


def TS(text: str, *parts: tuple) -> Cell:
    """A target cell split by scope: parts are (scope, comparator, value, high, unit)."""
    ts = tuple(
        Target(c, None if v is None else str(v), None if h is None else str(h), u, scope)
        for scope, c, v, h, u in parts
    )
    return Cell(text, targets=ts)


def M(text: str) -> Cell:
    """A milestone target cell (no number)."""
    return Cell(text, targets=(Target("milestone"),))


A_HEAD = (
    "序号",
    "工作任务",
    "现状（包括影响工作的主要因素）",
    "主要工作举措或具体工作内容（包括针对性解决问题的措施）",
    "相关工作目标（指标）",
)
A_WIDTHS = [18.0, 38.0, 64.0, 102.0, 43.0] + [42.0] * 5  # 475pt: A4 portrait less margins


def layout_a(
    body: list[list[Cell | None]],
    *,
    years: tuple[int, ...] = (2016, 2017, 2018, 2019, 2020),
    year_labels: tuple[str, ...] | None = None,
    group: str | None = "年度目标",
    heads: tuple[str, ...] = A_HEAD,
    widths: list[float] | None = None,
    **kw,
) -> Table:
    """A layout-A table: 序号 | 工作任务 | 现状 | 举措 | 指标 | one column per year.

    With ``group`` the header has two rows (``group`` merged over the years,
    the other heads merged down); without, one row.
    """
    labels = year_labels or tuple(f"{y}年" for y in years)
    n = len(heads) + len(years)
    if group:
        header = [
            [Cell(h, rowspan=2) for h in heads]
            + [Cell(group, colspan=len(years))]
            + [None] * (len(years) - 1),
            [None] * len(heads) + [Cell(lab) for lab in labels],
        ]
    else:
        header = [[Cell(h) for h in heads] + [Cell(lab) for lab in labels]]
    cols = {
        "task_no": 0,
        "task_name": 1,
        "indicator": len(heads) - 1,
        "years": {len(heads) + i: y for i, y in enumerate(years)},
    }
    for row in body:
        if len(row) != n:
            raise ValueError(f"layout A row needs {n} positions: {row}")
    return Table(header, body, widths or list(A_WIDTHS), layout="A", columns=cols, **kw)


def task_rows(
    no: str, name: str, status: str, measures: str, indicators: list[tuple[str, list[Cell]]]
) -> list[list[Cell | None]]:
    """Rows of one layout-A task: 序号/工作任务/现状/举措 merged down over its indicators."""
    k = len(indicators)
    rows: list[list[Cell | None]] = []
    for i, (ind, targets) in enumerate(indicators):
        lead: list[Cell | None] = (
            [
                Cell(no, rowspan=k),
                Cell(name, rowspan=k),
                Cell(status, rowspan=k),
                Cell(measures, rowspan=k),
            ]
            if i == 0
            else [None] * 4
        )
        rows.append(lead + [Cell(ind)] + list(targets))
    return rows


B_HEAD = ("类别", "序号", "指标", "单位", "2015年", "2020年", "年均增长[累计]", "属性")
B_WIDTHS = [52.0, 24.0, 150.0, 40.0, 50.0, 63.0, 52.0, 44.0]  # 475pt


def layout_b(
    body: list[list[Cell | None]],
    *,
    base_year: int = 2015,
    target_year: int = 2020,
    heads: tuple[str, ...] = B_HEAD,
    header: list[list[Cell | None]] | None = None,
    widths: list[float] | None = None,
    **kw,
) -> Table:
    """A layout-B key-indicator table: 类别 | 序号 | 指标 | 单位 | base | target | growth | 属性.

    ``header`` overrides the one-row header built from ``heads`` (columns keep
    their positions: the gold only needs to know which column is which)."""
    cols = {
        "category": 0,
        "task_no": 1,
        "indicator": 2,
        "unit": 3,
        "base": (4, base_year),
        "target": (5, target_year),
        "growth": 6,
        "binding": 7,
    }
    head = header or [[Cell(h) for h in heads]]
    return Table(head, body, widths or list(B_WIDTHS), layout="B", columns=cols, **kw)


def b_row(
    no: str,
    name: str,
    unit: str,
    base: str,
    base_value: str | None,
    target: Cell,
    growth: str,
    binding: str,
    category: Cell | None = None,
) -> list[Cell | None]:
    """One layout-B row; ``category`` is the (possibly merged) 类别 cell or None if covered."""
    return [
        category,
        Cell(no),
        Cell(name),
        Cell(unit),
        Cell(base, number=base_value),
        target,
        Cell(growth),
        Cell(binding),
    ]


# --------------------------------------------------------------------------- text


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3001 <= o <= 0x303F


_CLOSING = set("、。〉》」』】〕〗〙〛")
_OPENING = set("〈《「『【〔〖〘〚")


def normalise(text: str) -> str:
    """Extraction conventions: NFKC, whitespace between CJK removed, other runs
    collapsed to one space, stripped."""
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"\s+", " ", s).strip()
    out = []
    for i, ch in enumerate(s):
        if ch == " " and 0 < i < len(s) - 1 and is_cjk(s[i - 1]) and is_cjk(s[i + 1]):
            continue
        out.append(ch)
    return "".join(out)


def _can_break(a: str, b: str) -> bool:
    return is_cjk(a) and is_cjk(b) and b not in _CLOSING and a not in _OPENING


def wrap(text: str, width: float, size: float, first_indent: float = 0.0) -> list[str]:
    """Greedy line wrap for the PDF (see module docstring for break rules)."""
    lines: list[str] = []
    for para in text.split("\n"):
        _wrap_para(para, width, size, first_indent if not lines else 0.0, lines)
    return lines


_WIDTHS: dict[tuple[str, float], float] = {}


def char_width(ch: str, size: float) -> float:
    key = (ch, size)
    w = _WIDTHS.get(key)
    if w is None:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        _register_font()
        w = _WIDTHS[key] = stringWidth(ch, FONT, size)
    return w


def _wrap_para(text: str, width: float, size: float, indent: float, out: list[str]) -> None:
    start, x, last_break = 0, indent, -1
    i = 0
    while i < len(text):
        ch = text[i]
        if i > start and (text[i - 1] == " " or _can_break(text[i - 1], ch)):
            last_break = i
        x += char_width(ch, size)
        if x > width and i > start:
            if last_break <= start:
                raise ValueError(f"cannot wrap {text!r} into {width:.0f}pt")
            out.append(text[start:last_break].rstrip(" "))
            start, i, last_break = last_break, last_break, -1
            while start < len(text) and text[start] == " ":
                start += 1
                i += 1
            x = 0.0
            continue
        i += 1
    out.append(text[start:])


# --------------------------------------------------------------------------- grid


def grid_of(table: Table) -> list[list[tuple[Cell, int, int]]]:
    """Every position of header + body as (cell, origin_row, origin_col)."""
    rows = table.header + table.body
    n = len(table.widths)
    grid: list[list[tuple[Cell, int, int] | None]] = [[None] * n for _ in rows]
    for r, row in enumerate(rows):
        if len(row) != n:
            raise ValueError(f"row {r} has {len(row)} positions, expected {n}: {row}")
        for c, cell in enumerate(row):
            if cell is None:
                continue
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if grid[r + dr][c + dc] is not None:
                        raise ValueError(f"overlapping merge at {(r + dr, c + dc)}")
                    if (dr or dc) and rows[r + dr][c + dc] is not None:
                        raise ValueError(f"position {(r + dr, c + dc)} must be None (merged)")
                    grid[r + dr][c + dc] = (cell, r, c)
    for r, row in enumerate(grid):
        for c, pos in enumerate(row):
            if pos is None:
                raise ValueError(f"position {(r, c)} covered by nothing")
    return grid  # type: ignore[return-value]


# --------------------------------------------------------------------------- DOCX


def write_docx(doc: PlanDoc, path: str | Path) -> None:
    """Write ``doc`` as DOCX: Heading styles, real merged cells, optional tblHeader."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    d = docx.Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(21)
    sec.top_margin = sec.bottom_margin = Mm(25)

    def cjk_font(style_or_run, name: str) -> None:
        rpr = style_or_run.element.get_or_add_rPr()
        rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)

    normal = d.styles["Normal"]
    normal.font.size = Pt(10.5)
    cjk_font(normal, "仿宋")
    for lvl in (1, 2, 3):
        st = d.styles[f"Heading {lvl}"]
        st.font.color.rgb = RGBColor(0, 0, 0)
        st.font.size = Pt({1: 15, 2: 13, 3: 12}[lvl])
        cjk_font(st, "黑体")

    title = d.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(doc.title)
    run.bold = True
    run.font.size = Pt(18)
    cjk_font(run, "方正小标宋简体")

    for block in doc.blocks:
        if isinstance(block, Heading):
            d.add_heading(block.text, level=block.level)
        elif isinstance(block, Paragraph):
            p = d.add_paragraph()
            if block.indent:
                p.paragraph_format.first_line_indent = Pt(21)
            r = p.add_run(block.text)
            r.italic = block.italic or None
        elif isinstance(block, PageBreak):
            d.add_page_break()
        else:
            _docx_table(d, block, WD_ALIGN_PARAGRAPH, WD_CELL_VERTICAL_ALIGNMENT, Pt)

    cp = d.core_properties
    cp.author = cp.last_modified_by = doc.author
    cp.title = doc.title
    cp.created = cp.modified = cp.last_printed = FIXED_DATE
    cp.revision = 1
    buf = io.BytesIO()
    d.save(buf)
    Path(path).write_bytes(_stable_zip(buf.getvalue()))


def _docx_table(d, table: Table, align, valign, Pt) -> None:
    from docx.oxml import OxmlElement
    from docx.table import _Cell

    n = len(table.widths)
    t = d.add_table(rows=0, cols=n)
    t.style = "Table Grid"
    t.autofit = False
    for i, w in enumerate(table.widths):
        t.columns[i].width = Pt(w)
    rows = table.header + table.body
    tcs = []
    for r, spec_row in enumerate(rows):
        row = t.add_row()
        if r < len(table.header) and table.repeat_header:
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
        tc_row = list(row._tr.tc_lst)
        tcs.append(tc_row)
        for c, cell in enumerate(spec_row):
            if cell is None or not cell.text:
                continue
            dc = _Cell(tc_row[c], t)
            dc.text = cell.text  # "\n" becomes <w:br/>: a line break inside the cell
            for p in dc.paragraphs:
                p.paragraph_format.space_after = Pt(0)
                if r < len(table.header) or c == table.columns.get("task_no", -1):
                    p.alignment = align.CENTER
                for run in p.runs:
                    run.font.size = Pt(table.font_size + 1)
            if r < len(table.header):
                dc.vertical_alignment = valign.CENTER
    for r, spec_row in enumerate(rows):
        for c, cell in enumerate(spec_row):
            if cell is not None and (cell.rowspan > 1 or cell.colspan > 1):
                a = _Cell(tcs[r][c], t)
                b = _Cell(tcs[r + cell.rowspan - 1][c + cell.colspan - 1], t)
                a.merge(b)
    d.add_paragraph()  # Word needs a paragraph between consecutive tables


def _stable_zip(data: bytes) -> bytes:
    """Re-pack a zip with fixed timestamps so the file is byte-stable."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2017, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zout.writestr(zi, zin.read(info.filename))
    return out.getvalue()


# --------------------------------------------------------------------------- PDF

PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN_L = MARGIN_R = 60.0
MARGIN_T, MARGIN_B = 72.0, 70.0
BODY_SIZE, BODY_LEADING = 11.0, 19.0
PAD_X, PAD_Y = 3.0, 3.0

_font_registered = False


def _register_font() -> None:
    global _font_registered
    if not _font_registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfbase.ttfonts import TTFont

        if FONT == "STSong-Light":
            pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        else:
            pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
        _font_registered = True


@dataclass
class PdfLayout:
    """Where the writer put things: per table, the 1-based page of each grid row."""

    pages: int = 0
    row_pages: list[list[int]] = field(default_factory=list)
    split_rows: list[tuple[int, int]] = field(default_factory=list)  # (table, grid row)
    table_pages: list[tuple[int, int]] = field(default_factory=list)  # (first, last) page


class _Canvas:
    def __init__(self, path: str | Path, doc: PlanDoc):
        from reportlab.pdfgen import canvas

        _register_font()
        self.c = canvas.Canvas(str(path), pagesize=(PAGE_W, PAGE_H), invariant=1)
        self.c.setTitle(doc.title)
        self.c.setAuthor(doc.author)
        self.c.setCreator("planwh tools/plan_writer.py")
        self.c.setLineWidth(0.6)
        self.page = 1
        self.y = PAGE_H - MARGIN_T

    def new_page(self) -> None:
        self._footer()
        self.c.showPage()
        self.c.setLineWidth(0.6)
        self.page += 1
        self.y = PAGE_H - MARGIN_T

    def _footer(self) -> None:
        text = f"— {self.page} —"
        self.c.setFont(FONT, 10)
        w = sum(char_width(ch, 10) for ch in text)
        self.c.drawString((PAGE_W - w) / 2, 40, text)

    def room(self) -> float:
        return self.y - MARGIN_B

    def text(self, x: float, y: float, s: str, size: float, italic: bool = False) -> None:
        c = self.c
        if italic:
            c.saveState()
            c.transform(1, 0, 0.21, 1, x, y)  # oblique: CID fonts have no italic face
            c.setFont(FONT, size)
            c.drawString(0, 0, s)
            c.restoreState()
        else:
            c.setFont(FONT, size)
            c.drawString(x, y, s)

    def finish(self) -> int:
        self._footer()
        self.c.showPage()
        self.c.save()
        return self.page


def write_pdf(doc: PlanDoc, path: str | Path) -> PdfLayout:
    """Write ``doc`` as an A4 text-based PDF; return the page layout of every table row."""
    cv = _Canvas(path, doc)
    layout = PdfLayout()
    usable = PAGE_W - MARGIN_L - MARGIN_R

    # title
    size = 18.0
    for line in wrap(doc.title, usable, size):
        w = sum(char_width(ch, size) for ch in line)
        cv.text((PAGE_W - w) / 2, cv.y - size, line, size)
        cv.y -= size * 1.8
    cv.y -= 10

    for block in doc.blocks:
        if isinstance(block, PageBreak):
            cv.new_page()
        elif isinstance(block, Heading):
            size = {1: 14.0, 2: 12.5}.get(block.level, 11.5)
            need = size * 2 + BODY_LEADING * 3  # keep with next
            if cv.room() < need:
                cv.new_page()
            cv.y -= 6
            for line in wrap(block.text, usable, size):
                cv.text(MARGIN_L, cv.y - size, line, size)
                cv.y -= size * 1.7
        elif isinstance(block, Paragraph):
            indent = 2 * BODY_SIZE if block.indent else 0.0
            lines = wrap(block.text, usable, BODY_SIZE, first_indent=indent)
            for k, line in enumerate(lines):
                if cv.room() < BODY_LEADING:
                    cv.new_page()
                x = MARGIN_L + (indent if k == 0 else 0.0)
                cv.text(x, cv.y - BODY_SIZE, line, BODY_SIZE, block.italic)
                cv.y -= BODY_LEADING
        else:
            first = cv.page
            layout.row_pages.append(_pdf_table(cv, block, len(layout.row_pages), layout))
            layout.table_pages.append((first, cv.page))
            cv.y -= 8
    layout.pages = cv.finish()
    return layout


def _pdf_table(cv: _Canvas, table: Table, t_index: int, layout: PdfLayout) -> list[int]:
    size = table.font_size
    leading = size * 1.3
    rows = table.header + table.body
    grid = grid_of(table)
    xs = [MARGIN_L]
    for w in table.widths:
        xs.append(xs[-1] + w)
    if xs[-1] > PAGE_W - MARGIN_R + 1:
        raise ValueError(f"table {t_index} is {xs[-1] - MARGIN_L:.0f}pt wide, page allows less")

    # wrapped lines of every origin cell, and natural row heights
    cell_lines: dict[tuple[int, int], list[str]] = {}
    heights = [2 * PAD_Y + leading for _ in rows]
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            width = xs[c + cell.colspan] - xs[c] - 2 * PAD_X
            lines = wrap(cell.text, width, size) if cell.text else []
            cell_lines[(r, c)] = lines
            if cell.rowspan == 1:
                heights[r] = max(heights[r], 2 * PAD_Y + max(1, len(lines)) * leading)
    for (r, c), lines in cell_lines.items():
        span = rows[r][c].rowspan  # type: ignore[union-attr]
        if span > 1:
            need = 2 * PAD_Y + len(lines) * leading
            have = sum(heights[r : r + span])
            if need > have:
                heights[r + span - 1] += need - have

    n_head = len(table.header)
    head_h = sum(heights[:n_head])

    def draw_rows(
        r0: int,
        r1: int,
        part: dict[tuple[int, int], list[str]] | None = None,
        row_h: float | None = None,
    ) -> None:
        """Draw grid rows r0..r1-1 as one block at cv.y (merged cells inside the block)."""
        tops = [cv.y]
        for r in range(r0, r1):
            tops.append(tops[-1] - (row_h if row_h is not None else heights[r]))
        for r in range(r0, r1):
            for c, cell in enumerate(rows[r]):
                if cell is None:
                    continue
                y_top, y_bot = tops[r - r0], tops[r - r0 + cell.rowspan]
                x0, x1 = xs[c], xs[c + cell.colspan]
                cv.c.rect(x0, y_bot, x1 - x0, y_top - y_bot, stroke=1, fill=0)
                lines = part[(r, c)] if part is not None else cell_lines[(r, c)]
                header = r < n_head
                centre = header or c == table.columns.get("task_no", -1)
                y = y_top - PAD_Y - size
                if header:  # vertically centred
                    y = (y_top + y_bot) / 2 + (len(lines) * leading) / 2 - size
                for line in lines:
                    x = x0 + PAD_X
                    if centre:
                        w = sum(char_width(ch, size) for ch in line)
                        x = (x0 + x1 - w) / 2
                    cv.text(x, y, line, size)
                    y -= leading
        cv.y = tops[-1]

    # body groups: rows bound together by vertical merges
    groups: list[tuple[int, int]] = []
    r = n_head
    while r < len(rows):
        end = r + 1
        k = r
        while k < end:
            for c in range(len(xs) - 1):
                cell, orow, _ = grid[k][c]
                end = max(end, orow + cell.rowspan)
            k += 1
        groups.append((r, end))
        r = end

    pages = [0] * len(rows)
    first_h = heights[n_head] if n_head < len(rows) else 0.0
    if cv.room() < head_h + first_h:
        cv.new_page()
    for r in range(n_head):
        pages[r] = cv.page
    draw_rows(0, n_head)

    def continuation_page() -> None:
        cv.new_page()
        if table.repeat_header:
            draw_rows(0, n_head)

    for g0, g1 in groups:
        gh = sum(heights[g0:g1])
        forced = (g0 - n_head) in table.break_before
        if forced or gh > cv.room():
            splittable = (
                not forced
                and table.split_rows
                and g1 - g0 == 1
                and cv.room() >= 2 * PAD_Y + 2 * leading
            )
            if splittable:
                k = int((cv.room() - 2 * PAD_Y) // leading)
                first = {key: v[:k] for key, v in cell_lines.items() if key[0] == g0}
                rest = {key: v[k:] for key, v in cell_lines.items() if key[0] == g0}
                if any(rest.values()):
                    if not first[(g0, table.columns.get("task_no", 0))]:
                        raise ValueError("a broken row must keep its 序号 on the first page")
                    pages[g0] = cv.page
                    draw_rows(g0, g0 + 1, first, 2 * PAD_Y + k * leading)
                    continuation_page()
                    n_rest = max(len(v) for v in rest.values())
                    draw_rows(g0, g0 + 1, rest, 2 * PAD_Y + n_rest * leading)
                    layout.split_rows.append((t_index, g0))
                    continue
            continuation_page()
            if gh > cv.room():
                raise ValueError(f"table {t_index} rows {g0}..{g1} do not fit on one page")
        for r in range(g0, g1):
            pages[r] = cv.page
        draw_rows(g0, g1)
    return pages


# --------------------------------------------------------------------------- gold


def names_a_measure(text: str) -> bool:
    """Layout A convention: does the 相关工作目标(指标) cell name a measure?"""
    if not text or len(text) > 30 or re.search(r"[。；;!?！？]", text):
        return False
    return not re.match(r"^(一是|[0-9一二三四五六七八九十]+[.、．])", text)


def plan_id_of(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def gold_records(doc: PlanDoc, path: str | Path, layout: PdfLayout | None) -> list[dict]:
    """Expected records of ``doc`` written at ``path`` (a PDF when ``layout`` is given)."""
    path = Path(path)
    pid = plan_id_of(path)
    section: str | None = None
    t_index = -1
    out: list[dict] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            section = normalise(block.text)
        if not isinstance(block, Table):
            continue
        t_index += 1
        if block.layout is None:
            continue
        grid = grid_of(block)
        n_head = len(block.header)
        base = dict(
            plan_id=pid,
            source_file=path.name,
            source_table=t_index,
            section=section,
            extraction="lines" if layout else "docx",
        )

        def text(r: int, role: str, block: Table = block, grid=grid) -> str | None:
            col = block.columns.get(role)
            return None if col is None else normalise(grid[r][col][0].text)

        for r in range(n_head, len(grid)):
            page = layout.row_pages[t_index][r] if layout else None
            row = dict(base, source_page=page, source_row=r)
            if block.layout == "A":
                cells = [(col, year) for col, year in sorted(block.columns["years"].items())]
                task_name = text(r, "task_name")
                ind = text(r, "indicator") or ""
                row.update(
                    layout="A",
                    task_no=text(r, "task_no"),
                    task_name=task_name,
                    indicator_name=ind if names_a_measure(ind) else task_name,
                    indicator_unit=None,
                    baseline_value=None,
                    baseline_year=None,
                    binding=None,
                )
            else:
                tcol, tyear = block.columns["target"]
                bcol, byear = block.columns["base"]
                cells = [(tcol, tyear)]
                bcell = grid[r][bcol][0]
                row.update(
                    layout="B",
                    task_no=text(r, "task_no"),
                    task_name="",
                    indicator_name=text(r, "indicator"),
                    indicator_unit=text(r, "unit") or None,
                    baseline_value=bcell.number,
                    baseline_year=byear if bcell.number is not None else None,
                    binding=text(r, "binding") or None,
                )
            for col, year in cells:
                cell, orow, _ = grid[r][col]
                if orow != r:
                    raise ValueError("a target cell must not be merged vertically")
                if cell.targets is None:
                    if normalise(cell.text) not in ("", "—"):
                        raise ValueError(f"target cell without expectation: {cell.text!r}")
                    continue
                for tg in cell.targets:
                    out.append(
                        dict(
                            row,
                            year=year,
                            scope=tg.scope,
                            target_text=normalise(cell.text),
                            comparator=tg.comparator,
                            target_value=tg.value,
                            target_value_high=tg.high,
                            target_unit=tg.unit,
                        )
                    )
    return [_ordered(r) for r in out]


FIELDS = (
    "plan_id", "source_file", "source_page", "source_table", "source_row", "section",
    "task_no", "task_name", "indicator_name", "year", "scope", "target_text", "comparator",
    "target_value", "target_value_high", "target_unit", "layout", "indicator_unit",
    "baseline_value", "baseline_year", "binding", "extraction",
)  # fmt: skip


def _ordered(rec: dict) -> dict:
    for k in ("target_value", "target_value_high", "baseline_value"):
        if rec[k] is not None:
            rec[k] = str(Decimal(rec[k]))
    return {k: rec[k] for k in FIELDS}


def write_gold(records: list[dict], path: str | Path) -> None:
    import json

    with open(path, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def write_pair(
    doc: PlanDoc,
    out_dir: str | Path,
    stem: str,
    formats=("docx", "pdf"),
    gold_dir: str | Path | None = None,
) -> dict:
    """Write ``stem``.docx/.pdf and ``<file name>.gold.jsonl`` (in ``gold_dir``, default
    next to the documents); return {format: (path, layout)}."""
    out_dir = Path(out_dir)
    gold_dir = Path(gold_dir or out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    gold_dir.mkdir(parents=True, exist_ok=True)
    result = {}
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        layout = write_pdf(doc, path) if fmt == "pdf" else write_docx(doc, path)
        write_gold(gold_records(doc, path, layout), gold_dir / f"{stem}.{fmt}.gold.jsonl")
        result[fmt] = (path, layout)
    return result
