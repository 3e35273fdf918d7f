"""PDF -> table grids (merged cells rebuilt, continued tables stitched), headings, title.

pdfplumber's ``lines`` strategy finds the ruled tables; a merged cell is one
rectangle of ``Table.cells`` covering several grid columns/rows, so the grid is
rebuilt from all rectangle edges. Cell text comes from the characters inside
each rectangle. Tables continued on the next page are joined here (no library
does it). pypdfium2 gives a fast text-layer test before the full parse.
"""

from __future__ import annotations

import re
import tempfile
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pdfplumber
import pypdfium2
from pdfplumber.utils import extract_text_simple

from extractors.layouts import detect_layout, is_section_heading
from extractors.records import GridCell, TableGrid, UnreadableDocument
from extractors.text import SUPERSCRIPT_DIGITS, normalise_text

LINES = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
TEXT = {"vertical_strategy": "text", "horizontal_strategy": "text"}
EDGE_TOL = 2.0  # points: rectangle edges closer than this are one grid boundary
STITCH_TOL = 3.0  # points: column boundaries of a continued table
X_TOL = Y_TOL = 3.0
MARGIN = 0.08  # top/bottom share of a page where page numbers and running heads live
CID_MAX_SHARE = 0.05
MIN_RULE_SHARE = 0.3  # a three-line table's rules span at least this share of the page width
_CID = re.compile(r"^\(cid:\d+\)$")
_PAGE_NUMBER = re.compile(r"^(?:[-—–\s]*\d{1,4}[-—–\s]*|第\d+页(?:/?共\d+页)?|\d+/\d+)$")


@dataclass
class PdfContent:
    """What a PDF holds for plan extraction."""

    tables: list[TableGrid]
    title: str | None
    lines: list[str]  # first lines outside tables (title, period), normalised
    pages: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Line:
    text: str
    top: float
    bottom: float
    x1: float
    size: float
    page: int


@dataclass
class _PageTable:
    rows: list[list[GridCell]]
    xs: list[float]
    page: int
    strategy: str
    section: str | None = None
    context: str = ""
    starts_page: bool = False  # nothing but running heads above it
    ends_page: bool = False  # nothing but page numbers below it


# --------------------------------------------------------------------------- checks


def _check_text_layer(path: Path, source: str) -> int:
    """Page count; raises for encrypted, corrupt or image-only PDFs."""
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise UnreadableDocument(source, "encrypted PDF (password required)") from None
        raise UnreadableDocument(source, f"corrupt PDF ({msg})") from None
    try:
        n = len(pdf)
        if n == 0:
            raise UnreadableDocument(source, "PDF without pages")
        for i in range(n):
            page = pdf[i]
            textpage = page.get_textpage()
            chars = textpage.count_chars()
            textpage.close()
            page.close()
            if chars > 0:
                return n
        raise UnreadableDocument(source, "no text layer (scanned PDF?)")
    finally:
        pdf.close()


def _drop_cid(chars: list[dict], boxes: list[tuple], page_no: int, source: str,
              warnings: list[str]) -> list[dict]:
    """Chars without glyphs' Unicode (``(cid:N)``): fatal inside a table or when common."""
    cid = [ch for ch in chars if _CID.match(ch["text"])]
    if not cid:
        return chars
    in_table = any(_table_of(ch, boxes) is not None for ch in cid)
    if in_table or len(cid) > CID_MAX_SHARE * len(chars):
        raise UnreadableDocument(
            source, "glyphs without a Unicode map ((cid:N)): text cannot be read",
            location=f"page {page_no}",
        )
    warnings.append(f"page {page_no}: {len(cid)} glyph(s) without Unicode map dropped")
    return [ch for ch in chars if not _CID.match(ch["text"])]


# --------------------------------------------------------------------------- grids


