"""One table of a file as text cells: the rows (small tables) or an Arrow body
(large CSVs)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pyarrow as pa

from extractors.stats.header import HEAD_ROWS


@dataclass
class Grid:
    """One table of a file: the first rows as text (header search) and a way
    to get the body below a header as string columns with row numbers."""

    sheet: str | None
    head: list[list[str]]
    rows: list[list[str]] | None = None  # every row (small tables)
    row_numbers: list[int] | None = None  # 1-based, as a spreadsheet shows them
    arrow: pa.Table | None = None  # body below the header (fast path)
    arrow_first_row: int = 0  # row number of arrow's first row
    arrow_header_index: int = -1  # header index the arrow body was read for

    def body(self, header: int, width: int) -> tuple[list[pa.Array], np.ndarray, list[str]]:
        """String columns below ``header`` (0-based), their 1-based row numbers,
        and the reasons of rows that do not fit the header."""
        if self.arrow is not None and header == self.arrow_header_index:
            cols = [self.arrow.column(i) for i in range(min(width, self.arrow.num_columns))]
            n = self.arrow.num_rows
            return cols, np.arange(self.arrow_first_row, self.arrow_first_row + n), []
        assert self.rows is not None and self.row_numbers is not None
        body = self.rows[header + 1 :]
        numbers = self.row_numbers[header + 1 :]
        cols = [
            pa.array([r[i] if i < len(r) else "" for r in body], pa.string()) for i in range(width)
        ]
        over = [
            f"row {n}: {len(r)} cells under a header of {width}"
            for r, n in zip(body, numbers, strict=True)
            if len(r) > width and any(c.strip() for c in r[width:])
        ]
        return cols, np.asarray(numbers, dtype=np.int64), over


def _cell_text(value: object, number_format: str | None) -> str:
    """A spreadsheet cell as the text a user sees: numbers exactly, cells
    formatted as percentages as ``12.5%``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        text = repr(float(value)) if isinstance(value, float) else str(value)
        if number_format and "%" in number_format:
            pct = f"{Decimal(text) * 100:f}"
            return (pct.rstrip("0").rstrip(".") if "." in pct else pct) + "%"
        return text
    return str(value)


def _small_grid(sheet: str | None, rows: list[list[str]]) -> Grid:
    return Grid(sheet, rows[:HEAD_ROWS], rows, list(range(1, len(rows) + 1)))
