"""The statistics reader's cell ledger: what became of every non-empty cell.

Cells are counted per column as blocks (``Fate.block``: a count over a row
range of one column), so a file of millions of values costs a few objects
per column, not one per cell; issues and the header are single cells
(``Fate.cell``). Rows are numbered as a spreadsheet shows them (1-based),
columns from 0 (column A).

Fates of a statistics table:

- ``record``: a figure loaded into a row of the frame (for a tidy table, the
  district, year, metric and unit cells of a loaded row too);
- ``structural``: a title or unit line above the header, a header cell, a
  row label (district, total, footnote) or year label, a note column, a
  missing-figure marker (—, …), a repeated header, a units row, a figure
  equal to one already loaded (a duplicate);
- ``issue``: a rejected figure, a column whose header names no metric, the
  cells of a table in an unknown layout, cells beyond the header's width.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extractors.ledger import Fate, Ledger
from extractors.stats.header import HEAD_ROWS, PATH_SEP, Layout, _column_letter
from extractors.vocabulary import REGION_HEADER_WORDS


def _filled(text: str | None) -> bool:
    return bool(text and text.strip())


def grid_size(grid) -> tuple[int, int, int]:
    """(non-empty cells, rows, columns) of a grid."""
    if grid.rows is not None:
        n = sum(1 for row in grid.rows for c in row if _filled(c))
        return n, len(grid.rows), max((len(r) for r in grid.rows), default=0)
    head = grid.head[: grid.arrow_header_index + 1]
    n = sum(1 for row in head for c in row if _filled(c))  # the body's cells: added by the reader
    return n, len(head) + grid.arrow.num_rows, grid.arrow.num_columns


def _non_empty(col):
    """Arrow booleans: the cell holds a non-blank character (no string is
    allocated: an empty test and a whitespace-only test)."""
    col = pc.fill_null(col, "")
    return pc.and_(pc.not_equal(col, ""), pc.invert(pc.utf8_is_space(col)))


def non_empty_mask(col) -> np.ndarray:
    return _non_empty(col).to_numpy(zero_copy_only=False)


def non_empty_counts(cols) -> list[int]:
    return [int(pc.sum(_non_empty(col)).as_py() or 0) for col in cols]


def describe_columns(layout: Layout) -> dict[int, str]:
    """Column -> its role, with the full header path (for ``planwh explain``)."""
    roles: dict[int, str] = {}
    if layout.kind == "tidy":
        for name in ("district", "year", "metric", "value", "unit"):
            j = getattr(layout, name)
            if j is not None:
                roles[j] = name
        return roles
    roles[layout.district] = "region"
    if layout.year is not None:
        roles[layout.year] = "year"
    for j, header in layout.metric_columns.items():
        path = PATH_SEP.join(layout.paths.get(j, (header,)))
        roles[j] = f"metric: {path}"
    for j, path in layout.unknown_columns.items():
        roles[j] = f"unknown metric (issue): {path}"
    for j, path in layout.ignored_columns.items():
        roles[j] = f"not read (note or code): {path}"
    return dict(sorted(roles.items()))


def explain_no_header(head: list[list[str]], sheet: str | None) -> str:
    """Why no header was found: which words were looked for where, and the
    text of the rows that came closest."""
    n = min(len(head), HEAD_ROWS)
    words = "/".join(list(REGION_HEADER_WORDS)[:6])
    where = f"rows 1-{n}" + (f" of sheet {sheet}" if sheet is not None else "")
    shown = []
    for i, row in enumerate(head[:n]):
        cells = [unicodedata.normalize("NFKC", c).strip() for c in row if _filled(c)]
        if len(cells) >= 2:
            shown.append(f"row {i + 1}: " + ", ".join(c[:20] for c in cells[:6]))
        if len(shown) == 2:
            break
    found = "; found " + " | ".join(shown) if shown else "; found no row of several cells"
    return (
        f"no region column: looked for {words}… (or a blank top-left cell above region names) "
        f"and metric names across, or the tidy columns (region, metric, value), in {where}"
        + found
    )


class Accounts:
    """Collects the fates of one file's cells; blocks are summed per
    (table, column, fate, role, reason) and written by ``close``."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.blocks: dict[tuple, list[int]] = defaultdict(lambda: [0, 1 << 62, -1])

    # --- single cells
    def cell(self, t: int, row: int, col: int, fate: str, role: str, reason: str | None = None,
             text: str | None = None) -> None:
        self.ledger.add(Fate.cell(t, row, col, fate, role, text, reason))

    # --- blocks
    def block(self, t: int, col: int, rows: np.ndarray | Iterable[int], fate: str, role: str,
              count: int, reason: str | None = None) -> None:
        if count <= 0:
            return
        b = self.blocks[(t, col, fate, role, reason)]
        b[0] += count
        rows = np.asarray(rows)
        if len(rows):
            b[1] = min(b[1], int(rows.min()))
            b[2] = max(b[2], int(rows.max()))

    def move(self, t: int, row: int, col: int, fate: str, role: str, reason: str | None,
             from_role: str = "value") -> None:
        """A cell counted in a record block gets another fate (a duplicate)."""
        for key in ((t, col, "record", from_role, None), (t, col, "record", "district", None)):
            if self.blocks.get(key, [0])[0] > 0:
                self.blocks[key][0] -= 1
                break
        self.cell(t, row, col, fate, role, reason)

    def close(self) -> None:
        for (t, col, fate, role, reason), (count, lo, hi) in self.blocks.items():
            if count > 0:
                self.ledger.add(Fate.block(t, lo, hi + 1, col, fate, role, count, reason))
        self.blocks.clear()

    # --- grid regions
    def grid_cells(self, t: int, grid, start: int, stop: int | None, fate: str, role: str,
                   reason: str | None = None) -> None:
        """Every non-empty cell of a grid's rows start..stop (0-based), per column."""
        if grid.rows is not None:
            rows = grid.rows[start:stop]
            numbers = grid.row_numbers[start:stop]
            per_col: dict[int, list[int]] = defaultdict(list)
            for r, n in zip(rows, numbers, strict=True):
                for j, c in enumerate(r):
                    if _filled(c):
                        per_col[j].append(n)
            for j, ns in per_col.items():
                self.block(t, j, ns, fate, role, len(ns), reason)
            return
        self.head_cells(t, grid, start, grid.arrow_header_index + 1, fate, role, reason)
        cols = [grid.arrow.column(i) for i in range(grid.arrow.num_columns)]
        first = grid.arrow_first_row
        rows = np.arange(first, first + grid.arrow.num_rows)
        self.body_blocks(t, cols, rows, range(len(cols)), fate, role, reason)

    def head_cells(self, t: int, grid, start: int, stop: int, fate: str, role: str,
                   reason: str | None = None) -> None:
        """Single-cell fates of the head rows start..stop (titles, header)."""
        numbers = grid.row_numbers if grid.rows is not None else range(1, len(grid.head) + 1)
        rows = grid.rows if grid.rows is not None else grid.head
        for i in range(start, min(stop, len(rows))):
            for j, c in enumerate(rows[i]):
                if _filled(c):
                    this = role
                    if role == "title" and ("单位" in c and ("：" in c or ":" in c)):
                        this = "unit line"
                    self.cell(t, numbers[i], j, fate, this, reason, c.strip())

    def body_blocks(self, t: int, cols, rows, which, fate: str, role: str,
                    reason: str | None = None) -> None:
        counts = non_empty_counts([cols[j] for j in which])
        for j, c in zip(which, counts, strict=True):
            self.block(t, j, rows, fate, role, c, reason)

    def over_width(self, t: int, grid, header: int, width: int) -> None:
        """Cells to the right of the header's last column: issues."""
        if grid.rows is None:
            return
        for r, n in zip(grid.rows[header + 1 :], grid.row_numbers[header + 1 :], strict=True):
            if len(r) > width:
                for j in range(width, len(r)):
                    if _filled(r[j]):
                        reason = f"row {n}: {len(r)} cells under a header of {width}"
                        self.cell(t, n, j, "issue", "beyond the header", reason, r[j].strip())

    def dropped(self, t: int, before: list[int], after: list[int], rows, fate: str,
                role: str) -> None:
        """Cells of rows a step removed (repeated headers, a units row)."""
        for j, (b, a) in enumerate(zip(before, after, strict=True)):
            self.block(t, j, rows, fate, role, b - a)

    # --- values
    def wide_values(self, t: int, columns: list[int], value: pa.ChunkedArray, rows: np.ndarray,
                    good: np.ndarray, bad: np.ndarray) -> None:
        """Metric columns of a wide table: loaded, rejected (single cells,
        written by the reader) or missing markers."""
        n = len(rows)
        filled = non_empty_mask(value) if len(value) else np.zeros(0, bool)
        for k, j in enumerate(columns):
            sl = slice(k * n, (k + 1) * n)
            g = good[sl] if len(good) else np.zeros(n, bool)
            b = bad[sl] if len(bad) else np.zeros(n, bool)
            f = filled[sl]
            self.block(t, j, rows, "record", "value", int(g.sum()))
            self.block(t, j, rows, "structural", "missing marker", int((f & ~g & ~b).sum()))

    def tidy(self, t: int, layout: Layout, cols, rows: np.ndarray, good: np.ndarray,
             bad: np.ndarray, masks: list[np.ndarray] | None = None) -> None:
        n = len(rows)
        if not len(good):
            good, bad = np.zeros(n, bool), np.zeros(n, bool)
        roles = {layout.district: "district", layout.metric: "metric", layout.value: "value"}
        if layout.year is not None:
            roles[layout.year] = "year"
        if layout.unit is not None:
            roles[layout.unit] = "unit"
        for j, col in enumerate(cols):
            f = masks[j] if masks is not None else non_empty_mask(col)
            if j not in roles:
                self.block(t, j, rows, "structural", "column not read (note)", int(f.sum()))
                continue
            role = roles[j]
            self.block(t, j, rows, "record", role, int((f & good).sum()))
            missing = "missing marker" if role == "value" else "row without a figure"
            self.block(t, j, rows, "structural", missing, int((f & ~good & ~bad).sum()))
            if role != "value":
                for i in np.flatnonzero(f & bad).tolist():
                    self.cell(t, int(rows[i]), j, "issue", f"{role} of a rejected row",
                              f"see the value cell, column {_column_letter(layout.value)}",
                              col[i].as_py())