def _boundaries(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > EDGE_TOL:
            out.append(v)
    return out


def _nearest(bounds: list[float], v: float) -> int:
    i = bisect_right(bounds, v + EDGE_TOL) - 1
    return max(i, 0)


def _grid_from_cells(cells: list[tuple]) -> tuple[list[list[GridCell | None]], list[float], list[float]]:
    xs = _boundaries([c[0] for c in cells] + [c[2] for c in cells])
    ys = _boundaries([c[1] for c in cells] + [c[3] for c in cells])
    grid: list[list[GridCell | None]] = [[None] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for x0, top, x1, bottom in sorted(cells, key=lambda c: (c[1], c[0])):
        c0, c1 = _nearest(xs, x0), _nearest(xs, x1)
        r0, r1 = _nearest(ys, top), _nearest(ys, bottom)
        if c1 <= c0 or r1 <= r0 or grid[r0][c0] is not None:
            continue
        cell = GridCell("", "", (r0, c0), r1 - r0, c1 - c0)
        for r in range(r0, r1):
            for c in range(c0, c1):
                if grid[r][c] is None:
                    grid[r][c] = cell
    return grid, xs, ys


# Inside a PDF cell every line break is a layout wrap: a number wrapped in a narrow
# column ("不少于1|00家", "67,2|93") is one number. (DOCX paragraph breaks are real
# breaks and never reach this.)
_WRAPPED_NUMBER = re.compile(r"(?<=\d)[ \t]*\n[ \t]*(?=\d)|(?<=\d[,.])\n(?=\d)")


def _join_wrapped_numbers(raw: str) -> str:
    return _WRAPPED_NUMBER.sub("", raw) if "\n" in raw else raw


SUPER_SIZE = 0.75  # a digit this much smaller than its cell's text, and raised: superscript
SUPER_RISE = 0.2  # its bottom above the text's bottom by this share of the text size


def _superscripts(chars: list[dict]) -> list[dict]:
    """Digits set in superscript (a footnote number, 不低于4张¹) as superscript digits,
    which the target grammar knows are no quantity (as the DOCX reader writes them)."""
    size = max((ch.get("size", 0) for ch in chars), default=0)
    small = [ch for ch in chars if ch["text"].isdigit() and ch.get("size", 0) <= SUPER_SIZE * size]
    if not small:
        return chars
    full = [ch for ch in chars if ch.get("size", 0) > SUPER_SIZE * size]
    small_ids = {id(ch) for ch in small}
    out = []
    for ch in chars:
        if id(ch) in small_ids:
            line = [f for f in full if f["top"] - size <= ch["top"] <= f["bottom"]]
            bottom = max((f["bottom"] for f in line), default=None)
            if bottom is not None and bottom - ch["bottom"] >= SUPER_RISE * size:
                ch = {**ch, "text": ch["text"].translate(SUPERSCRIPT_DIGITS)}
        out.append(ch)
    return out


def _fill_text(grid: list[list[GridCell | None]], xs: list[float], ys: list[float],
               chars: list[dict]) -> list[list[GridCell]]:
    """Put each char in the cell under its centre; gaps become empty cells."""
    buckets: dict[int, list[dict]] = {}
    nr, nc = len(grid), len(grid[0]) if grid else 0
    for ch in chars:
        c = bisect_right(xs, (ch["x0"] + ch["x1"]) / 2) - 1
        r = bisect_right(ys, (ch["top"] + ch["bottom"]) / 2) - 1
        if 0 <= r < nr and 0 <= c < nc and grid[r][c] is not None:
            buckets.setdefault(id(grid[r][c]), []).append(ch)
    rows: list[list[GridCell]] = []
    for r, row in enumerate(grid):
        out: list[GridCell] = []
        for c, cell in enumerate(row):
            if cell is None:
                cell = GridCell("", "", (r, c))
            elif cell.origin == (r, c) and id(cell) in buckets:
                raw = extract_text_simple(_superscripts(buckets[id(cell)]), x_tolerance=X_TOL,
                                          y_tolerance=Y_TOL)
                cell.raw, cell.text = raw, normalise_text(_join_wrapped_numbers(raw))
            out.append(cell)
        rows.append(out)
    return rows


# --------------------------------------------------------------------------- lines


def _table_of(ch: dict, boxes: list[tuple]) -> int | None:
    cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    for i, (x0, top, x1, bottom) in enumerate(boxes):
        if x0 <= cx <= x1 and top <= cy <= bottom:
            return i
    return None


def _text_lines(chars: list[dict], page_no: int) -> list[_Line]:
    """Chars clustered into visual lines, top to bottom."""
    lines: list[_Line] = []
    cluster: list[dict] = []
    for ch in sorted(chars, key=lambda ch: ch["top"]):
        if cluster and ch["top"] - cluster[0]["top"] > Y_TOL:
            lines.append(_make_line(cluster, page_no))
            cluster = []
        cluster.append(ch)
    if cluster:
        lines.append(_make_line(cluster, page_no))
    return [ln for ln in lines if ln.text]


def _make_line(chars: list[dict], page_no: int) -> _Line:
    raw = extract_text_simple(chars, x_tolerance=X_TOL, y_tolerance=Y_TOL)
    return _Line(
        text=normalise_text(raw), top=min(c["top"] for c in chars),
        bottom=max(c["bottom"] for c in chars), x1=max(c["x1"] for c in chars),
        size=max(c.get("size", 0) for c in chars), page=page_no,
    )


def _is_running(line: _Line, height: float) -> bool:
    """Page numbers and running heads/feet in the page margins."""
    in_margin = line.top < MARGIN * height or line.bottom > (1 - MARGIN) * height
    if _PAGE_NUMBER.match(line.text):
        return True
    return in_margin and len(line.text) <= 12 and not is_section_heading(line.text)


def _is_heading(line: _Line, right_edge: float) -> bool:
    full_width = line.x1 >= right_edge - 1.5 * line.size and len(line.text) >= 20
    return is_section_heading(line.text) and not full_width


# --------------------------------------------------------------------------- pages


@dataclass
class _State:
    section: str | None = None
    context: list[str] = field(default_factory=list)
    first_lines: list[_Line] = field(default_factory=list)
    text_pages: list[int] = field(default_factory=list)  # pages with three-line tables


# --------------------------------------------------------------------------- three-line tables


def _rule_groups(page, boxes: list[tuple]) -> list[tuple[float, float, list[float]]]:
    """Long horizontal rules outside the ruled tables, grouped by their x extent:
    (x0, x1, tops) with at least two rules (a three-line table's top, header and
    bottom rules; the bottom one is missing where the table goes on over the page)."""
    rules: list[tuple[float, float, float]] = []
    for e in page.edges:
        if e["orientation"] != "h" or e["x1"] - e["x0"] < MIN_RULE_SHARE * float(page.width):
            continue
        if any(x0 - EDGE_TOL <= e["x0"] and e["x1"] <= x1 + EDGE_TOL
               and top - EDGE_TOL <= e["top"] <= bottom + EDGE_TOL
               for x0, top, x1, bottom in boxes):
            continue
        rules.append((float(e["x0"]), float(e["x1"]), float(e["top"])))
    groups: list[tuple[float, float, list[float]]] = []
    for x0, x1, y in sorted(rules, key=lambda r: r[2]):
        g = next((g for g in groups if abs(g[0] - x0) <= STITCH_TOL and abs(g[1] - x1) <= STITCH_TOL),
                 None)
        if g is None:
            groups.append((x0, x1, [y]))
        elif y - g[2][-1] > EDGE_TOL:  # a rule drawn twice is one rule
            g[2].append(y)
    return [g for g in groups if len(g[2]) >= 2]


def _text_table(page, bbox: tuple, chars: list[dict], rules: list[float] | None = None
                ) -> tuple[tuple, list[list[GridCell]], list[float]] | None:
    """The plan table the text strategy finds inside ``bbox``: (its bbox, rows, column
    edges), else None. ``rules``: tops of the horizontal rules across it, which no row
    crosses (see ``_merge_wrapped_rows``)."""
    crop = page.crop(bbox, strict=False)
    for t in crop.find_tables(TEXT):
        if not t.cells:
            continue
        grid, xs, ys = _grid_from_cells(t.cells)
        if not grid or not grid[0]:
            continue
        inside = [ch for ch in chars if _table_of(ch, [t.bbox]) is not None]
        bands = None
        if rules:
            bands = [bisect_right(rules, (ys[r] + ys[r + 1]) / 2) for r in range(len(grid))]
        rows = _merge_wrapped_rows(_fill_text(grid, xs, ys, inside), bands)
        if detect_layout(TableGrid(rows, 0)) is not None:
            return t.bbox, rows, xs
    return None


_Found = tuple[tuple, list[list[GridCell]], list[float]]


def _texts(row: list[GridCell]) -> list[str]:
    return [cell.text for cell in row]


def _grows(small: _Found, big: _Found) -> bool:
    """``big`` reads as ``small`` with more rows: same header and columns, ``small``'s rows
    unchanged at its head, and no plan-table header among the rows it adds (another table
    below, a heading, or body text joined to the last row, is no growth)."""
    a, b = small[1], big[1]
    if len(b) <= len(a) or len(a[0]) != len(b[0]):
        return False
    if any(_texts(x) != _texts(y) for x, y in zip(a, b, strict=False)):
        return False
    return not any(_starts_table(b[k:]) or _is_heading_row(b[k]) for k in range(len(a), len(b)))


def _is_heading_row(row: list[GridCell]) -> bool:
    """A section heading between two tables, cut by the columns: no table row."""
    texts = [cell.text for cell in row if cell.text]
    return len(texts) <= 2 and is_section_heading("".join(texts))


def _starts_table(rows: list[list[GridCell]]) -> bool:
    """``rows`` (text strategy: no merged cells) open with a plan table's header, maybe
    cut off right below it (a row of numbers stands in for its data rows)."""
    fresh = [[replace(cell, origin=(r, c)) for c, cell in enumerate(row)]
             for r, row in enumerate(rows)]
    fresh.append([GridCell("1", "1", (len(fresh), c)) for c in range(len(rows[0]))])
    return detect_layout(TableGrid(fresh, 0)) is not None


MAX_FIRST = 4  # rules below a table's top rule tried as the end of its first stretch


def _three_line_tables(page, boxes: list[tuple], chars: list[dict], page_no: int) -> list[_Found]:
    """Plan tables drawn with horizontal rules only beside or without ruled tables: a
    three-line table (三线表: top, header and bottom rule), a table with a rule under
    every row, or rules between groups of rows only.

    Each run of rules with the same x extent is read from a top rule: the shortest
    stretch (to one of the next ``MAX_FIRST`` rules, else to the run's last rule)
    holding a plan table with data rows is its start; the table is then the longest
    stretch, up to the run's last rule and on to the page foot (a table going on over
    the page), that reads as the same table with more rows (``_grows``), found by
    bisection. When no stretch holds a table, the table has no rule below its header
    on this page: it is read from the top rule to the last line of text above the page
    foot. So a run of n rules costs O(n log n) text-strategy reads at worst, not O(n²).
    Inside a stretch the text strategy finds the columns; every wrapped line is then a
    row of its own, joined as in the whole-document fallback. Returns (bbox, rows, xs).
    """
    height = float(page.height)
    foot = (1 - MARGIN) * height  # a lone number above the foot is a cell's line

    def read(x0: float, x1: float, top: float, bottom: float) -> _Found | None:
        rules = [t for t in tops if top - EDGE_TOL <= t <= bottom + EDGE_TOL]
        return _text_table(page, (x0 - 1, top - 1, x1 + 1, bottom + 1), chars, rules)

    def foot_of(x0: float, x1: float, top: float) -> float | None:
        below = [ch for ch in chars if ch["top"] > top and x0 - 1 <= ch["x0"] <= x1 + 1]
        body = [ln for ln in _text_lines(below, page_no)
                if ln.bottom <= foot or not _is_running(ln, height)]
        return body[-1].bottom if body else None

    out: list[_Found] = []
    for x0, x1, tops in _rule_groups(page, boxes):
        last = len(tops) - 1
        i = 0
        while i < last:
            found, j = None, i
            for j in [*range(i + 1, min(i + 1 + MAX_FIRST, last + 1)), last]:
                found = read(x0, x1, tops[i], tops[j])
                if found is not None:
                    break
            if found is None:
                end = foot_of(x0, x1, tops[i])
                found = read(x0, x1, tops[i], end) if end is not None else None
                j = last
            else:
                if j < last:
                    big = read(x0, x1, tops[i], tops[last])
                    if big is not None and _grows(found, big):
                        found, j = big, last
                    else:  # bisect for the last rule that still grows the table
                        lo, hi = j, last
                        while hi - lo > 1:
                            mid = (lo + hi) // 2
                            cand = read(x0, x1, tops[i], tops[mid])
                            if cand is not None and _grows(found, cand):
                                found, lo = cand, mid
                            else:
                                hi = mid
                        j = lo
                if j == last:  # on over the page: rows below the last rule
                    end = foot_of(x0, x1, tops[last])
                    if end is not None:
                        cand = read(x0, x1, tops[i], end)
                        if cand is not None and _grows(found, cand):
                            found = cand
            if found is not None:
                out.append(found)
            i = j + 1 if found is not None else i + 1
    return out


def _read_page(page, page_no: int, settings: dict, strategy: str, state: _State, source: str,
               warnings: list[str]) -> list[_PageTable]:
    found = [t for t in page.find_tables(settings) if t.cells]
    boxes = [t.bbox for t in found]
    chars = _drop_cid(page.chars, boxes, page_no, source, warnings)
    ruled_only = [ch for ch in chars if _table_of(ch, boxes) is None]
    three_line = _three_line_tables(page, boxes, ruled_only, page_no) if strategy == "lines" else []
    if three_line:
        state.text_pages.append(page_no)
    boxes += [bbox for bbox, _, _ in three_line]
    per_table: list[list[dict]] = [[] for _ in found]
    outside: list[dict] = []
    for ch in chars:
        i = _table_of(ch, boxes)
        if i is None:
            outside.append(ch)
        elif i < len(found):
            per_table[i].append(ch)
    height = float(page.height)
    lines = [ln for ln in _text_lines(outside, page_no) if not _is_running(ln, height)]
    if len(state.first_lines) < 40:
        state.first_lines.extend(lines[: 40 - len(state.first_lines)])
    right_edge = max((ln.x1 for ln in lines), default=float(page.width))
    placed: list[tuple[float, _PageTable]] = []
    for t, tchars in zip(found, per_table, strict=True):
        grid, xs, ys = _grid_from_cells(t.cells)
        if grid and grid[0]:
            rows = _fill_text(grid, xs, ys, tchars)
            if strategy == "text":
                rows = _merge_wrapped_rows(rows)
            placed.append((t.bbox[1], _PageTable(rows, xs, page_no, strategy)))
    for bbox, rows, xs in three_line:
        placed.append((bbox[1], _PageTable(rows, xs, page_no, "text")))
    events = sorted([(ln.top, 0, ln) for ln in lines] + [(top, 1, pt) for top, pt in placed],
                    key=lambda e: (e[0], e[1]))
    for k, (_, kind, obj) in enumerate(events):
        if kind == 1:
            obj.section, obj.context = state.section, "\n".join(state.context)
            obj.starts_page = k == 0
            obj.ends_page = k == len(events) - 1
        elif _is_heading(obj, right_edge):
            state.section, state.context = obj.text, []
        else:
            state.context.append(obj.text)
    return [pt for _, pt in placed]


class _Refused(Exception):
    """pdfminer (under pdfplumber) cannot open the file at all."""


def _read_pages(path: Path, source: str, settings: dict, strategy: str,
                warnings: list[str]) -> tuple[list[_PageTable], _State]:
    state = _State()
    tables: list[_PageTable] = []
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer's errors on a file it cannot parse (No /Root, ...)
        raise _Refused(f"{type(exc).__name__}: {exc}") from None
    with pdf:
        try:
            pages = pdf.pages
        except Exception as exc:
            raise _Refused(f"{type(exc).__name__}: {exc}") from None
        for i, page in enumerate(pages, start=1):
            try:
                tables.extend(_read_page(page, i, settings, strategy, state, source, warnings))
            finally:
                page.close()
    return tables, state


def _append_text(target: GridCell, cell: GridCell) -> None:
    """Continue ``target`` with ``cell``'s text: a line break in a PDF cell is a wrap."""
    target.raw = f"{target.raw}\n{cell.raw}" if target.raw else cell.raw
    target.text = normalise_text(_join_wrapped_numbers(f"{target.text}\n{cell.text}"))


def _merge_wrapped_rows(rows: list[list[GridCell]], bands: list[int] | None = None
                        ) -> list[list[GridCell]]:
    """Text strategy (no vertical rules, e.g. a three-line table): every wrapped line of a
    cell comes out as a row of its own. A row with an empty 序号 that fills fewer than
    half the columns continues the row above; a row of its own fills its target columns.

    ``bands``: for each row, the band between two horizontal rules it lies in. No row
    goes on over a rule, and a band with at most one 序号 (a table with a rule under
    every row, or the header) is one row, however many columns its wrapped lines fill."""
    if not rows:
        return rows
    seq = _seq_column(rows)
    one_row: set[int] = set()
    if bands is not None:
        numbered = Counter(b for row, b in zip(rows, bands, strict=True) if row[seq].text)
        one_row = {b for b in bands if numbered[b] <= 1}
    out: list[list[GridCell]] = []
    last_band: int | None = None
    for k, row in enumerate(rows):
        band = bands[k] if bands is not None else None
        filled = sum(1 for cell in row if cell.text)
        if not filled:  # the gap between two text lines: no row at all
            continue
        same_band = bool(out) and band == last_band
        if same_band and (band in one_row or (not row[seq].text and filled * 2 < len(row))):
            for above, cell in zip(out[-1], row, strict=True):
                if cell.text:
                    _append_text(above, cell)
        else:
            out.append(row)
        last_band = band
    for r, row in enumerate(out):
        for c, cell in enumerate(row):
            cell.origin = (r, c)
    return out


# --------------------------------------------------------------------------- stitching


def _columns_match(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= STITCH_TOL for x, y in zip(a, b, strict=True))


def _seq_column(rows: list[list[GridCell]]) -> int:
    for row in rows[:3]:
        for c, cell in enumerate(row):
            if "序号" in cell.text:
                return c
    return 0


def _repeats(part_row: list[GridCell], grid_row: list[GridCell]) -> bool:
    """``part_row`` repeats ``grid_row``: equal texts, except that a repeated header cell
    may be cut short (its last line overflowing into the row below, as LibreOffice
    draws a repeated header that is lower than its text)."""
    texts = [(a.text, b.text) for a, b in zip(part_row, grid_row, strict=True)]
    return any(a for a, _ in texts) and all(
        a == b or (a and b.startswith(a)) for a, b in texts
    )


def _overflow(part_row: list[GridCell], grid_row: list[GridCell]) -> dict[int, str]:
    """Column -> the text a cut-short repeated header cell lost."""
    return {c: b.text[len(a.text):] for c, (a, b) in enumerate(zip(part_row, grid_row, strict=True))
            if a.text != b.text and b.text.startswith(a.text)}


def _is_new_header(grid: TableGrid, part: _PageTable) -> bool:
    """The part opens with a header like the grid's but not equal to it: another table."""
    if not part.rows or _repeats(part.rows[0], grid.rows[0]):
        return False
    same = sum(1 for a, b in zip(part.rows[0], grid.rows[0], strict=True) if a.text and a.text == b.text)
    return same >= 2


def _merge_broken_row(above: list[GridCell], rows: list[list[GridCell]]) -> None:
    """Append the first row's text to ``above`` cell-wise; it then stops being a row."""
    seen: set[int] = set()
    for c, cell in enumerate(rows[0]):
        if id(cell) in seen:
            continue
        seen.add(id(cell))
        target = above[c]
        if cell.text:
            _append_text(target, cell)
        if cell.rowspan > 1 and cell.colspan == target.colspan:
            target.rowspan += cell.rowspan - 1
            for row in rows[1:]:
                for j, other in enumerate(row):
                    if other is cell:
                        row[j] = target


def _append(grid: TableGrid, part: _PageTable) -> None:
    """Join a continuation part to a grid: repeated header dropped, broken row merged."""
    rows = part.rows
    skip = 0
    lost: dict[int, str] = {}
    while (skip < min(3, len(rows), grid.n_rows) and _repeats(rows[skip], grid.rows[skip])):
        lost.update(_overflow(rows[skip], grid.rows[skip]))
        skip += 1
    rows = rows[skip:]
    if rows and lost:  # the header's overflowing last line landed in the first row
        for c, suffix in lost.items():
            cell = rows[0][c]
            if cell.text.startswith(suffix):
                cell.text = cell.text[len(suffix):]
    seq = _seq_column(grid.rows)
    if rows and grid.rows and not rows[0][seq].text and any(c.text for c in rows[0]):
        _merge_broken_row(grid.rows[-1], rows)
        rows, skip = rows[1:], skip + 1
    offset = grid.n_rows - skip
    moved: set[int] = set()
    for row in rows:
        for cell in row:
            if id(cell) not in moved and cell.origin[0] >= skip:
                moved.add(id(cell))
                cell.origin = (cell.origin[0] + offset, cell.origin[1])
    grid.rows.extend(rows)
    assert grid.row_pages is not None
    grid.row_pages.extend([part.page] * len(rows))


def _absorbed(part_row: list[GridCell], header: list[GridCell]) -> dict[int, str] | None:
    """Text strategy: the repeated header of a three-line table continued on this page,
    with the rest of a row broken over the page joined to it (its lines come right
    below the header and have no 序号 of their own). Column -> that rest; None when
    ``part_row`` does not repeat ``header``."""
    pairs = list(zip(part_row, header, strict=True))
    if sum(1 for a, b in pairs if b.text and a.text.startswith(b.text)) < 2:
        return None
    if not all(a.text.startswith(b.text) for a, b in pairs):
        return None
    return {c: a.text[len(b.text):] for c, (a, b) in enumerate(pairs) if a.text != b.text}


def _continues(grid: TableGrid, last: _PageTable, part: _PageTable) -> bool:
    """``part`` (top of a page) continues ``grid``, whose last part ``last`` ended the page
    above: same column edges; for text-strategy parts, whose edges come from text
    alignment, the same number of columns and a repeated header."""
    if not (part.page == last.page + 1 and last.ends_page and part.starts_page):
        return False
    if part.strategy == last.strategy == "text" and part.rows and len(part.xs) == len(last.xs):
        return _absorbed(part.rows[0], grid.rows[0]) is not None
    return _columns_match(last.xs, part.xs) and not _is_new_header(grid, part)


def _take_absorbed(grid: TableGrid, part: _PageTable) -> None:
    """Text strategy: the rest of a broken row joined to the repeated header goes back to
    the last row above the page break; the header is then a plain repeat."""
    rest = _absorbed(part.rows[0], grid.rows[0]) if part.rows else None
    if not rest or grid.n_rows <= 1:
        return
    for c, text in rest.items():
        head = part.rows[0][c]
        head.text = grid.rows[0][c].text
        above = grid.rows[-1][c]
        if text and above.origin[0] == grid.n_rows - 1:
            _append_text(above, GridCell(text, text, above.origin))


def stitch(parts: list[_PageTable]) -> list[TableGrid]:
    """Page tables -> document tables, continued tables joined."""
    grids: list[TableGrid] = []
    last: _PageTable | None = None
    for part in parts:
        if last is not None and grids and _continues(grids[-1], last, part):
            if part.strategy == "text":
                _take_absorbed(grids[-1], part)
            _append(grids[-1], part)
        else:
            grids.append(TableGrid(
                rows=part.rows, table_index=len(grids), section=part.section,
                row_pages=[part.page] * len(part.rows), strategy=part.strategy,
                context=part.context,
            ))
        last = part
    return grids


# --------------------------------------------------------------------------- entry


def _title(lines: list[_Line]) -> str | None:
    page1 = [ln for ln in lines if ln.page == 1]
    if not page1:
        return None
    first = page1[0]
    parts = [first.text]
    for prev, ln in zip(page1, page1[1:], strict=False):
        if abs(ln.size - first.size) > 0.5 or ln.top - prev.bottom > first.size:
            break
        if is_section_heading(ln.text):
            break
        parts.append(ln.text)
    # body text: the lines after the title (a title over two lines is half of the few
    # lines outside tables on a page that is mostly table)
    rest = sorted(ln.size for ln in page1[len(parts):] or page1)
    if len(parts) > 1 and first.size <= rest[len(rest) // 2]:
        parts = parts[:1]
    return normalise_text("\n".join(parts)) or None


def _repaired_copy(path: Path, folder: str, source: str, why: str) -> Path:
    """The PDF re-saved by PDFium (which rebuilds a broken cross-reference, reads
    linearized files with bytes after ``%%EOF``, ...) into ``folder``."""
    out = Path(folder) / "repaired.pdf"
    try:
        pdf = pypdfium2.PdfDocument(str(path))
        try:
            pdf.save(str(out))
        finally:
            pdf.close()
    except pypdfium2.PdfiumError as exc:
        raise UnreadableDocument(source, f"corrupt PDF ({why}; PDFium: {exc})") from None
    return out


def read_pdf(path: str | Path) -> PdfContent:
    """Tables (stitched, with section and page of each row), title and first lines of a PDF.

    A file pdfminer refuses but PDFium opens is re-saved by PDFium to a temporary
    file and read from there (with a warning); "corrupt" only when neither can."""
    path = Path(path)
    source = path.name
    n_pages = _check_text_layer(path, source)
    try:
        return _read_pdf(path, source, n_pages, [])
    except _Refused as exc:
        why = str(exc)
    with tempfile.TemporaryDirectory(prefix="planwh-pdf-") as folder:
        copy = _repaired_copy(path, folder, source, why)
        note = (f"pdfminer could not open the file ({why}); read from a copy re-saved by "
                "PDFium, which repaired it")
        try:
            return _read_pdf(copy, source, n_pages, [note])
        except _Refused as again:
            raise UnreadableDocument(
                source, f"corrupt PDF ({why}; even after repair by PDFium: {again})"
            ) from None


def _read_pdf(path: Path, source: str, n_pages: int, notes: list[str]) -> PdfContent:
    warnings: list[str] = list(notes)
    parts, state = _read_pages(path, source, LINES, "lines", warnings)
    grids = stitch(parts)
    if state.text_pages:
        pages = ", ".join(map(str, state.text_pages))
        warnings.append(f"tables without vertical rules (page {pages}): columns guessed from "
                        "text alignment (text strategy)")
    if not grids:
        warnings = list(notes)  # the second pass reads every page again: its own warnings only
        parts, state = _read_pages(path, source, TEXT, "text", warnings)
        grids = [g for g in stitch(parts) if detect_layout(g) is not None]
        for i, g in enumerate(grids):
            g.table_index = i
        if grids:
            warnings.append(
                "no ruled tables found: columns guessed from text alignment (text strategy)"
            )
    return PdfContent(
        tables=grids, title=_title(state.first_lines),
        lines=[ln.text for ln in state.first_lines], pages=n_pages, warnings=warnings,
    )
