"""One page -> its tables (ruled and three-line), with what lies around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber

from extractors.continuation import is_continued_label
from extractors.pdf.chars import drop_cid, table_of
from extractors.pdf.grid import fill_text, grid_from_cells, merge_wrapped_rows
from extractors.pdf.lines import Line, in_margin, is_heading_line, is_running, text_lines
from extractors.pdf.open import Refused
from extractors.pdf.settings import PdfSettings, Predicates
from extractors.pdf.three_line import three_line_tables
from extractors.records import GridCell, PlanwhError


@dataclass
class PageTable:
    rows: list[list[GridCell]]
    xs: list[float]  # column edges
    page: int
    strategy: str  # "lines" or "text"
    top: float = 0.0
    section: str | None = None
    context: str = ""
    first_on_page: bool = False  # no table above it on its page
    last_on_page: bool = False  # no table below it on its page
    gap_above: list[str] = field(default_factory=list)  # body lines since the table above / page top
    gap_below: list[str] = field(default_factory=list)  # body lines below it (last on page only)
    # ruled tables: column -> the last row's cell ended with room for a line above the
    # bottom rule (True) or its text runs down to it (False); empty cells absent
    bottom_room: dict[int, bool] | None = None

    def clear_above(self) -> bool:
        """Nothing but a 续表 label between it and what is above (page top or a table)."""
        return all(is_continued_label(t) for t in self.gap_above)

    def clear_below(self) -> bool:
        return all(is_continued_label(t) for t in self.gap_below)


@dataclass
class PageState:
    section: str | None = None
    context: list[str] = field(default_factory=list)
    first_lines: list[Line] = field(default_factory=list)
    text_pages: list[int] = field(default_factory=list)  # pages with three-line tables


def bottom_room(rows: list[list[GridCell]], xs: list[float], ys: list[float],
                chars: list[dict]) -> dict[int, bool]:
    """For each column of the last row with text: whether its cell is complete on this
    page, i.e. one more line of its text would still have fitted above the table's
    bottom rule (a cell cut by a page break runs down to the rule). One more line
    needs the cell's line pitch plus the bottom padding, the padding being the least
    room any cell of the row leaves (the tallest cell, or a cut one, ends there)."""
    if not rows:
        return {}
    last, bottom = rows[-1], ys[-1]
    cells: dict[int, tuple[float, float, list[float]]] = {}  # column -> (room, height, tops)
    for c, cell in enumerate(last):
        if not cell.text:
            continue
        r0, c0 = cell.origin
        x0, x1 = xs[c0], xs[min(c0 + cell.colspan, len(xs) - 1)]
        top = ys[r0]
        inside = [ch for ch in chars if x0 <= (ch["x0"] + ch["x1"]) / 2 < x1
                  and top <= (ch["top"] + ch["bottom"]) / 2 < bottom]
        if inside:
            tops = sorted({round(ch["top"] * 2) / 2 for ch in inside})
            cells[c] = (bottom - max(ch["bottom"] for ch in inside),
                        max(ch["bottom"] - ch["top"] for ch in inside), tops)
    if not cells:
        return {}
    pad = min(room for room, _h, _t in cells.values())
    height = max(h for _r, h, _t in cells.values())
    pitches = sorted(b - a for _r, _h, tops in cells.values() for a, b in zip(tops, tops[1:], strict=False)
                     if 0.8 * height < b - a < 2 * height)
    pitch = pitches[len(pitches) // 2] if pitches else 1.2 * height
    return {c: room >= pad + pitch - 0.5 for c, (room, _h, _t) in cells.items()}


def read_page(page, page_no: int, strategy: str, state: PageState, source: str,
              warnings: list[str], s: PdfSettings, p: Predicates) -> list[PageTable]:
    """The page's tables top to bottom, each with its section, context and the body
    lines between it and its neighbours (running heads and page numbers left out)."""
    settings = s.lines_strategy if strategy == "lines" else s.text_strategy
    found = [t for t in page.find_tables(settings) if t.cells]
    boxes = [t.bbox for t in found]
    chars = drop_cid(page.chars, boxes, page_no, source, warnings, s)
    ruled_only = [ch for ch in chars if table_of(ch, boxes) is None]
    three_line = (three_line_tables(page, boxes, ruled_only, page_no, s, p)
                  if strategy == "lines" else [])
    if three_line:
        state.text_pages.append(page_no)
    boxes += [bbox for bbox, _, _ in three_line]
    per_table: list[list[dict]] = [[] for _ in found]
    outside: list[dict] = []
    for ch in chars:
        i = table_of(ch, boxes)
        if i is None:
            outside.append(ch)
        elif i < len(found):
            per_table[i].append(ch)
    height = float(page.height)
    lines = [ln for ln in text_lines(outside, page_no, s)
             if not is_running(ln, height, p.is_heading, s)]
    if len(state.first_lines) < s.first_lines:
        state.first_lines.extend(lines[: s.first_lines - len(state.first_lines)])
    right_edge = max((ln.x1 for ln in lines), default=float(page.width))
    placed: list[PageTable] = []
    for t, tchars in zip(found, per_table, strict=True):
        grid, xs, ys = grid_from_cells(t.cells, s)
        if grid and grid[0]:
            rows = fill_text(grid, xs, ys, tchars, s)
            room = None
            if strategy == "text":
                rows = merge_wrapped_rows(rows)
            else:
                room = bottom_room(rows, xs, ys, tchars)
            placed.append(PageTable(rows, xs, page_no, strategy, top=t.bbox[1], bottom_room=room))
    for bbox, rows, xs in three_line:
        placed.append(PageTable(rows, xs, page_no, "text", top=bbox[1]))
    placed.sort(key=lambda pt: pt.top)
    events = sorted([(ln.top, 0, ln) for ln in lines] + [(pt.top, 1, pt) for pt in placed],
                    key=lambda e: (e[0], e[1]))
    gap: list[str] = []
    last: PageTable | None = None
    for _, kind, obj in events:
        if kind == 1:
            obj.section, obj.context = state.section, "\n".join(state.context)
            obj.first_on_page = last is None
            obj.gap_above, gap = gap, []
            last = obj
            continue
        heading = is_heading_line(obj, right_edge, p.is_heading)
        if heading or not in_margin(obj, height, s):
            # a running head of any length (a title, 征求意见稿) stays out of the gap
            gap.append(obj.text)
        if heading:
            state.section, state.context = obj.text, []
        else:
            state.context.append(obj.text)
    if last is not None:
        last.last_on_page, last.gap_below = True, gap
    return placed


def read_pages(path: Path, source: str, strategy: str, warnings: list[str], s: PdfSettings,
               p: Predicates) -> tuple[list[PageTable], PageState]:
    """Every page's tables, in reading order; ``Refused`` when pdfminer cannot open it."""
    state = PageState()
    return read_page_range(path, source, strategy, warnings, s, p, state), state


def read_page_range(path: Path, source: str, strategy: str, warnings: list[str],
                    s: PdfSettings, p: Predicates, state: PageState, first: int = 1,
                    last: int | None = None) -> list[PageTable]:
    """The tables of pages ``first``..``last`` (1-based, inclusive; None: to the end) in
    reading order, ``state`` carried from page to page; ``Refused`` when pdfminer cannot
    open the file or parse a page."""
    tables: list[PageTable] = []
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer's errors on a file it cannot parse (No /Root, ...)
        raise Refused(f"{type(exc).__name__}: {exc}") from None
    with pdf:
        try:
            pages = pdf.pages
        except Exception as exc:
            raise Refused(f"{type(exc).__name__}: {exc}") from None
        stop = len(pages) if last is None else min(last, len(pages))
        for i in range(first, stop + 1):
            page = pages[i - 1]
            try:
                tables.extend(read_page(page, i, strategy, state, source, warnings, s, p))
            except (PlanwhError, MemoryError):
                raise
            except Exception as exc:  # pdfminer on a broken object or content stream
                raise Refused(f"page {i}: {type(exc).__name__}: {exc}") from None
            finally:
                page.close()
    return tables
