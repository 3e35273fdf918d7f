"""Rectangles -> grids: merged cells rebuilt from all rectangle edges, text filled in.

pdfplumber's ``Table.cells`` are rectangles; a merged cell is one rectangle
covering several grid columns/rows, so the grid is rebuilt from every edge.
Cell text comes from the characters inside each rectangle.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter

from pdfplumber.utils import extract_text_simple

from extractors.continuation import seq_column
from extractors.pdf.chars import superscripts
from extractors.pdf.settings import PdfSettings
from extractors.records import GridCell
from extractors.text import normalise_text


def boundaries(values: list[float], s: PdfSettings) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > s.edge_tol:
            out.append(v)
    return out


def nearest(bounds: list[float], v: float, s: PdfSettings) -> int:
    i = bisect_right(bounds, v + s.edge_tol) - 1
    return max(i, 0)


def grid_from_cells(cells: list[tuple], s: PdfSettings
                    ) -> tuple[list[list[GridCell | None]], list[float], list[float]]:
    """(grid of cells, column edges, row edges); a merged cell repeats one GridCell."""
    xs = boundaries([c[0] for c in cells] + [c[2] for c in cells], s)
    ys = boundaries([c[1] for c in cells] + [c[3] for c in cells], s)
    grid: list[list[GridCell | None]] = [[None] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for x0, top, x1, bottom in sorted(cells, key=lambda c: (c[1], c[0])):
        c0, c1 = nearest(xs, x0, s), nearest(xs, x1, s)
        r0, r1 = nearest(ys, top, s), nearest(ys, bottom, s)
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


def join_wrapped_numbers(raw: str) -> str:
    return _WRAPPED_NUMBER.sub("", raw) if "\n" in raw else raw


def fill_text(grid: list[list[GridCell | None]], xs: list[float], ys: list[float],
              chars: list[dict], s: PdfSettings) -> list[list[GridCell]]:
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
                raw = extract_text_simple(superscripts(buckets[id(cell)], s), x_tolerance=s.x_tol,
                                          y_tolerance=s.y_tol)
                cell.raw, cell.text = raw, normalise_text(join_wrapped_numbers(raw))
            out.append(cell)
        rows.append(out)
    return rows


def append_text(target: GridCell, cell: GridCell) -> None:
    """Continue ``target`` with ``cell``'s text: a line break in a PDF cell is a wrap."""
    target.raw = f"{target.raw}\n{cell.raw}" if target.raw else cell.raw
    target.text = normalise_text(join_wrapped_numbers(f"{target.text}\n{cell.text}"))


def merge_wrapped_rows(rows: list[list[GridCell]], bands: list[int] | None = None
                       ) -> list[list[GridCell]]:
    """Text strategy (no vertical rules, e.g. a three-line table): every wrapped line of a
    cell comes out as a row of its own. A row with an empty 序号 that fills fewer than
    half the columns continues the row above; a row of its own fills its target columns.

    ``bands``: for each row, the band between two horizontal rules it lies in. No row
    goes on over a rule, and a band with at most one 序号 (a table with a rule under
    every row, or the header) is one row, however many columns its wrapped lines fill."""
    if not rows:
        return rows
    seq = seq_column(rows)
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
                    append_text(above, cell)
        else:
            out.append(row)
        last_band = band
    for r, row in enumerate(out):
        for c, cell in enumerate(row):
            cell.origin = (r, c)
    return out
